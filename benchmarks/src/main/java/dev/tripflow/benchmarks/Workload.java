package dev.tripflow.benchmarks;

import dev.tripflow.transforms.TaxiSchemas;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.Schema;

/**
 * A benchmarked workload: the tripflow command that runs it, the course's SQL that computes the
 * same result in DuckDB and Spark, and the columns its rows are ordered by when outputs are
 * compared.
 */
enum Workload {
  REVENUE_REPORT("revenue-report", List.of("revenue_zone", "revenue_month", "service_type")),
  HOURLY_REVENUE("hourly-revenue", List.of("hour", "zone")),
  ZONE_REVENUE("zone-revenue", List.of("hour", "zone")),
  INGEST("ingest", List.of("tpep_pickup_datetime", "PULocationID"));

  final String command;
  final List<String> orderColumns;

  Workload(String command, List<String> orderColumns) {
    this.command = command;
    this.orderColumns = orderColumns;
  }

  static Workload of(String name) {
    for (Workload w : values()) {
      if (w.command.equals(name.trim().toLowerCase(Locale.ROOT))) {
        return w;
      }
    }
    throw new IllegalArgumentException(
        "unknown workload '" + name + "'; the workloads are " + names());
  }

  static List<String> names() {
    List<String> names = new ArrayList<>();
    for (Workload w : values()) {
      names.add(w.command);
    }
    return names;
  }

  /** The tripflow command line (without the runner options) writing into {@code output}. */
  List<String> tripflowArgs(Layout data, Path output) {
    switch (this) {
      case REVENUE_REPORT:
      case HOURLY_REVENUE:
        return List.of(
            command,
            "--inputGreen=" + data.greenGlob(),
            "--inputYellow=" + data.yellowGlob(),
            "--output=" + output);
      case ZONE_REVENUE:
        return List.of(command, "--input=" + data.hourlyInput(), "--output=" + output);
      default:
        return List.of(
            command,
            "--input=" + data.yellowCsvGlob(),
            "--schema=yellow",
            "--output=" + output,
            "--shards=" + INGEST_SHARDS);
    }
  }

  /** The files an ingest writes: the course's repartition(24). */
  static final int INGEST_SHARDS = 24;

  /** The query, over the views green, yellow, zones, hourly and yellow_csv. */
  String sql() {
    switch (this) {
      case REVENUE_REPORT:
        return "WITH trips_data AS ("
            + normalised("green", "lpep")
            + " UNION ALL "
            + normalised("yellow", "tpep")
            + ") "
            // The course names the averages avg_montly_*; tripflow spells them avg_monthly_*.
            + course("revenue_report.sql").replace("avg_montly_", "avg_monthly_");
      case HOURLY_REVENUE:
        return "WITH g AS ("
            + course("hourly_revenue_green.sql")
            + "), y AS ("
            + course("hourly_revenue_yellow.sql")
            + ") SELECT COALESCE(g.hour, y.hour) AS hour, COALESCE(g.zone, y.zone) AS zone,"
            + " g.amount AS green_amount, g.number_records AS green_number_records,"
            + " y.amount AS yellow_amount, y.number_records AS yellow_number_records"
            + " FROM g FULL OUTER JOIN y ON g.hour = y.hour AND g.zone = y.zone";
      case ZONE_REVENUE:
        return "SELECT h.*, z.Borough AS borough, z.Zone AS zone_name, z.service_zone"
            + " FROM hourly h JOIN zones z ON h.zone = z.LocationID";
      default:
        return "SELECT * FROM yellow_csv";
    }
  }

  private static final String[] COMMON = {
    "VendorID",
    "pickup_datetime",
    "dropoff_datetime",
    "store_and_fwd_flag",
    "RatecodeID",
    "PULocationID",
    "DOLocationID",
    "passenger_count",
    "trip_distance",
    "fare_amount",
    "extra",
    "mta_tax",
    "tip_amount",
    "tolls_amount",
    "improvement_surcharge",
    "total_amount",
    "payment_type",
    "congestion_surcharge"
  };

  private static String normalised(String table, String prefix) {
    StringBuilder b = new StringBuilder("SELECT ");
    for (String c : COMMON) {
      if (c.endsWith("_datetime")) {
        b.append(prefix).append('_').append(c).append(" AS ").append(c);
      } else if (c.equals("payment_type")) {
        b.append("CAST(payment_type AS DOUBLE) AS payment_type");
      } else {
        b.append(c);
      }
      b.append(", ");
    }
    return b.append("'").append(table).append("' AS service_type FROM ").append(table).toString();
  }

  private static String course(String file) {
    try (InputStream in =
        Workload.class.getResourceAsStream("/dev/tripflow/benchmarks/course/" + file)) {
      if (in == null) {
        throw new IllegalStateException("the course SQL " + file + " is not on the classpath");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8).replaceAll("--[^\n]*", "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The yellow CSV columns as SQL types, for the engines' explicit CSV schemas. */
  static List<String[]> yellowCsvColumns(boolean spark) {
    List<String[]> columns = new ArrayList<>();
    for (Schema.Field f : TaxiSchemas.YELLOW.getFields()) {
      String type;
      switch (f.getType().getTypeName()) {
        case INT64:
          type = "BIGINT";
          break;
        case DOUBLE:
          type = "DOUBLE";
          break;
        case STRING:
          type = spark ? "STRING" : "VARCHAR";
          break;
        default:
          type = spark ? "TIMESTAMP_NTZ" : "TIMESTAMP";
      }
      columns.add(new String[] {f.getName(), type});
    }
    return columns;
  }

  /** Where a benchmark's data lies. */
  record Layout(Path data, Path hourlyInput, Path zonesCsv) {
    String greenGlob() {
      return data.resolve("pq/green/*/*/*.parquet").toString();
    }

    String yellowGlob() {
      return data.resolve("pq/yellow/*/*/*.parquet").toString();
    }

    /** The ingest's input: one month of yellow CSV, January (the largest), as the course does. */
    String yellowCsvGlob() {
      return data.resolve("raw/yellow/*/01/*.csv.gz").toString();
    }
  }
}
