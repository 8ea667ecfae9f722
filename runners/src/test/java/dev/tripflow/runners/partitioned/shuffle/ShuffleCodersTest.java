package dev.tripflow.runners.partitioned.shuffle;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotSame;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.transforms.join.RawUnionValue;
import org.apache.beam.sdk.transforms.join.UnionCoder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

public class ShuffleCodersTest {
  private static final Schema FLAT =
      Schema.builder()
          .addNullableField("b", FieldType.BYTE)
          .addNullableField("s", FieldType.INT16)
          .addNullableField("i", FieldType.INT32)
          .addNullableField("l", FieldType.INT64)
          .addNullableField("f", FieldType.FLOAT)
          .addNullableField("d", FieldType.DOUBLE)
          .addNullableField("z", FieldType.BOOLEAN)
          .addNullableField("str", FieldType.STRING)
          .addNullableField("day", FieldType.logicalType(SqlTypes.DATE))
          .addNullableField("at", FieldType.logicalType(SqlTypes.DATETIME))
          .build();

  @SuppressWarnings("unchecked")
  private static Object roundTrip(Coder<?> coder, Object value) throws Exception {
    Coder<Object> c = (Coder<Object>) coder;
    return CoderUtils.decodeFromByteArray(c, CoderUtils.encodeToByteArray(c, value));
  }

  /** Rows decode equal to what Beam's own row coder gives, for every field kind, null or not. */
  @Test
  public void flatRowsDecodeAsBeamsRowCoderDoes() throws Exception {
    Coder<Object> flat = ShuffleCoders.inMemory(SchemaCoder.of(FLAT));
    assertTrue(flat instanceof ShuffleCoders.FlatRowCoder);
    List<Row> rows =
        List.of(
            Row.withSchema(FLAT)
                .addValues(
                    (byte) -3,
                    (short) 300,
                    -70_000,
                    Long.MIN_VALUE,
                    1.5f,
                    -0.0,
                    true,
                    "zoné ✓",
                    LocalDate.of(1969, 12, 31),
                    LocalDateTime.of(2020, 3, 8, 2, 30, 15, 123_456_789))
                .build(),
            Row.nullRow(FLAT),
            Row.withSchema(FLAT)
                .addValues(
                    null,
                    null,
                    1,
                    Long.MAX_VALUE,
                    null,
                    Double.NaN,
                    false,
                    "",
                    null,
                    LocalDateTime.of(1900, 1, 1, 0, 0))
                .build());
    for (Row row : rows) {
      Object beams = roundTrip(SchemaCoder.of(FLAT), row);
      Object ours = roundTrip(flat, row);
      assertEquals(beams, ours);
      assertEquals(((Row) beams).getValues(), ((Row) ours).getValues());
    }
  }

  /** Rows nested in KVs and unions are replaced; other coders and unsupported schemas are kept. */
  @Test
  public void replacesRowCodersInsideKvsAndUnionsOnly() throws Exception {
    Schema nested = Schema.builder().addRowField("inner", FLAT).build();
    Coder<?> kept = SchemaCoder.of(nested);
    assertSame(kept, ShuffleCoders.inMemory(kept));
    Coder<?> plain = KvCoder.of(StringUtf8Coder.of(), VarIntCoder.of());
    assertSame(plain, ShuffleCoders.inMemory(plain));
    UnionCoder union = UnionCoder.of(List.of(SchemaCoder.of(FLAT), StringUtf8Coder.of()));
    Coder<Object> kv = ShuffleCoders.inMemory(KvCoder.of(StringUtf8Coder.of(), union));
    assertNotSame(union, ((KvCoder<?, ?>) (Coder<?>) kv).getValueCoder());
    Row row = Row.withSchema(FLAT).addValue((byte) 1).addValues(new Object[9]).build();
    KV<String, RawUnionValue> value = KV.of("k", new RawUnionValue(0, row));
    assertEquals(value, roundTrip(kv, value));
    KV<String, RawUnionValue> text = KV.of("k", new RawUnionValue(1, "text"));
    assertEquals(text, roundTrip(kv, text));
  }

  /**
   * A row of an equal schema (another instance) is encoded flat; a row of another schema goes
   * through the replaced coder and decodes as that coder decodes it.
   */
  @Test
  public void aRowOfAnotherSchemaIsDelegated() throws Exception {
    Schema other = Schema.builder().addInt64Field("l").build();
    Coder<Object> flat = ShuffleCoders.inMemory(SchemaCoder.of(other));
    Row row = Row.withSchema(Schema.builder().addInt64Field("l").build()).addValue(7L).build();
    assertEquals(0, CoderUtils.encodeToByteArray(flat, row)[0]);
    assertEquals(row, roundTrip(flat, row));
    Row stranger = Row.withSchema(Schema.builder().addInt64Field("m").build()).addValue(9L).build();
    byte[] bytes = CoderUtils.encodeToByteArray(flat, stranger);
    assertEquals(1, bytes[0]);
    assertEquals(roundTrip(SchemaCoder.of(other), stranger), roundTrip(flat, stranger));
  }
}
