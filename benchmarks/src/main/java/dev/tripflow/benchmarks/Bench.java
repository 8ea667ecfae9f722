package dev.tripflow.benchmarks;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The {@code tripflow bench} command: generates data of a given size once, runs each workload on
 * each runner and reference engine as a separate process (engines alternating, a warm-up round
 * first), checks every output against DuckDB's, and prints a table of medians.
 *
 * <pre>
 * ./tripflow bench --rows=1000000 --workloads=revenue-report,hourly-revenue \
 *     --runners=PartitionedRunner,DirectRunner,FlinkRunner,SparkRunner --runs=3
 * </pre>
 */
public final class Bench {
  private Bench() {}

  static final String DEFAULT_RUNNERS = "PartitionedRunner,DirectRunner,FlinkRunner,SparkRunner";
  static final String DEFAULT_BASELINES = "duckdb,spark-sql";

  /** The command's options, {@code --name=value}. */
  static final class Options {
    long rows = 1_000_000;
    double fraction = 0;
    Path data;
    Path work = Path.of(System.getProperty("java.io.tmpdir"), "tripflow-bench");
    List<Workload> workloads = new ArrayList<>(Arrays.asList(Workload.values()));
    List<String> runners = List.of(DEFAULT_RUNNERS.split(","));
    List<String> baselines = List.of(DEFAULT_BASELINES.split(","));
    int runs = 3;
    int threads = 2;
    long timeoutSeconds = 900;
    String heap = "4g";
    Path html;
    boolean probe;

    static Options parse(String[] args) {
      Options o = new Options();
      for (String arg : args) {
        if (arg.equals("bench")) {
          continue;
        }
        if (arg.equals("--help") || arg.equals("-h")) {
          throw new HelpRequested();
        }
        if (arg.equals("--probe")) {
          o.probe = true;
          continue;
        }
        int eq = arg.indexOf('=');
        if (!arg.startsWith("--") || eq < 0) {
          throw new IllegalArgumentException("options are --name=value, not '" + arg + "'");
        }
        String name = arg.substring(2, eq);
        String value = arg.substring(eq + 1);
        try {
          switch (name) {
            case "rows" -> o.rows = Long.parseLong(value);
            case "fraction" -> o.fraction = Double.parseDouble(value);
            case "data" -> o.data = Path.of(value);
            case "work" -> o.work = Path.of(value);
            case "workloads" ->
                o.workloads = Stream.of(value.split(",")).map(Workload::of).toList();
            case "runners" -> o.runners = list(value);
            case "baselines" -> o.baselines = list(value);
            case "runs" -> o.runs = Integer.parseInt(value);
            case "threads" -> o.threads = Integer.parseInt(value);
            case "timeout" -> o.timeoutSeconds = Long.parseLong(value);
            case "heap" -> o.heap = value;
            case "html" -> o.html = Path.of(value);
            default ->
                throw new IllegalArgumentException(
                    "unknown option --" + name + " (see ./tripflow bench --help)");
          }
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("--" + name + ": '" + value + "' is not a number");
        }
      }
      for (String b : o.baselines) {
        if (!b.equals("duckdb") && !b.equals("spark-sql")) {
          throw new IllegalArgumentException(
              "--baselines: unknown engine '" + b + "'; duckdb and spark-sql are known");
        }
      }
      if (o.runs < 1 || o.threads < 1 || o.timeoutSeconds < 1) {
        throw new IllegalArgumentException("--runs, --threads and --timeout must be at least 1");
      }
      if (o.data == null) {
        String size =
            o.fraction > 0
                ? "fraction-" + java.math.BigDecimal.valueOf(o.fraction).toPlainString()
                : "rows-" + o.rows;
        o.data = o.work.resolve("data-" + size);
      }
      return o;
    }

    private static List<String> list(String value) {
      return value.isBlank() ? List.of() : List.of(value.split(","));
    }
  }

