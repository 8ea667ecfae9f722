package dev.tripflow.io.parquet;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Collectors;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** Pieces joined into one Parquet file hold exactly the pieces' rows, as DuckDB reads them. */
public class ParquetConcatenationTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Schema SCHEMA =
      Schema.builder()
          .addField("id", FieldType.INT64)
          .addNullableField("d", FieldType.DOUBLE)
          .addNullableField("s", FieldType.STRING)
          .addNullableField("ts", FieldType.logicalType(SqlTypes.DATETIME))
          .build();

  private Path piece(String name, long firstId, int rows, long seed) throws IOException {
    Path file = tmp.getRoot().toPath().resolve(name);
    Random random = new Random(seed);
    try (ParquetRowFileWriter w = ParquetRowFileWriter.open(file, SCHEMA)) {
      for (int i = 0; i < rows; i++) {
        boolean nulls = i % 7 == 3;
        w.write(
            Row.withSchema(SCHEMA)
                .addValues(
                    firstId + i,
                    nulls ? null : random.nextDouble() * 1e6,
                    nulls ? null : "z" + random.nextInt(300),
                    nulls
                        ? null
                        : LocalDateTime.of(2020, 1, 1, 0, 0).plusSeconds(random.nextInt(1 << 25)))
                .build());
      }
    }
    return file;
  }

  private static ResourceId id(Path p) {
    return FileSystems.matchNewResource(p.toString(), false);
  }

  private static long count(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static String list(List<Path> files) {
    return files.stream().map(f -> "'" + f + "'").collect(Collectors.joining(", ", "[", "]"));
  }

  /**
   * Large pieces keep their row groups (copied, with statistics); more small pieces than are copied
   * are re-encoded into one row group; the joined file has every row of every piece once, nulls
   * included.
   */
  @Test
  public void copiesLargeRowGroupsAndReencodesManySmallPieces() throws Exception {
    List<Path> large =
        List.of(piece("a.parquet", 0, 150_000, 1), piece("b.parquet", 1L << 32, 120_000, 2));
    List<Path> small = new ArrayList<>();
    int smallRows = 0;
    for (int i = 0; i <= ParquetConcatenation.MAX_SMALL_PIECES_COPIED; i++) {
      int rows = i == 1 ? 1 : 10 + 7 * i;
      small.add(piece("s" + i + ".parquet", (long) (i + 1) << 40, rows, 3 + i));
      smallRows += rows;
    }
    for (Path p : large) {
      assertTrue(
          p + " should be a large piece",
          java.nio.file.Files.size(p) >= ParquetConcatenation.SMALL_ROW_GROUP_BYTES);
    }
    List<Path> all = new ArrayList<>(large);
    all.addAll(small);
    // One row group per large piece, one for the re-encoded small ones.
    Path joined = join(all, 150_000 + 120_000 + smallRows, 3);
    try (ParquetRowFileReader r = ParquetRowFileReader.open(joined, SCHEMA)) {
      assertEquals(270_000 + smallRows, r.rowCount());
    }
  }

  /** A few small pieces (one per partition of a small output) are copied: a row group each. */
  @Test
  public void copiesAFewSmallPieces() throws Exception {
    List<Path> small =
        List.of(
            piece("c.parquet", 1L << 40, 10, 3),
            piece("d.parquet", 1L << 41, 1, 4),
            piece("e.parquet", 1L << 42, 25, 5));
    join(small, 36, 3);
  }

  /**
   * Joins the pieces and checks the result against them with DuckDB: the same rows (both ways,
   * duplicates counted), nulls kept, statistics on every row group, and the row groups expected.
   */
  private Path join(List<Path> all, long rows, long rowGroups) throws Exception {
    Path joined = tmp.getRoot().toPath().resolve("out/part-00000.parquet");
    java.nio.file.Files.createDirectories(joined.getParent());
    new ParquetConcatenation(SCHEMA)
        .concatenate(all.stream().map(ParquetConcatenationTest::id).toList(), id(joined));

    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      String pieces = "read_parquet(" + list(all) + ")";
      String out = "read_parquet('" + joined + "')";
      assertEquals(rows, count(s, "SELECT count(*) FROM " + out));
      assertEquals(
          0, count(s, "SELECT count(*) FROM (FROM " + pieces + " EXCEPT ALL FROM " + out + ")"));
      assertEquals(
          0, count(s, "SELECT count(*) FROM (FROM " + out + " EXCEPT ALL FROM " + pieces + ")"));
      assertEquals(
          count(s, "SELECT count(*) FROM " + pieces + " WHERE d IS NULL AND ts IS NULL"),
          count(s, "SELECT count(*) FROM " + out + " WHERE d IS NULL AND ts IS NULL"));
      assertEquals(
          rowGroups,
          count(s, "SELECT count(DISTINCT row_group_id) FROM parquet_metadata('" + joined + "')"));
      assertEquals(
          0,
          count(
              s,
              "SELECT count(*) FROM parquet_metadata('"
                  + joined
                  + "') WHERE path_in_schema = 'id' AND stats_min IS NULL"));
    }
    return joined;
  }

  /** A piece of another schema is refused, naming it. */
  @Test
  public void refusesPiecesOfAnotherSchema() throws Exception {
    Path a = piece("a.parquet", 0, 150_000, 1);
    Schema other = Schema.builder().addField("id", FieldType.INT64).build();
    Path b = tmp.getRoot().toPath().resolve("b.parquet");
    try (ParquetRowFileWriter w = ParquetRowFileWriter.open(b, other)) {
      for (long i = 0; i < 200_000; i++) {
        w.write(Row.withSchema(other).addValues(i * 7919 % 1_000_003 * 1_000_000_007L).build());
      }
    }
    Path joined = tmp.getRoot().toPath().resolve("joined.parquet");
    IOException e =
        assertThrows(
            IOException.class,
            () -> new ParquetConcatenation(SCHEMA).concatenate(List.of(id(a), id(b)), id(joined)));
    assertTrue(e.getMessage(), e.getMessage().startsWith(b + ": its schema differs"));
  }
}
