package dev.tripflow.io.csv;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class CsvRowsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Schema FHV =
      Schema.builder()
          .addNullableField("base", FieldType.STRING)
          .addNullableField("pickup", FieldType.logicalType(SqlTypes.DATETIME))
          .addNullableField("zone", FieldType.INT64)
          .addNullableField("distance", FieldType.DOUBLE)
          .build();

  /** Header in another order than the schema, an extra column, quotes, nulls, 3 broken lines. */
  static final String FIXTURE =
      "\"zone\",extra,\"distance\",base,pickup\n"
          + "132,x,1.5,B02884,2021-01-01 00:33:44\n"
          + "\"7\",\"a,b\",\"2.25\",\"B0\"\"2\",2021-01-31T23:59:59\n"
          + ",,,,\n"
          + "\n"
          + "1.0,y,0,B1,2021-01-02 03:04:05.5\n"
          + "5,too,few\n"
          + "abc,z,1.0,B2,2021-01-01 00:00:00\n"
          + "9,z,1.0,B3,2020-13-45 99:00:00\n";

  private static Row fhv(String base, String pickup, Long zone, Double distance) {
    return Row.withSchema(FHV)
        .addValues(base, pickup == null ? null : LocalDateTime.parse(pickup), zone, distance)
        .build();
  }

  private Path gzip(String name, String text) throws Exception {
    Path p = tmp.getRoot().toPath().resolve(name);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(p))) {
      out.write(text.getBytes(StandardCharsets.UTF_8));
    }
    return p;
  }

  /** Good rows parse by header name; exactly the 3 broken lines become dead letters. */
  @Test
  public void parsesGoodRowsAndDeadLettersTheRest() throws Exception {
    Path file = gzip("trips.csv.gz", FIXTURE);
    CsvRows.Result csv = pipeline.apply(CsvRows.read(file.toString(), FHV));
    PAssert.that(csv.rows())
        .containsInAnyOrder(
            fhv("B02884", "2021-01-01T00:33:44", 132L, 1.5),
            fhv("B0\"2", "2021-01-31T23:59:59", 7L, 2.25),
            fhv(null, null, null, null),
            fhv("B1", "2021-01-02T03:04:05.5", 1L, 0.0));
    PAssert.that(csv.deadLetters())
        .containsInAnyOrder(
            Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                .addValues(file.toString(), 7L, "expected 5 fields, found 3", "5,too,few")
                .build(),
            Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                .addValues(
                    file.toString(),
                    8L,
                    "column 'zone': not a BIGINT: 'abc'",
                    "abc,z,1.0,B2,2021-01-01 00:00:00")
                .build(),
            Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                .addValues(
                    file.toString(),
                    9L,
                    "column 'pickup': not a TIMESTAMP: '2020-13-45 99:00:00'",
                    "9,z,1.0,B3,2020-13-45 99:00:00")
                .build());
    pipeline.run().waitUntilFinish();
  }

  /**
   * A schema column missing from the header fails with a line naming file and column, whether the
   * field is nullable or not; a field marked optional may be missing (null in every row).
   */
  @Test
  public void missingColumnFailsUnlessOptional() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("x.csv");
    Files.writeString(file, "a,b\n1,2\n");
    for (Schema needsC :
        List.of(
            Schema.builder().addField("c", FieldType.INT64).build(),
            Schema.builder()
                .addNullableField("a", FieldType.INT64)
                .addNullableField("c", FieldType.INT64)
                .build())) {
      Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
      p.apply(CsvRows.read(file.toString(), needsC));
      Pipeline.PipelineExecutionException e =
          assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
      assertTrue(
          e.getCause().getMessage(),
          e.getCause().getMessage().contains("x.csv: the header has no column 'c' of the schema"));
      IllegalArgumentException before =
          assertThrows(
              IllegalArgumentException.class, () -> CsvRows.requireHeader(file.toString(), needsC));
      assertTrue(
          before.getMessage(), before.getMessage().contains("x.csv: the header has no column 'c'"));
    }
    Schema optionalC =
        Schema.builder()
            .addNullableField("a", FieldType.INT64)
            .addField(
                Schema.Field.nullable("c", FieldType.INT64)
                    .withOptions(
                        Schema.Options.builder()
                            .setOption(
                                dev.tripflow.spi.ColumnOptions.OPTIONAL, FieldType.BOOLEAN, true)))
            .build();
    CsvRows.requireHeader(file.toString(), optionalC);
    PAssert.that(pipeline.apply(CsvRows.read(file.toString(), optionalC)).rows())
        .containsInAnyOrder(Row.withSchema(optionalC).addValues(1L, null).build());
    pipeline.run().waitUntilFinish();
  }

  /**
   * RFC 4180: a quoted field holds line breaks, so one record spans lines, and its dead letter
   * names its first line; bytes that are not UTF-8 are a dead letter with the reason; the lines
   * after an unterminated quote are read again on their own.
   */
  @Test
  public void multiLineRecordsInvalidUtf8AndUnterminatedQuotes() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("multi.csv");
    byte[] bad = "9,z,1.0,B\u00e9,2021-01-01 00:00:00\n".getBytes(StandardCharsets.UTF_8);
    bad[10] = (byte) 0xff; // é is bytes 10 and 11 (from 1): C3 FF is not UTF-8
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    bytes.writeBytes(
        ("zone,extra,distance,base,pickup\r\n"
                + "1,\"two\nlines\",1.5,\"B\r\n1\",2021-01-01 00:33:44\r\n"
                + "2,x,oops,B2,2021-01-01 00:00:00\n"
                + "3,\"a\nb\",2.5,B3,2021-01-02 00:00:00\n")
            .getBytes(StandardCharsets.UTF_8));
    bytes.writeBytes(bad);
    bytes.writeBytes(
        ("4,\"never closed,1,B4,2021-01-03 00:00:00\n" + "5,x,1,B5,2021-01-04 00:00:00\n")
            .getBytes(StandardCharsets.UTF_8));
    Files.write(file, bytes.toByteArray());
    CsvRows.Result csv = pipeline.apply(CsvRows.read(file.toString(), FHV));
    PAssert.that(csv.rows())
        .containsInAnyOrder(
            fhv("B\r\n1", "2021-01-01T00:33:44", 1L, 1.5),
            fhv("B3", "2021-01-02T00:00:00", 3L, 2.5),
            fhv("B5", "2021-01-04T00:00:00", 5L, 1.0));
    PAssert.that(csv.deadLetters())
        .containsInAnyOrder(
            Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                .addValues(
                    file.toString(),
                    5L,
                    "column 'distance': not a DOUBLE: 'oops'",
                    "2,x,oops,B2,2021-01-01 00:00:00")
                .build(),
            Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                .addValues(
                    file.toString(),
                    8L,
                    "invalid UTF-8 at byte 10",
                    "9,z,1.0,B\ufffd\ufffd,2021-01-01 00:00:00")
                .build(),
            Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                .addValues(
                    file.toString(),
                    9L,
                    "unterminated quoted field",
                    "4,\"never closed,1,B4,2021-01-03 00:00:00")
                .build());
    pipeline.run().waitUntilFinish();
  }

  /** A truncated gzip file fails the read with a line naming the file. */
  @Test
  public void truncatedGzipNamesTheFile() throws Exception {
    StringBuilder text = new StringBuilder("zone,extra,distance,base,pickup\n");
    for (int i = 0; i < 20000; i++) {
      text.append(i).append(",x,1.5,B").append(i).append(",2021-01-01 00:33:44\n");
    }
    Path whole = gzip("whole.csv.gz", text.toString());
    byte[] all = Files.readAllBytes(whole);
    Path cut = tmp.getRoot().toPath().resolve("cut.csv.gz");
    Files.write(cut, java.util.Arrays.copyOf(all, all.length / 2));
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(CsvRows.read(cut.toString(), FHV));
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    String message = e.getCause().getMessage();
    assertTrue(message, message.startsWith(cut + ": cannot be read after line "));
    assertTrue(message, message.contains("truncated"));
  }

  /** More bad records than allowed fails the run; as many as allowed passes. */
  @Test
  public void badRecordLimit() throws Exception {
    Path file = gzip("limit.csv.gz", FIXTURE);
    Pipeline strict = Pipeline.create(PipelineOptionsFactory.create());
    strict
        .apply(CsvRows.read(file.toString(), FHV))
        .deadLetters()
        .apply(FailOnTooManyBadRecords.atMost(2));
    Pipeline.PipelineExecutionException e =
        assertThrows(
            Pipeline.PipelineExecutionException.class, () -> strict.run().waitUntilFinish());
    assertEquals(
        "3 bad records, more than --maxBadRecords=2 allows; no output was replaced",
        e.getCause().getMessage());
    PAssert.thatSingleton(
            pipeline
                .apply(CsvRows.read(file.toString(), FHV))
                .deadLetters()
                .apply(FailOnTooManyBadRecords.atMost(3)))
        .isEqualTo(3L);
    pipeline.run().waitUntilFinish();
  }

  /** Rows written by the sink and by the file writer read back equal. */
  @Test
  public void writersRoundTrip() throws Exception {
    List<Row> rows =
        List.of(
            fhv("a,\"quoted\"", "2021-01-01T00:00:00", 1L, 0.1),
            fhv(null, "2021-01-01T10:11:12.25", null, 1e-7),
            fhv("plain", null, -5L, null));
    Path gz = tmp.getRoot().toPath().resolve("w.csv.gz");
    try (CsvRowFileWriter w = CsvRowFileWriter.open(gz, FHV)) {
      for (Row r : rows) {
        w.write(r);
      }
    }
    Path dir = tmp.newFolder("sink").toPath();
    Pipeline write = Pipeline.create(PipelineOptionsFactory.create());
    write
        .apply(Create.of(rows).withRowSchema(FHV))
        .apply(
            FileIO.<Row>write()
                .via(new CsvRowSink(FHV))
                .to(dir.toString())
                .withNumShards(1)
                .withSuffix(".csv"));
    write.run().waitUntilFinish();
    PAssert.that(pipeline.apply("FromGzip", CsvRows.read(gz.toString(), FHV)).rows())
        .containsInAnyOrder(rows);
    PAssert.that(pipeline.apply("FromSink", CsvRows.read(dir + "/*.csv", FHV)).rows())
        .containsInAnyOrder(rows);
    pipeline.run().waitUntilFinish();
  }
}
