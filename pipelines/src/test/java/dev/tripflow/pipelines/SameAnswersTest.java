package dev.tripflow.pipelines;

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
    return OutputRows.of(dir);
  }

  private static void assertAllSame(String what, List<List<List<Object>>> results) {
    for (int r = 1; r < results.size(); r++) {
      OutputRows.assertSame(
          what + " on " + String.join(" ", RUNNERS[r]), results.get(0), results.get(r));
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
