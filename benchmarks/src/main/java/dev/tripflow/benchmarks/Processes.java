package dev.tripflow.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Starts each benchmark run as its own JVM and measures it: wall time around the whole process, CPU
 * time and peak resident memory sampled from {@code /proc} while it runs.
 */
final class Processes {
  private final Bench.Options options;
  private final Path logs;
  private int sequence;

  Processes(Bench.Options options, Path logs) {
    this.options = options;
    this.logs = logs;
  }

  /** What one run measured. */
  record Measurement(
      double wallSeconds,
      double cpuSeconds,
      long peakMib,
      int exitCode,
      boolean timedOut,
      Path log) {}

  /** The repository root (where ./tripflow lives). */
  static Path repoRoot() {
    String root = System.getProperty("tripflow.root");
    return Path.of(root != null ? root : "").toAbsolutePath();
  }

  /** The heap ./tripflow gives the PartitionedRunner, which its runs here get as well. */
  static final String PARTITIONED_HEAP = "1200m";

  /**
   * The java command with the options every JVM of the bench gets: the heap, and transparent huge
   * pages where the kernel offers them (as {@code ./tripflow} does), for tripflow and Spark alike.
   */
  private List<String> jvm() {
    return jvm(options.heap);
  }

  private List<String> jvm(String heap) {
    List<String> cmd = new ArrayList<>(List.of(Bench.javaBinary(), "-Xmx" + heap));
    if (hugePages()) {
      cmd.add("-XX:+UseTransparentHugePages");
    }
    return cmd;
  }

  /** Whether transparent huge pages can be asked for (kernel setting "always" or "madvise"). */
  static boolean hugePages() {
    try {
      String mode = Files.readString(Path.of("/sys/kernel/mm/transparent_hugepage/enabled"));
      return mode.contains("[always]") || mode.contains("[madvise]");
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /**
   * A tripflow command on a runner, run from the bundled jar exactly as {@code ./tripflow} starts
   * it (class-data-sharing archive included when present), or from the benchmark's classpath when
   * the jar is missing.
   */
  List<String> tripflowCommand(String runner, List<String> args) {
    // The PartitionedRunner as ./tripflow starts it, whatever --heap gives the other engines.
    List<String> cmd = runner.equals("PartitionedRunner") ? jvm(PARTITIONED_HEAP) : jvm();
    if (runner.equals("PartitionedRunner")) {
      // As ./tripflow starts the PartitionedRunner: the throughput collector, a first metaspace
      // collection threshold above the ~55 MiB of classes a run loads, and the optimising
      // compiler's thresholds at ten times the defaults.
      cmd.addAll(
          List.of(
              "-XX:+UseParallelGC",
              "-XX:MetaspaceSize=96m",
              "-XX:Tier4InvocationThreshold=50000",
              "-XX:Tier4CompileThreshold=100000",
              "-XX:Tier4BackEdgeThreshold=300000"));
    }
    Path jar = repoRoot().resolve("deploy/target/tripflow-bundled.jar");
    Path jsa = repoRoot().resolve("deploy/target/tripflow-bundled.jsa");
    // The bundled jar holds every runner (its manifest opens the JDK packages Spark needs).
    if (Files.isRegularFile(jar)) {
      if (archiveIsCurrent()) {
        cmd.add("-XX:SharedArchiveFile=" + jsa);
        cmd.add("-Xlog:cds*=off");
      }
      cmd.addAll(List.of("-jar", jar.toString()));
    } else {
      if (runner.equals("SparkRunner")) {
        cmd.addAll(SqlWorkload.SPARK_JAVA_OPTIONS);
      }
      cmd.addAll(List.of("-cp", Bench.classpath(), "dev.tripflow.deploy.Tripflow"));
    }
    cmd.addAll(args);
    if (!args.get(0).equals("generate")) {
      cmd.add("--runner=" + runner);
      switch (runner) {
        case "PartitionedRunner" -> {
          cmd.add("--partitions=" + options.threads);
          // Each stage's detail and the tasks' CPU time against the process's, in the run's log.
          cmd.add("--verbose");
          // The runs' event logs stay with the benchmark's work, not in the user's history.
          cmd.add("--eventLogDir=" + options.work.resolve("history").toAbsolutePath());
        }
        case "FlinkRunner" -> {
          cmd.add("--flinkMaster=[local]");
          cmd.add("--parallelism=" + options.threads);
        }
        case "SparkRunner" -> cmd.add("--sparkMaster=local[" + options.threads + "]");
        default -> {}
      }
    }
    return cmd;
  }

  /**
   * Whether the bundled jar's class-data archive is there and newer than the jar, as the launcher
   * requires: after a build the JVM would refuse the old archive and start without it.
   */
  static boolean archiveIsCurrent() {
    Path jar = repoRoot().resolve("deploy/target/tripflow-bundled.jar");
    Path jsa = repoRoot().resolve("deploy/target/tripflow-bundled.jsa");
    try {
      return Files.isRegularFile(jar)
          && Files.isRegularFile(jsa)
          && Files.getLastModifiedTime(jsa).compareTo(Files.getLastModifiedTime(jar)) > 0;
    } catch (IOException e) {
      return false;
    }
  }

  /** A reference engine running the workload's SQL. */
  List<String> sqlCommand(String engine, Workload w, Workload.Layout layout, Path out) {
    List<String> cmd = jvm();
    if (engine.equals("spark")) {
      cmd.addAll(SqlWorkload.SPARK_JAVA_OPTIONS);
    }
    cmd.addAll(
        List.of(
            "-cp",
            Bench.classpath(),
            SqlWorkload.class.getName(),
            engine,
            w.command,
            layout.data().toString(),
            layout.hourlyInput().toString(),
            layout.zonesCsv().toString(),
            out.toString(),
            Integer.toString(options.threads)));
    return cmd;
  }

  /** Runs a command to its end (or the timeout), its output going to a log file. */
  Measurement run(String name, List<String> command) throws IOException, InterruptedException {
    Path log = logs.resolve(String.format("%03d-%s.log", ++sequence, name.replaceAll("\\W+", "-")));
    Files.writeString(log, String.join(" ", command) + "\n\n");
    ProcessBuilder pb =
        new ProcessBuilder(command)
            .directory(repoRoot().toFile())
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
    pb.environment().put("TRIPFLOW_NO_PROGRESS", "1");
    long start = System.nanoTime();
    Process p = pb.start();
    long pid = p.pid();
    long peakKib = 0;
    double cpu = 0;
    long deadline = start + TimeUnit.SECONDS.toNanos(options.timeoutSeconds);
    boolean timedOut = false;
    while (!p.waitFor(50, TimeUnit.MILLISECONDS)) {
      peakKib = Math.max(peakKib, peakKib(pid));
      cpu = Math.max(cpu, cpuSeconds(pid));
      if (System.nanoTime() > deadline) {
        timedOut = true;
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
        p.waitFor();
        break;
      }
    }
    double wall = (System.nanoTime() - start) / 1e9;
    return new Measurement(wall, cpu, peakKib / 1024, p.exitValue(), timedOut, log);
  }

  /** VmHWM: the most resident memory the process has had. */
  private static long peakKib(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.replaceAll("\\D+", ""));
        }
      }
    } catch (IOException | NumberFormatException e) {
      // the process just ended
    }
    return 0;
  }

  /** User + system CPU time of the process, from /proc/PID/stat (clock ticks of 1/100 s). */
  private static double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields 14 and 15 of stat (utime, stime) are 11 and 12 after the command name
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
