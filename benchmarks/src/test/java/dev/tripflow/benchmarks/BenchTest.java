package dev.tripflow.benchmarks;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The bench command's output check, and a small whole benchmark run. */
public class BenchTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private Path report(String name, String rows) throws Exception {
    Path dir = tmp.getRoot().toPath().resolve(name);
    Files.createDirectories(dir);
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute(
          "COPY (SELECT revenue_zone, revenue_month, service_type, CAST(total AS DOUBLE) AS total"
              + " FROM (VALUES "
              + rows
              + ") t(revenue_zone, revenue_month, service_type, total)) TO '"
              + dir.resolve("part-00000.parquet")
              + "' (FORMAT parquet)");
    }
    return dir;
  }

  /** --probe measures each kind of work alone and on N threads at once, and prints a table. */
  @Test
  public void probeMeasuresEveryWorkAloneAndTogether() throws Exception {
    assertTrue(Bench.Options.parse(new String[] {"bench", "--probe", "--threads=3"}).probe);
    java.util.List<CoreProbe.Row> rows = CoreProbe.measure(3, 0.01);
    assertEquals(3, rows.size());
    for (CoreProbe.Row r : rows) {
      assertTrue(r.work() + " alone", r.alone() > 0);
      assertEquals(3, r.together().length);
      for (double t : r.together()) {
        assertTrue(r.work() + " together", t > 0);
      }
    }
    String[] lines = CoreProbe.table(rows, 3).split("\\R");
    assertEquals(5, lines.length);
    assertTrue(lines[0], lines[0].contains("3 threads at once"));
    assertTrue(
        lines[2],
        lines[2].matches(
            "\\| compute loop .* \\| [0-9.]+ \\| [0-9.]+, [0-9.]+, [0-9.]+ \\| [0-9.]+x \\|"));
  }

  /** Equal rows pass (doubles within 1e-9), a changed value or a missing row does not. */
  @Test
  public void checkAcceptsEqualRowsAndCatchesDifferences() throws Exception {
    String base =
        "(1, TIMESTAMP '2020-01-01', 'green', 100.25), (NULL, TIMESTAMP '2020-02-01', 'yellow',"
            + " 7.5), (2, NULL, 'green', NULL)";
    Path reference = report("reference", base);
    Path same =
        report(
            "same",
            "(2, NULL, 'green', NULL), (1, TIMESTAMP '2020-01-01', 'green', 100.25000000000001),"
                + " (NULL, TIMESTAMP '2020-02-01', 'yellow', 7.5)");
    Path changed =
        report(
            "changed",
            "(1, TIMESTAMP '2020-01-01', 'green', 100.2501), (NULL, TIMESTAMP '2020-02-01',"
                + " 'yellow', 7.5), (2, NULL, 'green', NULL)");
    Path missing = report("missing", "(1, TIMESTAMP '2020-01-01', 'green', 100.25)");
    Path otherMonth =
        report(
            "month",
            "(1, TIMESTAMP '2020-01-01 01:00', 'green', 100.25), (NULL, TIMESTAMP '2020-02-01',"
                + " 'yellow', 7.5), (2, NULL, 'green', NULL)");

    assertEquals("", OutputCheck.compare(Workload.REVENUE_REPORT, reference, same));
    assertEquals(
        "1 of 3 rows differ", OutputCheck.compare(Workload.REVENUE_REPORT, reference, changed));
    assertEquals(
        "1 rows instead of 3", OutputCheck.compare(Workload.REVENUE_REPORT, reference, missing));
    assertEquals(
        "1 of 3 rows differ", OutputCheck.compare(Workload.REVENUE_REPORT, reference, otherMonth));
  }

  /**
   * A whole benchmark on a few thousand generated trips: data generated, DuckDB references, the
   * report and the hourly join on the PartitionedRunner checked against them, and the table.
   */
  @Test
  public void smallBenchmarkChecksOutputsAgainstDuckDb() throws Exception {
    Path repo = Path.of("").toAbsolutePath().getParent();
    System.setProperty("tripflow.root", repo.toString());
    Bench.Options o =
        Bench.Options.parse(
            new String[] {
              "bench",
              "--rows=3000",
              "--work=" + tmp.getRoot().toPath().resolve("work"),
              "--workloads=revenue-report,hourly-revenue,zone-revenue",
              "--runners=PartitionedRunner",
              "--baselines=duckdb",
              "--runs=1",
              "--heap=1g"
            });
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    PrintStream original = System.out;
    int exit;
    try {
      System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
      exit = Bench.run(o);
    } finally {
      System.setOut(original);
    }
    String output = captured.toString(StandardCharsets.UTF_8);
    original.println(output);
    assertEquals(output, 0, exit);
    for (String w : new String[] {"revenue-report", "hourly-revenue", "zone-revenue"}) {
      assertTrue(output, output.contains("| " + w + " | PartitionedRunner | 1 |"));
    }
    assertEquals(output, 6, output.split("same as DuckDB \\|", -1).length - 1);
  }
}
