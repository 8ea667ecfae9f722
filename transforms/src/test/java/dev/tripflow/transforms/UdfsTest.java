package dev.tripflow.transforms;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;

public class UdfsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  /** The course's examples: divisible by 7, by 3, neither; bad input gives null. */
  @Test
  public void crazyStuff() {
    assertEquals("s/b44", Udfs.crazyStuff("B02884"));
    assertEquals("a/9d2", Udfs.crazyStuff("B02514")); // 2514 = 3 * 838, not a multiple of 7
    assertEquals("e/9c7", Udfs.crazyStuff("B02503")); // 2503 is neither
    assertEquals("s/007", Udfs.crazyStuff("B00007"));
    assertNull(Udfs.crazyStuff(null));
    assertNull(Udfs.crazyStuff("B"));
    assertNull(Udfs.crazyStuff("Bxyz"));
  }

  /** withColumn appends the UDF's value, null for null input. */
  @Test
  public void withColumnAppliesUdf() {
    Schema in = Schema.builder().addNullableField("dispatching_base_num", FieldType.STRING).build();
    Schema out =
        Schema.builder()
            .addNullableField("dispatching_base_num", FieldType.STRING)
            .addNullableField("base_id", FieldType.STRING)
            .build();
    var rows =
        pipeline
            .apply(
                Create.of(
                        Row.withSchema(in).addValue("B02884").build(),
                        Row.withSchema(in).addValue(null).build())
                    .withRowSchema(in))
            .apply(
                WithColumn.of(
                    "base_id",
                    FieldType.STRING,
                    r -> Udfs.crazyStuff(r.getString("dispatching_base_num"))));
    PAssert.that(rows)
        .containsInAnyOrder(
            Row.withSchema(out).addValues("B02884", "s/b44").build(),
            Row.withSchema(out).addValues(null, null).build());
    pipeline.run().waitUntilFinish();
  }
}
