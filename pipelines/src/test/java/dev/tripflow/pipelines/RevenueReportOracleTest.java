package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The monthly revenue report equals DuckDB running the course's SQL over the same Parquet files:
 * generated data (nulls, pickups outside the year, refunds) and TLC-shaped files written by DuckDB
 * itself with other physical types.
 */
public class RevenueReportOracleTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static Path data;

  @BeforeClass
  public static void generate() throws Exception {
    data = TMP.newFolder("data").toPath();
    SampleData.generate(
        SampleData.Spec.parse(
            data.toString(), 2020, 12_000, 0, 0, "green,yellow", "parquet", 7, 2_000, 0, 2),
        System.out);
  }

  static String ourReport(DuckDbOracle duck, Path out) throws Exception {
    return "SELECT revenue_zone, CAST(revenue_month AS VARCHAR), service_type,"
        + " revenue_monthly_fare, revenue_monthly_extra, revenue_monthly_mta_tax,"
        + " revenue_monthly_tip_amount, revenue_monthly_tolls_amount,"
        + " revenue_monthly_improvement_surcharge, revenue_monthly_total_amount,"
        + " revenue_monthly_congestion_surcharge, avg_monthly_passenger_count,"
        + " avg_monthly_trip_distance FROM read_parquet('"
        + out
        + "/*.parquet')";
  }

  /** The course's trips_data view: 18 common columns of green and yellow plus service_type. */
  private static void createTripsData(DuckDbOracle duck, String green, String yellow)
      throws Exception {
    createTripsDataFrom(
        duck, "read_parquet('" + green + "')", "read_parquet('" + yellow + "')", "true");
  }

  /**
   * The course's trips_data view over two SQL relations (e.g. {@code read_parquet([...])}), keeping
   * the trips for which {@code where} holds.
   */
  static void createTripsDataFrom(DuckDbOracle duck, String green, String yellow, String where)
      throws Exception {
    String common =
        "VendorID, pickup_datetime, dropoff_datetime, store_and_fwd_flag, RatecodeID,"
            + " PULocationID, DOLocationID, passenger_count, trip_distance, fare_amount, extra,"
            + " mta_tax, tip_amount, tolls_amount, improvement_surcharge, total_amount,"
            + " payment_type, congestion_surcharge";
    duck.execute(
        "CREATE OR REPLACE VIEW trips_data AS SELECT * FROM (SELECT "
            + common
            + ", 'green' AS service_type FROM (SELECT * RENAME (lpep_pickup_datetime AS"
            + " pickup_datetime, lpep_dropoff_datetime AS dropoff_datetime) FROM "
            + green
            + ")"
            + " UNION ALL SELECT "
            + common
            + ", 'yellow' AS service_type FROM (SELECT * RENAME (tpep_pickup_datetime AS"
            + " pickup_datetime, tpep_dropoff_datetime AS dropoff_datetime) FROM "
            + yellow
            + ")) WHERE "
            + where);
  }

  static List<List<Object>> oracleReport(DuckDbOracle duck) throws Exception {
    String course = DuckDbOracle.courseSql("revenue_report.sql");
    return duck.query(
        "SELECT revenue_zone, CAST(revenue_month AS VARCHAR), service_type,"
            + " revenue_monthly_fare, revenue_monthly_extra, revenue_monthly_mta_tax,"
            + " revenue_monthly_tip_amount, revenue_monthly_tolls_amount,"
            + " revenue_monthly_improvement_surcharge, revenue_monthly_total_amount,"
            + " revenue_monthly_congestion_surcharge, avg_montly_passenger_count,"
            + " avg_montly_trip_distance FROM ("
            + course
            + ")");
  }

  private static Path runReport(String green, String yellow, String outName) {
    Path out = TMP.getRoot().toPath().resolve(outName);
    RevenueReport.Options options = PipelineOptionsFactory.as(RevenueReport.Options.class);
    options.setRunner(dev.tripflow.runners.RunnerPresets.defaultRunner());
    options.setInputGreen(green);
    options.setInputYellow(yellow);
    options.setOutput(out.toString());
    RevenueReport.run(options);
    return out;
  }

  /** On generated 2020 data the report matches DuckDB row for row and is one Parquet file. */
  @Test
  public void matchesDuckDbOnGeneratedData() throws Exception {
    String green = data + "/pq/green/*/*/*.parquet";
    String yellow = data + "/pq/yellow/*/*/*.parquet";
    Path out = runReport(green, yellow, "report-generated");
    try (Stream<Path> files = Files.list(out)) {
      assertEquals(1, files.filter(p -> p.toString().endsWith(".parquet")).count());
    }
    try (DuckDbOracle duck = new DuckDbOracle()) {
      createTripsData(duck, green, yellow);
      List<List<Object>> expected = oracleReport(duck);
      List<List<Object>> actual = duck.query(ourReport(duck, out));
      assertTrue("report too small to mean much: " + expected.size(), expected.size() > 500);
      // The generated data has the cases that matter: out-of-year months and null amounts.
      assertTrue(expected.stream().anyMatch(r -> String.valueOf(r.get(1)).startsWith("2009")));
      assertTrue(expected.stream().anyMatch(r -> String.valueOf(r.get(1)).startsWith("2021")));
      assertTrue(
          duck.query(
                  "SELECT typeof(revenue_month) FROM read_parquet('" + out + "/*.parquet') LIMIT 1")
              .get(0)
              .get(0)
              .equals("TIMESTAMP"));
      DuckDbOracle.assertSameRows(expected, actual, 3);
    }
  }

  /**
   * TLC-shaped files written by DuckDB, not by tripflow: other integer widths, columns in another
   * order, extra columns, null zones and timestamps, DST-gap wall-clock times, month edges.
   */
  @Test
  public void matchesDuckDbOnForeignParquet() throws Exception {
    Path foreign = TMP.newFolder("foreign").toPath();
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, foreign);
      String green = foreign + "/green.parquet";
      String yellow = foreign + "/yellow.parquet";
      Path out = runReport(green, yellow, "report-foreign");
      createTripsData(duck, green, yellow);
      List<List<Object>> expected = oracleReport(duck);
      assertTrue(expected.stream().anyMatch(r -> r.get(0) == null));
      assertTrue(expected.stream().anyMatch(r -> r.get(1) == null));
      DuckDbOracle.assertSameRows(expected, duck.query(ourReport(duck, out)), 3);
    }
  }
}
