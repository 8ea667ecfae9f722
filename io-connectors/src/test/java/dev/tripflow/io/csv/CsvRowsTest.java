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

  /** A required column missing from the header fails with a line naming file and column. */
  @Test
  public void missingRequiredColumnFails() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("x.csv");
    Files.writeString(file, "a,b\n1,2\n");
    Schema needsC = Schema.builder().addField("c", FieldType.INT64).build();
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(CsvRows.read(file.toString(), needsC));
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertTrue(
        e.getCause().getMessage(),
        e.getCause().getMessage().contains("x.csv: the header has no column 'c'"));
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
        "3 bad records, more than --maxBadRecords=2 allows (see the dead-letter output)",
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
