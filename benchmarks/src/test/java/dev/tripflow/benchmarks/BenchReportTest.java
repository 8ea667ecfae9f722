package dev.tripflow.benchmarks;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.Test;

/** The HTML report of {@code bench --html}: the table's medians, drawn and tabulated. */
public class BenchReportTest {
  private static Processes.Measurement run(double wall, long mib) {
    return new Processes.Measurement(wall, wall * 1.5, mib, 0, false, Path.of("log"));
  }

  /** Each engine's median wall time and peak memory is a bar, and the table is the markdown's. */
  @Test
  public void chartsAndTableHoldTheMedians() throws Exception {
    Bench.Options o = Bench.Options.parse(new String[] {"bench", "--runs=3", "--html=r.html"});
    assertEquals(Path.of("r.html"), o.html);
    Map<String, List<Processes.Measurement>> results = new LinkedHashMap<>();
    results.put("revenue-report|duckdb", List.of(run(1.0, 300), run(1.2, 310), run(0.8, 290)));
    results.put(
        "revenue-report|PartitionedRunner", List.of(run(3.0, 900), run(2.5, 950), run(4.0, 800)));
    Map<String, String> checks = new LinkedHashMap<>();
    checks.put("revenue-report|duckdb", "same as DuckDB");
    checks.put("revenue-report|PartitionedRunner", "same as DuckDB");
    checks.put("revenue-report|SparkRunner", "failed (exit 1, see log)");
    String table = Bench.table(o, results, checks);

    String html = BenchReport.html(o, results, checks, table);
    // Kept for a look in a browser.
    Files.writeString(Path.of("target", "bench-report-test.html"), html);

    assertEquals(2, html.split("<svg class=\"chart\"", -1).length - 1);
    assertTrue(html, html.contains(">3.00</text>")); // PartitionedRunner's median wall time
    assertTrue(html, html.contains(">1.00</text>")); // DuckDB's
    assertTrue(html, html.contains(">900</text>")); // PartitionedRunner's median peak MiB
    assertTrue(html, html.contains(">failed</text>"));
    assertTrue(html, html.contains("<td>revenue-report</td><td>PartitionedRunner</td>"));
    assertTrue(html, html.contains("<td class=\"n\">3.0x</td>"));
    assertTrue(html, !html.contains("http"));
  }
}
