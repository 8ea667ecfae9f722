package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code tripflow ingest} end to end through the launcher: generated FHVHV CSV with malformed lines
 * becomes 24 Parquet files holding every good row, checked against DuckDB reading the same CSV.
 */
public class IngestTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private int run(String... args) {
    ByteArrayOutputStream sink = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        PipelineCommands.run(
            args,
            new PrintStream(sink, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(err.toString(StandardCharsets.UTF_8), 0, code);
    return code;
  }

  private static long count(DuckDbOracle duck, String sql) throws Exception {
    return ((Number) duck.query(sql).get(0).get(0)).longValue();
  }

  /** Every good line lands in one of 24 files; exactly the malformed lines are dead letters. */
  @Test
  public void fhvhvMonthToTwentyFourFiles() throws Exception {
    Path data = tmp.newFolder("data").toPath();
    run(
        "generate",
        "--output=" + data,
        "--year=2021",
        "--services=fhvhv",
        "--fhvhvRows=40000",
        "--formats=csv",
        "--malformedFraction=0.002");
    Path csv = data.resolve("raw/fhvhv/2021/01/fhvhv_tripdata_2021_01.csv.gz");
    Path out = tmp.getRoot().toPath().resolve("fhvhv/2021/01");
    run("ingest", "--input=" + csv, "--schema=fhvhv", "--output=" + out, "--shards=24");

    List<Path> files;
    try (Stream<Path> s = Files.list(out)) {
      files = s.filter(f -> !f.getFileName().toString().equals("_SUCCESS")).sorted().toList();
    }
    assertEquals(24, files.size());
    assertTrue(files.stream().allMatch(f -> f.getFileName().toString().endsWith(".parquet")));
    try (DuckDbOracle duck = new DuckDbOracle()) {
      String columns =
          "{'hvfhs_license_num': 'VARCHAR', 'dispatching_base_num': 'VARCHAR',"
              + " 'pickup_datetime': 'TIMESTAMP', 'dropoff_datetime': 'TIMESTAMP',"
              + " 'PULocationID': 'BIGINT', 'DOLocationID': 'BIGINT', 'SR_Flag': 'VARCHAR'}";
      duck.execute(
          "CREATE TABLE oracle AS SELECT * FROM read_csv('"
              + csv
              + "', header=true, columns="
              + columns
              + ", timestampformat='%Y-%m-%d %H:%M:%S', ignore_errors=true)");
      duck.execute("CREATE TABLE ours AS SELECT * FROM read_parquet('" + out + "/*.parquet')");
      long lines =
          count(
              duck,
              "SELECT count(*) FROM read_csv('"
                  + csv
                  + "', header=true, all_varchar=true, null_padding=true)");
      long oracleRows = count(duck, "SELECT count(*) FROM oracle");
      long dead =
          count(duck, "SELECT count(*) FROM read_csv('" + out + "-rejected/*.csv', header=true)");
      assertTrue("the generator wrote malformed lines", lines > oracleRows);
      assertEquals(oracleRows, count(duck, "SELECT count(*) FROM ours"));
      assertEquals(lines - oracleRows, dead);
      assertEquals(
          0,
          count(duck, "SELECT count(*) FROM (SELECT * FROM oracle EXCEPT ALL SELECT * FROM ours)"));
      assertEquals(
          0,
          count(duck, "SELECT count(*) FROM (SELECT * FROM ours EXCEPT ALL SELECT * FROM oracle)"));
    }
  }

  /** A CSV with exactly 3 broken lines: 3 dead letters, every other line lands. */
  @Test
  public void threeBrokenLines() throws Exception {
    Path csv = tmp.getRoot().toPath().resolve("zones.csv");
    Files.writeString(
        csv,
        "\"LocationID\",\"Borough\",\"Zone\",\"service_zone\"\n"
            + "1,\"EWR\",\"Newark Airport\",\"EWR\"\n"
            + "2,\"Queens\",\"Jamaica Bay\"\n"
            + "x,\"Bronx\",\"Allerton\",\"Boro Zone\"\n"
            + "4,\"Manhattan\",\"Alphabet City\",\"Yellow Zone\"\n"
            + ",\"Unknown\",\"NV\",\"N/A\"\n"
            + "265,\"Unknown\",\"NA\",\"N/A\"\n");
    Path out = tmp.getRoot().toPath().resolve("zones");
    run("ingest", "--input=" + csv, "--schema=zones", "--output=" + out, "--shards=2");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      assertEquals(
          List.of(List.of(1L), List.of(4L), List.of(265L)),
          duck.query("SELECT LocationID FROM read_parquet('" + out + "/*.parquet') ORDER BY 1"));
      assertEquals(
          List.of(
              List.of(3L, "expected 4 fields, found 3"),
              List.of(4L, "column 'LocationID': not a BIGINT: 'x'"),
              List.of(6L, "column 'LocationID': empty but required")),
          duck.query(
              "SELECT line, reason FROM read_csv('"
                  + out
                  + "-rejected/*.csv', header=true) ORDER BY line"));
    }
  }
}