  static final class HelpRequested extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  static final String HELP =
      String.join(
          "\n",
          "Usage: tripflow bench [--option=value ...]",
          "",
          "Times every workload on every runner over generated data, each run a separate process,",
          "checks each output against DuckDB's, and prints a table of medians.",
          "",
          "Options:",
          "  --rows=<long>        green + yellow trips to generate [default: 1000000]",
          "  --fraction=<double>  instead of --rows: this fraction of the real 2020 volume (1.0 ="
              + " 26.4M trips)",
          "  --data=<dir>         data directory (generated when it holds no sample) [default:"
              + " <work>/data-rows-N]",
          "  --work=<dir>         outputs, references and run logs [default: $TMPDIR/tripflow-bench]",
          "  --workloads=<list>   " + String.join(",", Workload.names()) + " [default: all]",
          "  --runners=<list>     Beam runners [default: " + DEFAULT_RUNNERS + "]",
          "  --baselines=<list>   reference engines running the course's SQL [default: "
              + DEFAULT_BASELINES
              + "]",
          "  --runs=<int>         timed runs per engine, after one warm-up run [default: 3]",
          "  --threads=<int>      partitions / parallelism / local[N] / DuckDB threads [default: 2]",
          "  --timeout=<seconds>  a run still going then is stopped and reported [default: 900]",
          "  --heap=<size>        -Xmx of every run but the PartitionedRunner's, which gets the"
              + " launcher's 1200m [default: 4g]",
          "  --html=<file>        also write the table with charts of wall time and memory as HTML",
          "  --probe              only measure how --threads threads add up on this machine:",
          "                       compute and random access to tables, each on one thread and on",
          "                       --threads at once (about 5 s; no data, no runs)",
          "",
          "Wall time is the whole process, JVM start included; CPU time and peak memory (VmHWM) are",
          "sampled from /proc every 50 ms.");

  public static void main(String[] args) throws Exception {
    Options o;
    try {
      o = Options.parse(args);
    } catch (HelpRequested h) {
      System.out.println(HELP);
      return;
    } catch (IllegalArgumentException e) {
      System.err.println("tripflow bench: " + e.getMessage());
      System.exit(2);
      return;
    }
    if (o.probe) {
      CoreProbe.print(Math.max(2, o.threads));
      return;
    }
    System.exit(run(o));
  }

