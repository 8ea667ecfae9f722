package dev.tripflow.io.csv;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Reading a CSV file in byte ranges gives exactly what reading it whole gives. */
public class CsvSplitTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Schema TRIPS =
      Schema.builder()
          .addField("id", FieldType.INT64)
          .addNullableField("note", FieldType.STRING)
          .addNullableField("amount", FieldType.DOUBLE)
          .addNullableField("pickup", FieldType.logicalType(SqlTypes.DATETIME))
          .build();

  private static final long TINY_SPLIT = 1024;

  private Path file(String name, byte[] bytes) throws IOException {
    Path p = tmp.getRoot().toPath().resolve(name);
    if (name.endsWith(".gz")) {
      try (OutputStream gz = new GZIPOutputStream(Files.newOutputStream(p))) {
        gz.write(bytes);
      }
    } else {
      Files.write(p, bytes);
    }
    return p;
  }

  private static MatchResult.Metadata metadata(Path file) throws IOException {
    return FileSystems.matchSingleFileSpec(file.toString());
  }

  /**
   * The rows and dead letters of reading {@code file} whole, one record after another on this
   * thread: what any split of it must give.
   */
  private static List<List<Row>> expected(Path file) throws Exception {
    List<Row> rows = new ArrayList<>();
    List<Row> dead = new ArrayList<>();
    try (CsvRecordReader reader = CsvRecordReader.open(file.toString())) {
      CsvRows.HeaderMap header =
          CsvRows.HeaderMap.of(CsvRows.headerOf(reader.next().text()), TRIPS, file.toString());
      for (CsvRecordReader.Record r; (r = reader.next()) != null; ) {
        if (r.error() == null && r.text().isBlank()) {
          continue;
        }
        try {
          if (r.error() != null) {
            throw new CsvFormat.BadValueException(r.error());
          }
          rows.add(
              Row.withSchema(TRIPS)
                  .attachValues(Arrays.asList(CsvRows.parseLine(r.text(), header, TRIPS))));
        } catch (CsvFormat.BadValueException e) {
          dead.add(
              Row.withSchema(CsvRows.DEAD_LETTER_SCHEMA)
                  .addValues(file.toString(), r.line(), e.getMessage(), r.text())
                  .build());
        }
      }
    }
    return List.of(rows, dead);
  }

  /** Sums a counter over the steps that reported it. */
  private static long counter(PipelineResult result, String name) {
    long total = 0;
    for (MetricResult<Long> c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(MetricNameFilter.named("tripflow", name))
                    .build())
            .getCounters()) {
      total += c.getCommitted();
    }
    return total;
  }

  /**
   * The split finds record starts exactly: a quoted record spanning a boundary belongs to the range
   * where it starts, a doubled quote does not end a field, and each range knows its first line.
   */
  @Test
  public void splitCutsAtTheFirstRecordStartAfterEachMultiple() throws Exception {
    String text =
        "a,b\n" // bytes 0-3, line 1
            + "1,\"x\ny\nz\"\n" // 4-13, lines 2-4: spans the multiple 8
            + "2,q\n" // 14-17, line 5
            + "3,\"\"\"\n\"\"\"\n" // 18-27, lines 6-7: doubled quotes around a break
            + "4,\"no end\n" // 28-37, line 8: unterminated, read alone up to the end
            + "5,r\n" // 38-41, line 9
            + "6,s"; // 42-44, line 10, no final newline
    Path file = file("cuts.csv", text.getBytes(StandardCharsets.US_ASCII));
    Schema ab =
        Schema.builder()
            .addNullableField("a", FieldType.STRING)
            .addNullableField("b", FieldType.STRING)
            .build();
    List<CsvRows.Range> ranges = CsvRows.split(metadata(file), Compression.UNCOMPRESSED, ab, 8);
    List<String> got = new ArrayList<>();
    for (CsvRows.Range r : ranges) {
      got.add(r.start() + "-" + r.end() + "@" + r.firstLine() + (r.header() == null ? "" : "+h"));
    }
    // Multiples 8, 16, 24, 32, 40: cuts at the record starts 14, 18, 28, 38, 42 (8, 16 and 24
    // fall inside records that started before them).
    assertEquals(
        List.of(
            "0-14@1",
            "14-18@5+h",
            "18-28@6+h",
            "28-38@8+h",
            "38-42@9+h",
            "42-" + Long.MAX_VALUE + "@10+h"),
        got);
    assertEquals("a,b", ranges.get(1).header());
    List<CsvRecordReader.Record> fromRanges = new ArrayList<>();
    for (CsvRows.Range r : ranges) {
      fromRanges.addAll(MessyCsv.readRange(file, r.start(), r.firstLine(), r.end()));
    }
    List<CsvRecordReader.Record> whole = new ArrayList<>();
    for (MessyCsv.Placed p : MessyCsv.readWhole(file)) {
      whole.add(p.record());
    }
    assertEquals(whole, fromRanges);
    assertEquals(
        new CsvRecordReader.Record(8, "4,\"no end", "unterminated quoted field"), whole.get(4));
  }

  /** The ranges of a split, read one after another, give every record of the whole read. */
  @Test
  public void rangesOfASplitReadLikeTheWholeFile() throws Exception {
    Path file = file("messy.csv", MessyCsv.generate(3, 3000));
    List<CsvRows.Range> ranges =
        CsvRows.split(metadata(file), Compression.UNCOMPRESSED, TRIPS, TINY_SPLIT);
    assertTrue(ranges.size() + " ranges", ranges.size() > 100);
    List<CsvRecordReader.Record> fromRanges = new ArrayList<>();
    for (CsvRows.Range r : ranges) {
      fromRanges.addAll(MessyCsv.readRange(file, r.start(), r.firstLine(), r.end()));
    }
    List<CsvRecordReader.Record> whole = new ArrayList<>();
    for (MessyCsv.Placed p : MessyCsv.readWhole(file)) {
      whole.add(p.record());
    }
    assertEquals(whole, fromRanges);
    long unterminated =
        whole.stream().filter(r -> "unterminated quoted field".equals(r.error())).count();
    assertTrue(unterminated + " unterminated", unterminated >= 2);
  }

  /**
   * Through a pipeline, a file read in 1 KiB ranges gives the rows, dead letters (file, line,
   * reason, raw) and counts of reading it whole; a gzip file beside it is one range.
   */
  @Test
  public void pipelineReadsRangesLikeTheWholeFile() throws Exception {
    Path plain = file("trips.csv", MessyCsv.generate(5, 1500));
    Path gzip = file("trips.csv.gz", MessyCsv.generate(6, 300));
    List<List<Row>> plainExpected = expected(plain);
    List<List<Row>> gzipExpected = expected(gzip);
    List<Row> rows = new ArrayList<>(plainExpected.get(0));
    rows.addAll(gzipExpected.get(0));
    List<Row> dead = new ArrayList<>(plainExpected.get(1));
    dead.addAll(gzipExpected.get(1));
    assertTrue(dead.stream().anyMatch(d -> d.getString("reason").startsWith("invalid UTF-8")));
    assertTrue(dead.stream().anyMatch(d -> d.getString("reason").startsWith("unterminated")));
    assertTrue(dead.stream().anyMatch(d -> d.getString("reason").startsWith("expected 4 fields")));
    assertTrue(dead.stream().anyMatch(d -> d.getString("reason").contains("not a DOUBLE")));

    String glob = tmp.getRoot() + "/trips.csv*";
    CsvRows.Result split =
        pipeline.apply(
            "Split",
            CsvRows.read(glob, TRIPS).withCounters("tripflow", "split").withSplitBytes(1024));
    CsvRows.Result whole =
        pipeline.apply(
            "Whole",
            CsvRows.read(glob, TRIPS)
                .withCounters("tripflow", "whole")
                .withSplitBytes(Long.MAX_VALUE));
    PAssert.that("split rows", split.rows()).containsInAnyOrder(rows);
    PAssert.that("split dead letters", split.deadLetters()).containsInAnyOrder(dead);
    PAssert.that("whole rows", whole.rows()).containsInAnyOrder(rows);
    PAssert.that("whole dead letters", whole.deadLetters()).containsInAnyOrder(dead);
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();

    int plainRanges =
        CsvRows.split(metadata(plain), Compression.UNCOMPRESSED, TRIPS, TINY_SPLIT).size();
    assertTrue(plainRanges + " ranges", plainRanges > 100);
    assertEquals(plainRanges + 1, counter(result, "split_ranges_read"));
    assertEquals(2, counter(result, "whole_ranges_read"));
    for (String read : List.of("split", "whole")) {
      assertEquals(read, rows.size() + dead.size(), counter(result, read + "_rows_read"));
      assertEquals(read, dead.size(), counter(result, read + "_bad_records"));
    }
  }

  /** A gzip file larger than the split size is one range: its stream cannot be entered midway. */
  @Test
  public void gzipFileIsOneRange() throws Exception {
    Path gzip = file("big.csv.gz", MessyCsv.generate(8, 2000));
    assertTrue(Files.size(gzip) > 10 * TINY_SPLIT);
    List<CsvRows.Range> ranges = CsvRows.split(metadata(gzip), Compression.GZIP, TRIPS, TINY_SPLIT);
    assertEquals(1, ranges.size());
    assertEquals(0, ranges.get(0).start());
    assertEquals(Long.MAX_VALUE, ranges.get(0).end());
    assertEquals(1, ranges.get(0).firstLine());
  }

  /**
   * A large file whose header lacks a column of the schema fails naming it, as a small one does.
   */
  @Test
  public void splitFileMissingColumnFailsNamingIt() throws Exception {
    byte[] csv = MessyCsv.generate(9, 500);
    String text = new String(csv, StandardCharsets.UTF_8).replaceFirst("amount", "total");
    Path file = file("renamed.csv", text.getBytes(StandardCharsets.UTF_8));
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(CsvRows.read(file.toString(), TRIPS).withSplitBytes(TINY_SPLIT));
    Pipeline.PipelineExecutionException e =
        assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertTrue(
        e.getCause().getMessage(),
        e.getCause()
            .getMessage()
            .contains("renamed.csv: the header has no column 'amount' of the schema"));
  }
}
