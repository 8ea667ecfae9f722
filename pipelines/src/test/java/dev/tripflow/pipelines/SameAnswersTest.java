package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Every workload gives the same output on the PartitionedRunner (with 1 and with 3 partitions),
 * Beam's DirectRunner and an embedded FlinkRunner, on one small generated sample. Doubles agree to
 * a relative 1e-12 (sums in the rdd and sql styles add in partition order); everything else
 * exactly.
 */
public class SameAnswersTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String[][] RUNNERS = {
    {"--runner=PartitionedRunner", "--partitions=3"},
    {"--runner=PartitionedRunner", "--partitions=1"},
    {"--runner=DirectRunner"},
    {"--runner=FlinkRunner", "--parallelism=2"},
  };

  private static Path data;

  @BeforeClass
  public static void generate() throws Exception {
    data = TMP.newFolder("data").toPath();
    Cli.ok(
        "generate",
        "--output=" + data,
        "--rows=1500",
        "--fhvhvRows=300",
        "--malformedFraction=0.01");
  }

  /** Runs one command on every runner; returns each runner's output rows. */
  private static List<List<List<Object>>> onEveryRunner(String name, String... args)
      throws Exception {
    List<List<List<Object>>> results = new ArrayList<>();
    for (int r = 0; r < RUNNERS.length; r++) {
      Path out = TMP.getRoot().toPath().resolve(name + "-" + r);
      List<String> all = new ArrayList<>(Arrays.asList(args));
      all.add("--output=" + out);
      all.addAll(Arrays.asList(RUNNERS[r]));
      Cli.ok(all.toArray(new String[0]));
      results.add(rows(out));
    }
    return results;
  }

  private static List<List<Object>> rows(Path dir) throws Exception {
    try (DuckDbOracle duck = new DuckDbOracle()) {
      String source = "read_parquet('" + dir + "/*.parquet')";
      List<String> select = new ArrayList<>();
      for (List<Object> col :
          duck.query(
              "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + source + ")")) {
        String c = "\"" + col.get(0) + "\"";
        String type = (String) col.get(1);
        select.add(
            type.equals("DOUBLE") || type.equals("BIGINT") || type.equals("INTEGER")
                ? c
                : "CAST(" + c + " AS VARCHAR)");
      }
      return duck.query(
          "SELECT " + String.join(", ", select) + " FROM " + source + " ORDER BY ALL");
    }
  }

  private static void assertAllSame(String what, List<List<List<Object>>> results) {
    List<List<Object>> first = results.get(0);
    assertTrue(what + ": no rows", first.size() > 0);
    for (int r = 1; r < results.size(); r++) {
      List<List<Object>> other = results.get(r);
      String who = what + " on " + String.join(" ", RUNNERS[r]);
      assertEquals(who + ": row count", first.size(), other.size());
      for (int i = 0; i < first.size(); i++) {
        List<Object> a = first.get(i);
        List<Object> b = other.get(i);
        for (int c = 0; c < a.size(); c++) {
          Object x = a.get(c);
          Object y = b.get(c);
          if (x instanceof Double dx && y instanceof Double dy) {
            assertTrue(
                who + ": row " + i + " column " + c + ": " + dx + " vs " + dy,
                Math.abs(dx - dy) <= 1e-12 * Math.max(Math.abs(dx), Math.abs(dy)) + 1e-12);
          } else {
            assertEquals(who + ": row " + i + " column " + c, x, y);
          }
        }
      }
    }
  }

  private static String green() {
    return "--inputGreen=" + data + "/pq/green/*/*/*.parquet";
  }

  private static String yellow() {
    return "--inputYellow=" + data + "/pq/yellow/*/*/*.parquet";
  }

  @Test
  public void revenueReport() throws Exception {
    assertAllSame("revenue-report", onEveryRunner("revenue", "revenue-report", green(), yellow()));
  }

  @Test
  public void hourlyRevenueInEveryStyleAndZones() throws Exception {
    List<List<List<Object>>> all = new ArrayList<>();
    for (String style : new String[] {"schema", "rdd", "sql"}) {
      List<List<List<Object>>> results =
          onEveryRunner("hourly-" + style, "hourly-revenue", green(), yellow(), "--style=" + style);
      assertAllSame("hourly-revenue --style=" + style, results);
      all.add(results.get(0));
    }
    assertAllSame("hourly-revenue styles", all);
    assertAllSame(
        "zone-revenue",
        onEveryRunner(
            "zones",
            "zone-revenue",
            "--input=" + TMP.getRoot().toPath().resolve("hourly-schema-0")));
  }

  @Test
  public void predictDurationAndSql() throws Exception {
    assertAllSame(
        "predict-duration",
        onEveryRunner(
            "predict",
            "predict-duration",
            "--input=" + data + "/pq/yellow/*/*/*.parquet",
            "--batchSize=100"));
    assertAllSame(
        "sql",
        onEveryRunner(
            "sql",
            "sql",
            "--table=fhv=" + data + "/pq/fhvhv/*/*/*.parquet",
            "--query=SELECT date_trunc('month', pickup_datetime) AS m, crazy_stuff(dispatching_base_num)"
                + " AS b, COUNT(*) AS n FROM fhv GROUP BY 1, 2"));
  }

  @Test
  public void ingestKeepsEveryGoodRow() throws Exception {
    Path csv;
    try (var files = Files.walk(data.resolve("raw/fhvhv"))) {
      csv = files.filter(f -> f.toString().endsWith(".csv.gz")).sorted().findFirst().orElseThrow();
    }
    assertAllSame(
        "ingest",
        onEveryRunner("ingest", "ingest", "--input=" + csv, "--schema=fhvhv", "--shards=3"));
  }
}
