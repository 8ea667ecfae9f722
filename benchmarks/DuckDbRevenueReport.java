import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;

/**
 * The reference for the revenue-report benchmark: DuckDB runs the course's revenue SQL over the
 * same green and yellow Parquet files and writes the report as one Parquet file, in one process.
 *
 * <pre>
 * java -cp ~/.m2/repository/org/duckdb/duckdb_jdbc/1.5.6.0/duckdb_jdbc-1.5.6.0.jar \
 *     benchmarks/DuckDbRevenueReport.java 'D/pq/green/*&#47;*&#47;*.parquet' 'D/pq/yellow/*&#47;*&#47;*.parquet' OUT.parquet
 * </pre>
 */
public final class DuckDbRevenueReport {
  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: DuckDbRevenueReport GREEN_GLOB YELLOW_GLOB OUT.parquet");
      System.exit(2);
    }
    long start = System.nanoTime();
    String common =
        "VendorID, pickup_datetime, dropoff_datetime, store_and_fwd_flag, RatecodeID,"
            + " PULocationID, DOLocationID, passenger_count, trip_distance, fare_amount, extra,"
            + " mta_tax, tip_amount, tolls_amount, improvement_surcharge, total_amount,"
            + " payment_type, congestion_surcharge";
    String sql =
        Files.readString(Path.of("pipelines/src/test/resources/course/revenue_report.sql"));
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute("SET threads TO " + Runtime.getRuntime().availableProcessors());
      s.execute(
          "CREATE VIEW trips_data AS SELECT "
              + common
              + ", 'green' AS service_type FROM (SELECT * RENAME (lpep_pickup_datetime AS"
              + " pickup_datetime, lpep_dropoff_datetime AS dropoff_datetime) FROM read_parquet('"
              + args[0]
              + "')) UNION ALL SELECT "
              + common
              + ", 'yellow' AS service_type FROM (SELECT * RENAME (tpep_pickup_datetime AS"
              + " pickup_datetime, tpep_dropoff_datetime AS dropoff_datetime) FROM read_parquet('"
              + args[1]
              + "'))");
      s.execute("COPY (" + sql + ") TO '" + args[2] + "' (FORMAT PARQUET)");
    }
    System.out.printf("duckdb revenue report: %.1f s%n", (System.nanoTime() - start) / 1e9);
  }
}
