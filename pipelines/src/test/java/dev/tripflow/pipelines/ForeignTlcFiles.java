package dev.tripflow.pipelines;

import java.nio.file.Path;

/**
 * TLC-shaped green and yellow Parquet written by DuckDB, not by tripflow: other integer widths,
 * decimals, columns in another order, extra columns, null zones and timestamps, DST-gap wall-clock
 * times, month edges, refunds and pickups outside the year.
 */
final class ForeignTlcFiles {
  private ForeignTlcFiles() {}

  /** Writes {@code dir/green.parquet} (3000 trips) and {@code dir/yellow.parquet} (4000). */
  static void write(DuckDbOracle duck, Path dir) throws Exception {
    write(duck, dir, 365 * 86_400L);
  }

  /** As {@link #write(DuckDbOracle, Path)}, most pickups within {@code spanSeconds} of 2020. */
  static void write(DuckDbOracle duck, Path dir, long spanSeconds) throws Exception {
    Path foreign = dir;
    duck.execute("SELECT setseed(0.25)");
    String trips =
        "SELECT CAST(1 + (random() * 2)::INT AS INTEGER) AS VendorID,"
            + " CASE WHEN i % 97 = 0 THEN NULL"
            + "  WHEN i % 89 = 0 THEN TIMESTAMP '2020-03-08 02:30:00'"
            + "  WHEN i % 83 = 0 THEN TIMESTAMP '2020-03-31 23:59:59.999999'"
            + "  WHEN i % 79 = 0 THEN TIMESTAMP '2009-01-01 00:00:00'"
            + "  ELSE TIMESTAMP '2020-03-07 12:00:00' + to_seconds(CAST(random() * "
            + spanSeconds
            + " AS BIGINT))"
            + " END AS pickup_ts,"
            + " CASE WHEN i % 61 = 0 THEN NULL ELSE CAST(1 + (random() * 29)::INT AS INTEGER)"
            + " END AS PULocationID,"
            + " CAST((random() * 264)::INT + 1 AS BIGINT) AS DOLocationID,"
            + " CASE WHEN i % 13 = 0 THEN NULL ELSE CAST((random() * 4)::INT AS BIGINT) END"
            + " AS passenger_count,"
            + " round(random() * 20, 2) AS trip_distance,"
            + " CASE WHEN i % 101 = 0 THEN -round(random() * 50, 2)"
            + "  ELSE round(random() * 50, 2) END AS fare_amount,"
            + " 0.5 AS extra, 0.5 AS mta_tax,"
            + " CASE WHEN i % 7 = 0 THEN NULL ELSE round(random() * 10, 2) END AS tip_amount,"
            + " 0.0 AS tolls_amount, 0.3 AS improvement_surcharge,"
            + " round(random() * 80, 2) AS total_amount,"
            + " CASE WHEN i % 11 = 0 THEN NULL ELSE 2.5 END AS congestion_surcharge,"
            + " 'N' AS store_and_fwd_flag, 1.0 AS RatecodeID, 1.0 AS trip_type, 42 AS extra_col,"
            + " CAST((random() * 3)::INT + 1 AS DOUBLE) AS payment_type"
            + " FROM range(3000) t(i)";
    duck.execute(
        "COPY (SELECT * EXCLUDE (pickup_ts),"
            + " pickup_ts AS lpep_pickup_datetime, pickup_ts + INTERVAL 10 MINUTE AS"
            + " lpep_dropoff_datetime FROM ("
            + trips
            + ")) TO '"
            + foreign
            + "/green.parquet' (FORMAT PARQUET)");
    duck.execute(
        "COPY (SELECT pickup_ts AS tpep_pickup_datetime, pickup_ts + INTERVAL 7 MINUTE AS"
            + " tpep_dropoff_datetime, * EXCLUDE (pickup_ts, trip_type) FROM ("
            + trips.replace("range(3000)", "range(4000)")
            + ")) TO '"
            + foreign
            + "/yellow.parquet' (FORMAT PARQUET)");
  }
}
