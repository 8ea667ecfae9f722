package dev.tripflow.io.schema;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.junit.Test;

public class SchemaInferenceTest {
  private static final String SAMPLE =
      "VendorID,pickup,store_and_fwd_flag,PULocationID,trip_distance,RatecodeID,note,flag\n"
          + "2,2021-01-01 00:15:56,N,43,2.1,1.0,,true\n"
          + "1,2021-01-01 00:31:38,,166,0,1.0,,false\n"
          + "2,2021-01-01 00:02:38.5,Y,41,1.25e1,2.0,,TRUE\n"
          + "this,line,is,broken\n";

  /** Integers, decimals, timestamps, booleans, strings and nullability from a sample. */
  @Test
  public void infersTypesAndNullability() throws Exception {
    SchemaInference.InferredSchema inferred = SchemaInference.infer(SAMPLE, 1000, "sample.csv");
    Schema expected =
        Schema.builder()
            .addField("VendorID", FieldType.INT64)
            .addField("pickup", FieldType.logicalType(SqlTypes.DATETIME))
            .addNullableField("store_and_fwd_flag", FieldType.STRING)
            .addField("PULocationID", FieldType.INT64)
            .addField("trip_distance", FieldType.DOUBLE)
            .addField("RatecodeID", FieldType.DOUBLE)
            .addNullableField("note", FieldType.STRING)
            .addField("flag", FieldType.BOOLEAN)
            .build();
    assertEquals(expected, inferred.schema());
    assertEquals(3, inferred.sampledRows());
    assertEquals(1, inferred.skippedLines());
    String java = inferred.toJavaCode("TRIPS");
    assertTrue(java, java.contains(".addField(\"VendorID\", FieldType.INT64)"));
    assertTrue(
        java, java.contains(".addField(\"pickup\", FieldType.logicalType(SqlTypes.DATETIME))"));
    assertTrue(java, java.contains(".addNullableField(\"note\", FieldType.STRING)"));
    assertTrue(inferred.toTable(), inferred.toTable().contains("store_and_fwd_flag"));
    // The schema-file rendering parses back to the same schema.
    assertEquals(expected, SchemaFiles.parse(SchemaFiles.format(expected), "x"));
  }

  /** Only the first sampleRows lines are used. */
  @Test
  public void sampleSizeLimitsTheLines() throws Exception {
    SchemaInference.InferredSchema inferred = SchemaInference.infer(SAMPLE, 1, "sample.csv");
    assertEquals(1, inferred.sampledRows());
    assertEquals(FieldType.STRING, inferred.schema().getField("store_and_fwd_flag").getType());
  }

  /** Schema files: comments, NOT NULL, and errors naming file and line. */
  @Test
  public void schemaFiles() {
    Schema s = SchemaFiles.parse("# trips\nid BIGINT NOT NULL\n\nts timestamp  # local\n", "s.txt");
    assertEquals(
        Schema.builder()
            .addField("id", FieldType.INT64)
            .addNullableField("ts", FieldType.logicalType(SqlTypes.DATETIME))
            .build(),
        s);
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () -> SchemaFiles.parse("id BIGINT\nx NUMBER\n", "s.txt"));
    assertTrue(e.getMessage(), e.getMessage().startsWith("s.txt: line 2: unknown type 'NUMBER'"));
  }
}
