package dev.tripflow.io.parquet;

import static org.junit.Assert.assertEquals;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.values.Row;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.column.ParquetProperties.WriterVersion;
import org.apache.parquet.example.data.Group;
import org.apache.parquet.example.data.simple.SimpleGroupFactory;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.example.ExampleParquetWriter;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.LocalOutputFile;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.MessageTypeParser;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The page decoder against every encoding writers use: the same random rows (nulls, repeated and
 * distinct values, several pages) written with dictionaries on and off, as data pages v1 and v2
 * (delta and RLE encodings), and by DuckDB, read back equal to what was written.
 */
public class ParquetEncodingsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final MessageType FILE_SCHEMA =
      MessageTypeParser.parseMessageType(
          "message t { required int64 id; optional int32 small; optional int64 big;"
              + " optional double money; optional float ratio; optional boolean flag;"
              + " optional binary name (STRING);"
              + " optional int64 ts (TIMESTAMP(MICROS,false)); }");

  private static final Schema TARGET =
      Schema.builder()
          .addField("id", FieldType.INT64)
          .addNullableField("small", FieldType.INT32)
          .addNullableField("big", FieldType.INT64)
          .addNullableField("money", FieldType.DOUBLE)
          .addNullableField("ratio", FieldType.FLOAT)
          .addNullableField("flag", FieldType.BOOLEAN)
          .addNullableField("name", FieldType.STRING)
          .addNullableField("ts", FieldType.logicalType(SqlTypes.DATETIME))
          .build();

  private static final int ROWS = 30_000;

  private static List<Row> expectedRows() {
    Random r = new Random(42);
    List<Row> rows = new ArrayList<>();
    LocalDateTime base = LocalDateTime.of(2020, 1, 1, 0, 0);
    for (int i = 0; i < ROWS; i++) {
      boolean nulls = r.nextInt(10) == 0;
      rows.add(
          Row.withSchema(TARGET)
              .addValues(
                  (long) i,
                  nulls ? null : r.nextInt(300) - 20,
                  nulls ? null : r.nextLong(),
                  nulls ? null : (r.nextBoolean() ? 2.5 : r.nextInt(100_000) / 100.0),
                  nulls ? null : r.nextFloat(),
                  nulls ? null : r.nextBoolean(),
                  nulls ? null : (r.nextInt(4) == 0 ? "zone-" + r.nextInt(1_000_000) : "N"),
                  nulls ? null : base.plusSeconds(r.nextInt(40_000_000)).plusNanos(1000L * i))
              .build());
    }
    return rows;
  }

  private static void writeWithParquet(Path file, WriterVersion version, boolean dictionary)
      throws Exception {
    SimpleGroupFactory groups = new SimpleGroupFactory(FILE_SCHEMA);
    try (ParquetWriter<Group> w =
        ExampleParquetWriter.builder(new LocalOutputFile(file))
            .withConf(new Configuration(false))
            .withType(FILE_SCHEMA)
            .withWriterVersion(version)
            .withDictionaryEncoding(dictionary)
            .withPageSize(8 * 1024)
            .withDictionaryPageSize(16 * 1024)
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .build()) {
      for (Row row : expectedRows()) {
        Group g = groups.newGroup().append("id", row.getInt64("id"));
        if (row.getValue("small") != null) {
          g.append("small", row.getInt32("small"));
          g.append("big", row.getInt64("big"));
          g.append("money", row.getDouble("money"));
          g.append("ratio", row.getFloat("ratio"));
          g.append("flag", row.getBoolean("flag"));
          g.append("name", Binary.fromString(row.getString("name")));
          LocalDateTime t = row.getLogicalTypeValue("ts", LocalDateTime.class);
          long micros = t.toEpochSecond(java.time.ZoneOffset.UTC) * 1_000_000L + t.getNano() / 1000;
          g.append("ts", micros);
        }
        w.write(g);
      }
    }
  }

  private static void assertReadsBack(Path file) throws Exception {
    List<Row> actual = new ArrayList<>();
    try (ParquetRowFileReader reader = ParquetRowFileReader.open(file, TARGET)) {
      reader.forEachRemaining(actual::add);
    }
    List<Row> expected = expectedRows();
    assertEquals(file + ": row count", expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      assertEquals(file + ": row " + i, expected.get(i), actual.get(i));
    }
  }

  /** Data pages v1 with dictionaries (falling back to plain when a dictionary grows too big). */
  @Test
  public void pagesV1WithDictionaries() throws Exception {
    Path f = tmp.getRoot().toPath().resolve("v1-dict.parquet");
    writeWithParquet(f, WriterVersion.PARQUET_1_0, true);
    assertReadsBack(f);
  }

  /** Data pages v1, plain encoding only. */
  @Test
  public void pagesV1Plain() throws Exception {
    Path f = tmp.getRoot().toPath().resolve("v1-plain.parquet");
    writeWithParquet(f, WriterVersion.PARQUET_1_0, false);
    assertReadsBack(f);
  }

  /** Data pages v2 with dictionaries and their delta fallbacks. */
  @Test
  public void pagesV2WithDictionaries() throws Exception {
    Path f = tmp.getRoot().toPath().resolve("v2-dict.parquet");
    writeWithParquet(f, WriterVersion.PARQUET_2_0, true);
    assertReadsBack(f);
  }

  /** Data pages v2 without dictionaries: delta-binary-packed, delta byte arrays, RLE booleans. */
  @Test
  public void pagesV2Delta() throws Exception {
    Path f = tmp.getRoot().toPath().resolve("v2-delta.parquet");
    writeWithParquet(f, WriterVersion.PARQUET_2_0, false);
    assertReadsBack(f);
  }

  /** Files DuckDB writes, v1 and v2, read back equal to the rows DuckDB was given. */
  @Test
  public void duckDbFiles() throws Exception {
    Path source = tmp.getRoot().toPath().resolve("source.parquet");
    writeWithParquet(source, WriterVersion.PARQUET_1_0, true);
    for (String version : List.of("V1", "V2")) {
      Path f = tmp.getRoot().toPath().resolve("duck-" + version + ".parquet");
      try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
          Statement s = c.createStatement()) {
        s.execute(
            "COPY (SELECT * FROM read_parquet('"
                + source
                + "') ORDER BY id) TO '"
                + f
                + "' (FORMAT parquet, ROW_GROUP_SIZE 7000, PARQUET_VERSION "
                + version
                + ")");
      }
      assertReadsBack(f);
    }
  }
}