  /** Runs the benchmark; 0 when every output agreed with DuckDB's. */
  static int run(Options o) throws Exception {
    Files.createDirectories(o.work);
    Path logs = o.work.resolve("logs");
    Files.createDirectories(logs);
    Processes processes = new Processes(o, logs);
    ensureData(o, processes);
    ensureClassArchive(o, processes);
    Workload.Layout layout =
        new Workload.Layout(o.data, o.work.resolve("reference/hourly-revenue"), zonesCsv());

    // References: DuckDB's results, computed once (the hourly one is zone-revenue's input too).
    for (Workload w : referencesNeeded(o.workloads)) {
      System.out.println("reference: DuckDB " + w.command);
      SqlWorkload.duckDb(w, layout, o.work.resolve("reference").resolve(w.command), o.threads);
    }

    Map<String, List<Processes.Measurement>> results = new LinkedHashMap<>();
    Map<String, String> checks = new LinkedHashMap<>();
    List<Engine> engines = engines(o);
    for (Workload w : o.workloads) {
      for (int round = 0; round <= o.runs; round++) {
        for (Engine e : engines) {
          String key = w.command + "|" + e.label;
          if (checks.getOrDefault(key, "").startsWith("failed")
              || checks.getOrDefault(key, "").startsWith("timeout")) {
            continue;
          }
          Path out = o.work.resolve("out").resolve(w.command).resolve(e.label);
          String name = w.command + " " + e.label + (round == 0 ? " (warm-up)" : " run " + round);
          Processes.Measurement m = processes.run(name, e.command(processes, w, layout, out));
          String check;
          if (m.timedOut()) {
            check = "timeout after " + o.timeoutSeconds + " s";
          } else if (m.exitCode() != 0) {
            check = "failed (exit " + m.exitCode() + ", see " + m.log() + ")";
          } else {
            try {
              String diff =
                  OutputCheck.compare(w, o.work.resolve("reference").resolve(w.command), out);
              check = diff.isEmpty() ? "same as DuckDB" : "MISMATCH: " + diff;
            } catch (Exception ex) {
              check = "MISMATCH: " + ex.getMessage().lines().findFirst().orElse("");
            }
          }
          System.out.printf(
              Locale.ROOT,
              "  %-48s %8.2f s wall %8.2f s CPU %7d MiB  %s%n",
              name,
              m.wallSeconds(),
              m.cpuSeconds(),
              m.peakMib(),
              check);
          if (round > 0 || !check.equals("same as DuckDB")) {
            checks.merge(key, check, (old, now) -> old.equals("same as DuckDB") ? now : old);
          }
          if (round > 0 && !m.timedOut() && m.exitCode() == 0) {
            results.computeIfAbsent(key, k -> new ArrayList<>()).add(m);
          }
        }
      }
    }
    System.out.println();
    String table = table(o, results, checks);
    System.out.println(table);
    if (o.html != null) {
      Files.writeString(
          o.html, BenchReport.html(o, results, checks, table), StandardCharsets.UTF_8);
      System.out.println("report with charts: " + o.html.toAbsolutePath());
    }
    boolean allGood = checks.values().stream().allMatch(c -> !c.startsWith("MISMATCH"));
    return allGood ? 0 : 1;
  }

  private static List<Workload> referencesNeeded(List<Workload> workloads) {
    List<Workload> needed = new ArrayList<>();
    if (workloads.contains(Workload.ZONE_REVENUE) || workloads.contains(Workload.HOURLY_REVENUE)) {
      needed.add(Workload.HOURLY_REVENUE);
    }
    for (Workload w : workloads) {
      if (!needed.contains(w)) {
        needed.add(w);
      }
    }
    return needed;
  }

  /** The markdown table of medians. */
  static String table(
      Options o, Map<String, List<Processes.Measurement>> results, Map<String, String> checks) {
    StringBuilder t = new StringBuilder();
    t.append(
        "| workload | engine | runs | wall s (median) | CPU s | peak MiB | wall / DuckDB |"
            + " output |\n");
    t.append("|---|---|---|---|---|---|---|---|\n");
    for (Map.Entry<String, String> c : checks.entrySet()) {
      String[] key = c.getKey().split("\\|");
      List<Processes.Measurement> ms = results.getOrDefault(c.getKey(), List.of());
      List<Processes.Measurement> duck = results.getOrDefault(key[0] + "|duckdb", List.of());
      double wall = median(ms.stream().mapToDouble(Processes.Measurement::wallSeconds).toArray());
      double cpu = median(ms.stream().mapToDouble(Processes.Measurement::cpuSeconds).toArray());
      double peak = median(ms.stream().mapToDouble(Processes.Measurement::peakMib).toArray());
      double duckWall =
          median(duck.stream().mapToDouble(Processes.Measurement::wallSeconds).toArray());
      String ratio =
          ms.isEmpty() || duck.isEmpty()
              ? ""
              : String.format(Locale.ROOT, "%.1fx", wall / duckWall);
      t.append(
          ms.isEmpty()
              ? String.format(
                  Locale.ROOT, "| %s | %s | 0 | | | | | %s |%n", key[0], key[1], c.getValue())
              : String.format(
                  Locale.ROOT,
                  "| %s | %s | %d | %.2f | %.2f | %.0f | %s | %s |%n",
                  key[0],
                  key[1],
                  ms.size(),
                  wall,
                  cpu,
                  peak,
                  ratio,
                  c.getValue()));
    }
    return t.toString();
  }

