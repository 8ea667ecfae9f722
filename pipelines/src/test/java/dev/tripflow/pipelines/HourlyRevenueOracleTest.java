package dev.tripflow.pipelines;

import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Hourly revenue and the green/yellow outer join equal DuckDB running the course's SQL and a full
 * outer join on the same files, in both implementations (schema and rdd), which therefore agree.
 */
public class HourlyRevenueOracleTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final String SIDE =
      "CASE WHEN green_number_records IS NULL THEN 'y'"
          + " WHEN yellow_number_records IS NULL THEN 'g' ELSE 'b' END";

  static List<List<Object>> ours(DuckDbOracle duck, Path out) throws Exception {
    return duck.query(
        "SELECT CAST(hour AS VARCHAR), zone, "
            + SIDE
            + ", green_amount, green_number_records, yellow_amount, yellow_number_records"
            + " FROM read_parquet('"
            + out
            + "/*.parquet')");
  }

  private static List<List<Object>> oracle(DuckDbOracle duck, String green, String yellow)
      throws Exception {
    duck.execute("CREATE OR REPLACE VIEW green AS SELECT * FROM read_parquet('" + green + "')");
    duck.execute("CREATE OR REPLACE VIEW yellow AS SELECT * FROM read_parquet('" + yellow + "')");
    return oracleOfViews(duck);
  }

  /** The joined hourly revenue over the views {@code green} and {@code yellow}. */
  static List<List<Object>> oracleOfViews(DuckDbOracle duck) throws Exception {
    String g = DuckDbOracle.courseSql("hourly_revenue_green.sql");
    String y = DuckDbOracle.courseSql("hourly_revenue_yellow.sql");
    return duck.query(
        "WITH g AS ("
            + g
            + "), y AS ("
            + y
            + "), joined AS (SELECT COALESCE(g.hour, y.hour) AS hour, COALESCE(g.zone, y.zone) AS"
            + " zone, g.amount AS green_amount, g.number_records AS green_number_records,"
            + " y.amount AS yellow_amount, y.number_records AS yellow_number_records"
            + " FROM g FULL OUTER JOIN y ON g.hour = y.hour AND g.zone = y.zone)"
            + " SELECT CAST(hour AS VARCHAR), zone, "
            + SIDE
            + ", green_amount, green_number_records, yellow_amount, yellow_number_records"
            + " FROM joined");
  }

  private static Path run(String green, String yellow, String style, String name) {
    Path out = TMP.getRoot().toPath().resolve(name);
    org.apache.beam.sdk.options.PipelineOptions options = PipelineOptionsFactory.create();
    options.setRunner(dev.tripflow.runners.RunnerPresets.defaultRunner());
    Pipeline p = Pipeline.create(options);
    HourlyRevenue.apply(p, green, yellow, style, LocalDateTime.of(2020, 1, 1, 0, 0))
        .joined()
        .apply(dev.tripflow.io.parquet.ParquetRows.write(out.toString()));
    p.run().waitUntilFinish();
    return out;
  }

  /** Both styles match DuckDB on foreign TLC files with null zones and pre-2020 pickups. */
  @Test
  public void bothStylesMatchDuckDb() throws Exception {
    Path foreign = TMP.newFolder("foreign").toPath();
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, foreign, 86_400L);
      String green = foreign + "/green.parquet";
      String yellow = foreign + "/yellow.parquet";
      List<List<Object>> expected = oracle(duck, green, yellow);
      assertTrue(expected.size() > 300);
      assertTrue("null zones present", expected.stream().anyMatch(r -> r.get(1) == null));
      assertTrue(expected.stream().anyMatch(r -> "g".equals(r.get(2))));
      assertTrue(expected.stream().anyMatch(r -> "y".equals(r.get(2))));
      assertTrue(expected.stream().anyMatch(r -> "b".equals(r.get(2))));
      for (String style : new String[] {"schema", "rdd", "sql"}) {
        Path out = run(green, yellow, style, "hourly-" + style);
        DuckDbOracle.assertSameRows(expected, ours(duck, out), 3);
      }
    }
  }
}
