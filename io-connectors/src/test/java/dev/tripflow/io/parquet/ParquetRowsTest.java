package dev.tripflow.io.parquet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class ParquetRowsTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Schema ALL_TYPES =
      Schema.builder()
          .addField("id", FieldType.INT64)
          .addNullableField("i32", FieldType.INT32)
          .addNullableField("d", FieldType.DOUBLE)
          .addNullableField("s", FieldType.STRING)
          .addNullableField("b", FieldType.BOOLEAN)
          .addNullableField("ts", FieldType.logicalType(SqlTypes.DATETIME))
          .addNullableField("day", FieldType.logicalType(SqlTypes.DATE))
          .build();

  private static List<Row> allTypesRows() {
    return List.of(
        Row.withSchema(ALL_TYPES)
            .addValues(
                1L,
                7,
                2.5,
                "héllo, \"x\"",
                true,
                LocalDateTime.of(2020, 1, 1, 0, 33, 44),
                LocalDate.of(2020, 2, 29))
            .build(),
        Row.withSchema(ALL_TYPES)
            .addValues(
                2L,
                -1,
                -0.01,
                "",
                false,
                LocalDateTime.of(2020, 3, 8, 2, 30, 0, 123_456_000),
                LocalDate.of(1969, 12, 31))
            .build(),
        Row.withSchema(ALL_TYPES).addValues(3L, null, null, null, null, null, null).build());
  }

  private Path writeAllTypes() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("all.parquet");
    try (ParquetRowFileWriter w = ParquetRowFileWriter.open(file, ALL_TYPES)) {
      for (Row r : allTypesRows()) {
        w.write(r);
      }
    }
    return file;
  }

  /**
   * A file of several row groups is read a row group at a time (each group a split the runner deals
   * to its workers): every row once.
   */
  @Test
  public void aFileIsReadRowGroupByRowGroup() throws Exception {
    List<org.apache.beam.sdk.io.fs.ResourceId> pieces = new ArrayList<>();
    List<Row> all = new ArrayList<>();
    for (int piece = 0; piece < 4; piece++) {
      Path f = tmp.getRoot().toPath().resolve("piece-" + piece + ".parquet");
      try (ParquetRowFileWriter w = ParquetRowFileWriter.open(f, ALL_TYPES)) {
        for (long i = 0; i < 2_000; i++) {
          Row r =
              Row.withSchema(ALL_TYPES)
                  .addValues(piece * 10_000L + i, null, 0.5 * i, "p" + piece, null, null, null)
                  .build();
          w.write(r);
          all.add(r);
        }
      }
      pieces.add(org.apache.beam.sdk.io.FileSystems.matchNewResource(f.toString(), false));
    }
    Path joined = tmp.getRoot().toPath().resolve("joined.parquet");
    // Row groups of a megabyte or more are copied as they are: four groups in one file.
    new ParquetConcatenation(ALL_TYPES)
        .concatenate(
            pieces, org.apache.beam.sdk.io.FileSystems.matchNewResource(joined.toString(), false));
    long[] groups = ParquetRowFileReader.rowGroupSizes(joined.toString(), Files.size(joined));
    assertTrue("row groups: " + groups.length, groups.length >= 2);
    PAssert.that(pipeline.apply(ParquetRows.read(joined.toString(), ALL_TYPES)))
        .containsInAnyOrder(all);
    pipeline.run().waitUntilFinish();
  }

  /** Rows with every type and nulls come back equal, with the plain reader and in a pipeline. */
  @Test
  public void roundTripsEveryType() throws Exception {
    Path file = writeAllTypes();
    List<Row> back = new ArrayList<>();
    try (ParquetRowFileReader r = ParquetRowFileReader.open(file, null)) {
      assertEquals(
          ALL_TYPES.withOptions(ALL_TYPES.getOptions()).getFieldCount(),
          r.schema().getFieldCount());
      assertEquals(3, r.rowCount());
      r.forEachRemaining(back::add);
    }
    assertEquals(allTypesRows(), rebase(back, ALL_TYPES));
    PAssert.that(pipeline.apply(ParquetRows.read(file.toString(), ALL_TYPES)))
        .containsInAnyOrder(allTypesRows());
    pipeline.run().waitUntilFinish();
  }

  private static List<Row> rebase(List<Row> rows, Schema schema) {
    List<Row> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(Row.withSchema(schema).addValues(r.getValues()).build());
    }
    return out;
  }

  /**
   * A column mapping reads target fields from columns of other names (widening INT32 to INT64 as
   * any read does) and fills a constant string field in every row, in the plain reader and in a
   * pipeline; a mapping naming fields the target lacks, or a non-string constant, is refused.
   */
  @Test
  public void columnMappingRenamesAndAddsConstants() throws Exception {
    Path file = writeAllTypes();
    Schema renamed =
        Schema.builder()
            .addField("key", FieldType.INT64)
            .addNullableField("small", FieldType.INT64)
            .addNullableField("s", FieldType.STRING)
            .addField("service_type", FieldType.STRING)
            .build();
    ColumnMapping mapping =
        ColumnMapping.NONE
            .column("key", "id")
            .column("small", "i32")
            .constant("service_type", "yellow");
    List<Row> expected =
        List.of(
            Row.withSchema(renamed).addValues(1L, 7L, "héllo, \"x\"", "yellow").build(),
            Row.withSchema(renamed).addValues(2L, -1L, "", "yellow").build(),
            Row.withSchema(renamed).addValues(3L, null, null, "yellow").build());
    List<Row> back = new ArrayList<>();
    try (ParquetRowFileReader r = ParquetRowFileReader.open(file, renamed, mapping)) {
      r.forEachRemaining(back::add);
    }
    assertEquals(expected, back);
    PAssert.that(pipeline.apply(ParquetRows.read(file.toString(), renamed).withColumns(mapping)))
        .containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();

    IllegalArgumentException notAField =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ParquetRows.read(file.toString(), renamed).withColumns(mapping.column("x", "id")));
    assertEquals(
        "column mapping names field 'x', not in [key, small, s, service_type]",
        notAField.getMessage());
    IllegalArgumentException notAString =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ParquetRows.read(file.toString(), renamed)
                    .withColumns(ColumnMapping.NONE.constant("key", "1")));
    assertTrue(notAString.getMessage(), notAString.getMessage().contains("not a string"));
    Schema required = Schema.builder().addField("key", FieldType.INT64).build();
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                ParquetRowFileReader.open(
                    file, required, ColumnMapping.NONE.column("key", "nope")));
    assertTrue(
        missing.getMessage(),
        missing
            .getMessage()
            .contains("all.parquet: no column 'nope' (read as key), which is needed"));
  }

  /** The same rows give the same bytes. */
  @Test
  public void writesDeterministically() throws Exception {
    Path a = writeAllTypes();
    byte[] first = Files.readAllBytes(a);
    Files.delete(a);
    assertTrue(java.util.Arrays.equals(first, Files.readAllBytes(writeAllTypes())));
  }

  /** DuckDB reads our timestamps as plain TIMESTAMP with the same wall clock. */
  @Test
  public void duckDbReadsOurFiles() throws Exception {
    Path file = writeAllTypes();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement();
        ResultSet rs =
            s.executeQuery(
                "SELECT id, typeof(ts), CAST(ts AS VARCHAR), CAST(day AS VARCHAR), s, d FROM"
                    + " read_parquet('"
                    + file
                    + "') ORDER BY id")) {
      assertTrue(rs.next());
      assertEquals("TIMESTAMP", rs.getString(2));
      assertEquals("2020-01-01 00:33:44", rs.getString(3));
      assertEquals("2020-02-29", rs.getString(4));
      assertEquals("héllo, \"x\"", rs.getString(5));
      assertTrue(rs.next());
      assertEquals("2020-03-08 02:30:00.123456", rs.getString(3));
      assertTrue(rs.next());
      assertEquals(null, rs.getString(3));
      assertEquals(null, rs.getObject(6));
    }
  }

  /**
   * Files written by DuckDB (other integer widths, decimals, TIMESTAMP, extra columns) read into a
   * target schema that asks for other types and a subset of columns, equal to what DuckDB sees.
   */
  @Test
  public void readsForeignFilesWithCoercion() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("foreign.parquet");
    Schema target =
        Schema.builder()
            .addNullableField("zone", FieldType.INT64)
            .addNullableField("amount", FieldType.DOUBLE)
            .addNullableField("count", FieldType.DOUBLE)
            .addNullableField("pickup", FieldType.logicalType(SqlTypes.DATETIME))
            .addField(
                Schema.Field.nullable("missing", FieldType.STRING)
                    .withOptions(
                        Schema.Options.builder()
                            .setOption(
                                dev.tripflow.spi.ColumnOptions.OPTIONAL, FieldType.BOOLEAN, true)))
            .build();
    List<Row> expected = new ArrayList<>();
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT CAST(i AS INTEGER) AS ZONE, CAST(i * 1.25 AS DECIMAL(10,2)) AS amount,"
              + " CAST(i AS BIGINT) * 1000000000000 AS count, 'x' || i AS unused,"
              + " CASE WHEN i % 3 = 0 THEN NULL ELSE TIMESTAMP '2020-03-08 02:00:00' + to_minutes(i)"
              + " END AS pickup FROM range(50) t(i)) TO '"
              + file
              + "' (FORMAT PARQUET)");
      try (ResultSet rs =
          s.executeQuery(
              "SELECT ZONE, CAST(amount AS DOUBLE), CAST(count AS DOUBLE),"
                  + " strftime(pickup, '%Y-%m-%dT%H:%M:%S') FROM read_parquet('"
                  + file
                  + "')")) {
        while (rs.next()) {
          String t = rs.getString(4);
          expected.add(
              Row.withSchema(target)
                  .addValues(
                      rs.getLong(1),
                      rs.getDouble(2),
                      rs.getDouble(3),
                      t == null ? null : LocalDateTime.parse(t),
                      null)
                  .build());
        }
      }
    }
    assertEquals(50, expected.size());
    PAssert.that(pipeline.apply(ParquetRows.read(file.toString(), target)))
        .containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();

    // Without the option, a column the file lacks is refused, naming the file and the column.
    Schema strict =
        Schema.builder()
            .addNullableField("zone", FieldType.INT64)
            .addNullableField("missing", FieldType.STRING)
            .build();
    IllegalArgumentException refused =
        assertThrows(IllegalArgumentException.class, () -> ParquetRowFileReader.open(file, strict));
    assertTrue(
        refused.getMessage(),
        refused.getMessage().contains("foreign.parquet: no column 'missing', which is needed"));
  }

  /** A required column the file lacks, or a fraction into an integer, names file and column. */
  @Test
  public void clearErrors() throws Exception {
    Path file = writeAllTypes();
    Schema needsMissing = Schema.builder().addField("nope", FieldType.INT64).build();
    IllegalArgumentException missing =
        assertThrows(
            IllegalArgumentException.class, () -> ParquetRowFileReader.open(file, needsMissing));
    assertTrue(
        missing.getMessage(), missing.getMessage().contains("all.parquet: no column 'nope'"));
    Schema fractionAsLong = Schema.builder().addNullableField("d", FieldType.INT64).build();
    try (ParquetRowFileReader r = ParquetRowFileReader.open(file, fractionAsLong)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class, r::next);
      assertTrue(e.getMessage(), e.getMessage().contains("all.parquet: column 'd': value 2.5"));
    }
    Schema stringAsLong = Schema.builder().addNullableField("s", FieldType.INT64).build();
    IllegalArgumentException type =
        assertThrows(
            IllegalArgumentException.class, () -> ParquetRowFileReader.open(file, stringAsLong));
    assertTrue(type.getMessage(), type.getMessage().contains("column 's': cannot read Parquet"));
  }

  private static List<Row> numbered(int n) {
    List<Row> rows = new ArrayList<>();
    for (long i = 0; i < n; i++) {
      rows.add(
          Row.withSchema(ALL_TYPES).addValues(i, null, null, "r" + i, null, null, null).build());
    }
    return rows;
  }

  private static void write(Path out, List<Row> rows, int shards) {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.of(rows).withRowSchema(ALL_TYPES))
        .apply(ParquetRows.write(out.toString()).withNumShards(shards));
    p.run().waitUntilFinish();
  }

  private static List<String> names(Path dir) throws Exception {
    try (Stream<Path> files = Files.list(dir)) {
      return files.map(f -> f.getFileName().toString()).sorted().toList();
    }
  }

  /**
   * Writing replaces tripflow's own output with exactly the new shards and their manifest; a
   * directory tripflow did not write is refused when the pipeline is built, untouched.
   */
  @Test
  public void writeReplacesDirectory() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("out");
    write(out, numbered(5), 2);
    assertEquals(List.of("_SUCCESS", "part-00000.parquet", "part-00001.parquet"), names(out));
    write(out, numbered(100), 3);
    assertEquals(
        List.of("_SUCCESS", "part-00000.parquet", "part-00001.parquet", "part-00002.parquet"),
        names(out));
    long total = 0;
    for (String n : names(out)) {
      if (n.endsWith(".parquet")) {
        try (ParquetRowFileReader r = ParquetRowFileReader.open(out.resolve(n), ALL_TYPES)) {
          total += r.rowCount();
        }
      }
    }
    assertEquals(100, total);
    assertEquals(100, dev.tripflow.io.output.Manifest.require(out.toString()).rows());
    assertEquals(List.of("out"), names(tmp.getRoot().toPath()));

    Path foreign = tmp.newFolder("foreign").toPath();
    Files.writeString(foreign.resolve("stale.parquet"), "old");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<Row> rows = p.apply(Create.of(numbered(3)).withRowSchema(ALL_TYPES));
    IllegalArgumentException refused =
        assertThrows(
            IllegalArgumentException.class,
            () -> rows.apply(ParquetRows.write(foreign.toString())));
    assertTrue(
        refused.getMessage(),
        refused.getMessage().contains("foreign: exists and was not written by tripflow"));
    assertEquals(List.of("stale.parquet"), names(foreign));
  }

  /** No rows still gives one valid, empty file. */
  @Test
  public void emptyInputWritesOneEmptyFile() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("empty");
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    p.apply(Create.empty(org.apache.beam.sdk.coders.RowCoder.of(ALL_TYPES)))
        .setRowSchema(ALL_TYPES)
        .apply(ParquetRows.write(out.toString()));
    p.run().waitUntilFinish();
    try (ParquetRowFileReader r =
        ParquetRowFileReader.open(out.resolve("part-00000.parquet"), null)) {
      assertEquals(0, r.rowCount());
      assertEquals(ALL_TYPES.getFieldNames(), r.schema().getFieldNames());
    }
  }

  /** A pipeline failing before the commit leaves the existing output as it was, byte for byte. */
  @Test
  public void failedRunLeavesTargetAlone() throws Exception {
    Path out = tmp.getRoot().toPath().resolve("keep");
    write(out, numbered(7), 1);
    byte[] data = Files.readAllBytes(out.resolve("part-00000.parquet"));
    byte[] manifest = Files.readAllBytes(out.resolve("_SUCCESS"));
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<Row> rows = p.apply(Create.of(allTypesRows()).withRowSchema(ALL_TYPES));
    PCollection<String> failingGate =
        rows.apply(
            "FailingCheck",
            MapElements.into(TypeDescriptors.strings())
                .via(
                    r -> {
                      if (r.getInt64("id") == 3L) {
                        throw new IllegalStateException("too many bad records");
                      }
                      return "ok";
                    }));
    rows.apply(ParquetRows.write(out.toString()).withCommitGate(failingGate));
    assertThrows(Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
    assertTrue(
        java.util.Arrays.equals(data, Files.readAllBytes(out.resolve("part-00000.parquet"))));
    assertTrue(java.util.Arrays.equals(manifest, Files.readAllBytes(out.resolve("_SUCCESS"))));
    assertEquals(List.of("_SUCCESS", "part-00000.parquet"), names(out));
  }
}
