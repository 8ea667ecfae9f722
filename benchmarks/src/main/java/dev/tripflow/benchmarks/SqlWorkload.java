package dev.tripflow.benchmarks;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.stream.Collectors;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.SaveMode;
import org.apache.spark.sql.SparkSession;

/**
 * Runs one workload's SQL in a reference engine, as its own process in a benchmark: DuckDB (the
 * near-limit reference) or Spark's own engine in {@code local[N]} (what the course uses), reading
 * the same files and writing Parquet into a directory.
 *
 * <pre>
 * java -cp $(cat benchmarks/target/bench.classpath):benchmarks/target/classes \
 *     dev.tripflow.benchmarks.SqlWorkload duckdb revenue-report DATA HOURLY ZONES.csv OUT 2
 * </pre>
 */
public final class SqlWorkload {
  private SqlWorkload() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 7) {
      System.err.println(
          "usage: SqlWorkload duckdb|spark WORKLOAD DATA_DIR HOURLY_DIR ZONES_CSV OUT_DIR THREADS");
      System.exit(2);
    }
    Workload w = Workload.of(args[1]);
    Workload.Layout data =
        new Workload.Layout(Path.of(args[2]), Path.of(args[3]), Path.of(args[4]));
    Path out = Path.of(args[5]);
    int threads = Integer.parseInt(args[6]);
    long start = System.nanoTime();
    if (args[0].equals("duckdb")) {
      duckDb(w, data, out, threads);
    } else if (args[0].equals("spark")) {
      spark(w, data, out, threads);
    } else {
      System.err.println("unknown engine '" + args[0] + "': duckdb or spark");
      System.exit(2);
    }
    System.out.printf("%s %s: %.1f s%n", args[0], w.command, (System.nanoTime() - start) / 1e9);
  }

  /** Runs the workload in an in-memory DuckDB, writing {@code out/part-00000.parquet}. */
  static void duckDb(Workload w, Workload.Layout data, Path out, int threads) throws Exception {
    Bench.deleteTree(out);
    Files.createDirectories(out);
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute("SET threads TO " + threads);
      s.execute("SET TimeZone = 'UTC'");
      if (w == Workload.ZONE_REVENUE) {
        s.execute(
            "CREATE VIEW hourly AS SELECT * FROM read_parquet('"
                + data.hourlyInput().resolve("*.parquet")
                + "')");
        s.execute(
            "CREATE VIEW zones AS SELECT * FROM read_csv('"
                + data.zonesCsv()
                + "', header = true, nullstr = '')");
      } else if (w == Workload.INGEST) {
        String columns =
            Workload.yellowCsvColumns(false).stream()
                .map(col -> "'" + col[0] + "': '" + col[1] + "'")
                .collect(Collectors.joining(", "));
        s.execute(
            "CREATE VIEW yellow_csv AS SELECT * FROM read_csv('"
                + data.yellowCsvGlob()
                + "', header = true, columns = {"
                + columns
                + "}, timestampformat = '%Y-%m-%d %H:%M:%S')");
      } else {
        s.execute("CREATE VIEW green AS SELECT * FROM read_parquet('" + data.greenGlob() + "')");
        s.execute("CREATE VIEW yellow AS SELECT * FROM read_parquet('" + data.yellowGlob() + "')");
      }
      s.execute(
          "COPY (" + w.sql() + ") TO '" + out.resolve("part-00000.parquet") + "' (FORMAT parquet)");
    }
  }

  /** Runs the workload on Spark SQL in {@code local[threads]}, as the course does. */
  static void spark(Workload w, Workload.Layout data, Path out, int threads) {
    SparkSession spark =
        SparkSession.builder()
            .appName("tripflow-bench-" + w.command)
            .master("local[" + threads + "]")
            .config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.sql.parquet.outputTimestampType", "TIMESTAMP_MICROS")
            .getOrCreate();
    try {
      if (w == Workload.ZONE_REVENUE) {
        spark.read().parquet(data.hourlyInput().toString()).createOrReplaceTempView("hourly");
        spark
            .read()
            .option("header", "true")
            .option("inferSchema", "true")
            .csv(data.zonesCsv().toString())
            .createOrReplaceTempView("zones");
      } else if (w == Workload.INGEST) {
        String ddl =
            Workload.yellowCsvColumns(true).stream()
                .map(c -> c[0] + " " + c[1])
                .collect(Collectors.joining(", "));
        spark
            .read()
            .option("header", "true")
            .option("timestampNTZFormat", "yyyy-MM-dd HH:mm:ss")
            .schema(ddl)
            .csv(data.yellowCsvGlob())
            .createOrReplaceTempView("yellow_csv");
      } else {
        spark.read().parquet(data.greenGlob()).createOrReplaceTempView("green");
        spark.read().parquet(data.yellowGlob()).createOrReplaceTempView("yellow");
      }
      Dataset<org.apache.spark.sql.Row> result = spark.sql(w.sql());
      // Reports are written as one file, as the course's coalesce(1); the ingest in 24, as the
      // course's repartition(24).
      result =
          w == Workload.INGEST ? result.repartition(Workload.INGEST_SHARDS) : result.coalesce(1);
      result.write().mode(SaveMode.Overwrite).parquet(out.toString());
    } finally {
      spark.stop();
    }
  }

  /** Java 17 options Spark needs (its launcher scripts pass the same set). */
  static final List<String> SPARK_JAVA_OPTIONS = dev.tripflow.runners.SparkJava.ADD_OPENS;
}