  static double median(double[] values) {
    if (values.length == 0) {
      return Double.NaN;
    }
    double[] v = values.clone();
    Arrays.sort(v);
    int n = v.length;
    return n % 2 == 1 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
  }

  /** One engine of a workload's table: a Beam runner through tripflow, or a SQL baseline. */
  record Engine(String label, String runner) {
    List<String> command(Processes p, Workload w, Workload.Layout layout, Path out) {
      if (runner == null) {
        String engine = label.equals("duckdb") ? "duckdb" : "spark";
        return p.sqlCommand(engine, w, layout, out);
      }
      return p.tripflowCommand(runner, w.tripflowArgs(layout, out));
    }
  }

  private static List<Engine> engines(Options o) {
    List<Engine> engines = new ArrayList<>();
    for (String b : o.baselines) {
      engines.add(new Engine(b, null));
    }
    for (String r : o.runners) {
      engines.add(new Engine(r, r));
    }
    return engines;
  }

  private static void ensureData(Options o, Processes processes) throws Exception {
    if (Files.exists(o.data.resolve("tripflow-sample.properties"))) {
      System.out.println("data: " + o.data + " (already generated)");
      return;
    }
    boolean csv = o.workloads.contains(Workload.INGEST);
    List<String> args = new ArrayList<>(List.of("generate", "--output=" + o.data));
    // Plain digits: generate takes no exponent (2.0E-4 is what Double.toString gives).
    args.add(
        o.fraction > 0
            ? "--fraction=" + java.math.BigDecimal.valueOf(o.fraction).toPlainString()
            : "--rows=" + o.rows);
    args.add("--services=green,yellow");
    args.add("--formats=" + (csv ? "parquet,csv" : "parquet"));
    System.out.println("data: generating " + String.join(" ", args));
    Processes.Measurement m =
        processes.run("generate", processes.tripflowCommand("PartitionedRunner", args));
    if (m.exitCode() != 0) {
      throw new IllegalStateException("generating the data failed; see " + m.log());
    }
  }

  /**
   * Has the launcher write the bundled jar's class-data archive when it is missing or older than
   * the jar (after a build), with one revenue report over the data: the timed runs then map it, as
   * every ./tripflow run after the first does. Without it they would all start about a second
   * slower, warm-up round or not.
   */
  private static void ensureClassArchive(Options o, Processes processes) throws Exception {
    Path root = Processes.repoRoot();
    if (System.getenv("TRIPFLOW_NO_CDS") != null
        || !Files.isRegularFile(root.resolve("deploy/target/tripflow-bundled.jar"))
        || Processes.archiveIsCurrent()) {
      return;
    }
    System.out.println(
        "class-data archive: written by one ./tripflow revenue-report (once after a build)");
    Workload.Layout layout = new Workload.Layout(o.data, null, null);
    Processes.Measurement m =
        processes.run(
            "class-data-archive",
            List.of(
                root.resolve("tripflow").toString(),
                "revenue-report",
                "--inputGreen=" + layout.greenGlob(),
                "--inputYellow=" + layout.yellowGlob(),
                "--output=" + o.work.resolve("class-data-archive-run")));
    if (m.exitCode() != 0 || !Processes.archiveIsCurrent()) {
      System.out.println(
          "class-data archive: not written (see " + m.log() + "); the runs start without it");
    }
  }

  private static Path zonesCsv() throws IOException {
    Path root = Processes.repoRoot();
    Path zones =
        root.resolve("transforms/src/main/resources/dev/tripflow/transforms/taxi_zone_lookup.csv");
    if (!Files.isRegularFile(zones)) {
      throw new IOException(zones + ": the zone lookup is missing (run bench from the repository)");
    }
    return zones;
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  static String classpath() {
    return System.getProperty("java.class.path");
  }

  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }
}
