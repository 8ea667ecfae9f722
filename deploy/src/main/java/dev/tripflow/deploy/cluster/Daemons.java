package dev.tripflow.deploy.cluster;

import dev.tripflow.deploy.artifacts.BuildArtifacts;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The background JVMs of a cluster: each is started detached from the terminal (its own session
 * when {@code setsid} exists) with its output in {@code log/<name>.log}, and recorded in {@code
 * pid/<name>.pid} with its start time, so that stopping kills exactly the processes started here
 * and never a later process that happens to reuse a pid.
 */
final class Daemons {
  private final Path dir;
  private final String engine;
  private final Path lib;
  private String classpath;

  /**
   * @param engine {@code flink} or {@code spark}: whose jars the daemons run on
   * @param lib where in the cluster directory those jars go (Flink's {@code lib}, Spark's {@code
   *     SPARK_HOME/jars})
   */
  Daemons(Path dir, String engine, Path lib) {
    this.dir = dir;
    this.engine = engine;
    this.lib = lib;
  }

  /**
   * The classpath the daemons run on: the engine's own jars, as its distribution has them and
   * without tripflow's, copied (hard-linked where possible) into the cluster's directory so that
   * rebuilding tripflow while the cluster runs never changes the classes under its JVMs. Outside a
   * tripflow source tree (tests in one JVM), this JVM's classpath.
   */
  String classpath() throws IOException {
    if (classpath == null) {
      Optional<Path> jars = BuildArtifacts.engineJars(engine);
      if (jars.isPresent()) {
        ClusterCommand.deleteTree(lib);
        Files.createDirectories(lib);
        List<String> entries = new ArrayList<>();
        for (Path jar : BuildArtifacts.jarsIn(jars.get())) {
          Path copy = lib.resolve(jar.getFileName());
          try {
            Files.createLink(copy, jar);
          } catch (IOException | UnsupportedOperationException e) {
            Files.copy(jar, copy);
          }
          entries.add(copy.toString());
        }
        classpath = String.join(File.pathSeparator, entries);
      } else {
        classpath = System.getProperty("java.class.path");
      }
    }
    return classpath;
  }

  /** A started (or recorded) daemon. */
  record Daemon(String name, long pid, long startMillis, Path log) {
    Optional<ProcessHandle> handle() {
      Optional<ProcessHandle> h = ProcessHandle.of(pid);
      if (h.isEmpty() || !h.get().isAlive()) {
        return Optional.empty();
      }
      Optional<Instant> start = h.get().info().startInstant();
      // /proc reports the start time to the clock tick; a reused pid starts later than that.
      if (start.isPresent() && Math.abs(start.get().toEpochMilli() - startMillis) > 2_000) {
        return Optional.empty();
      }
      return h;
    }

    boolean alive() {
      return handle().isPresent();
    }
  }

  Path logDir() {
    return dir.resolve("log");
  }

  Path pidDir() {
    return dir.resolve("pid");
  }

  /** Starts {@code java jvmArgs mainClass args} in the background as daemon {@code name}. */
  Daemon start(
      String name,
      List<String> jvmArgs,
      String mainClass,
      List<String> args,
      Map<String, String> env)
      throws IOException {
    Files.createDirectories(logDir());
    Files.createDirectories(pidDir());
    Path log = logDir().resolve(name + ".log");
    List<String> cmd = new ArrayList<>();
    if (new File("/usr/bin/setsid").canExecute()) {
      cmd.add("/usr/bin/setsid");
    }
    cmd.add(javaBinary());
    cmd.addAll(jvmArgs);
    // tripflow's own commands log libraries at WARN; a cluster's daemons log as Flink and Spark do.
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=info");
    cmd.add("-Dorg.slf4j.simpleLogger.showShortLogName=false");
    cmd.add("-Dorg.slf4j.simpleLogger.showThreadName=true");
    cmd.add("-Dorg.slf4j.simpleLogger.dateTimeFormat=yyyy-MM-dd HH:mm:ss,SSS");
    cmd.add("-cp");
    cmd.add(classpath());
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.environment().putAll(env);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectErrorStream(true);
    pb.redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
    pb.directory(dir.toFile());
    Process p = pb.start();
    long startMillis =
        p.toHandle()
            .info()
            .startInstant()
            .map(Instant::toEpochMilli)
            .orElse(System.currentTimeMillis());
    Daemon d = new Daemon(name, p.pid(), startMillis, log);
    Files.writeString(
        pidDir().resolve(name + ".pid"),
        d.pid() + " " + d.startMillis() + "\n",
        StandardCharsets.UTF_8);
    return d;
  }

  /** The daemons recorded in the pid directory, alive or not, by name. */
  List<Daemon> recorded() {
    List<Daemon> out = new ArrayList<>();
    if (!Files.isDirectory(pidDir())) {
      return out;
    }
    try (Stream<Path> files = Files.list(pidDir())) {
      for (Path f : files.filter(f -> f.toString().endsWith(".pid")).sorted().toList()) {
        String[] parts = Files.readString(f, StandardCharsets.UTF_8).trim().split("\\s+");
        String name = f.getFileName().toString().replaceFirst("\\.pid$", "");
        try {
          out.add(
              new Daemon(
                  name,
                  Long.parseLong(parts[0]),
                  parts.length > 1 ? Long.parseLong(parts[1]) : 0,
                  logDir().resolve(name + ".log")));
        } catch (NumberFormatException e) {
          throw new IOException(f + ": not a pid file (expected '<pid> <start millis>')");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out;
  }

  /**
   * Stops one daemon: SIGTERM, then SIGKILL after {@code graceSeconds}; removes its pid file.
   *
   * @return whether a live process was stopped
   */
  boolean stop(Daemon d, int graceSeconds) throws IOException {
    Optional<ProcessHandle> h = d.handle();
    boolean wasAlive = h.isPresent();
    if (wasAlive) {
      h.get().destroy();
      try {
        h.get().onExit().get(graceSeconds, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.get().destroyForcibly();
        try {
          h.get().onExit().get(10, TimeUnit.SECONDS);
        } catch (Exception ignored) {
          // reported below by the caller's status check
        }
      }
    }
    Files.deleteIfExists(pidDir().resolve(d.name() + ".pid"));
    return wasAlive;
  }

  /** Refuses to start a second cluster from the same directory while one of its processes lives. */
  void requireNoneRunning(String engine, String stopCommand) {
    List<Daemon> running = recorded().stream().filter(Daemon::alive).toList();
    if (!running.isEmpty()) {
      throw new dev.tripflow.pipelines.options.UsageException(
          "cluster start: a "
              + engine
              + " cluster started from "
              + dir
              + " is still running (pids "
              + String.join(", ", running.stream().map(d -> d.name() + " " + d.pid()).toList())
              + "); run '"
              + stopCommand
              + "' first");
    }
  }

  /**
   * Stops every recorded daemon, the one named {@code last} (the master) after the others, and
   * prints a line per process and a summary.
   */
  int stopAll(String engine, String last, java.io.PrintStream out) throws IOException {
    List<Daemon> recorded = new ArrayList<>(recorded());
    if (recorded.isEmpty()) {
      out.println("no " + engine + " cluster was started from " + dir);
      return 0;
    }
    recorded.sort((a, b) -> Boolean.compare(a.name().equals(last), b.name().equals(last)));
    int stopped = 0;
    for (Daemon d : recorded) {
      boolean alive = stop(d, 15);
      out.printf(
          java.util.Locale.ROOT,
          "  %-14s pid %-8d %s%n",
          d.name(),
          d.pid(),
          alive ? "stopped" : "not running");
      stopped += alive ? 1 : 0;
    }
    out.printf(
        java.util.Locale.ROOT,
        "stopped %d process(es) of the %s cluster in %s%n",
        stopped,
        engine,
        dir);
    return 0;
  }

  /** Prints the recorded processes and whether each still runs; returns how many are recorded. */
  int printProcesses(String engine, java.io.PrintStream out) {
    List<Daemon> recorded = recorded();
    out.println(engine + " cluster in " + dir);
    for (Daemon d : recorded) {
      out.printf(
          java.util.Locale.ROOT,
          "  %-14s pid %-8d %s%n",
          d.name(),
          d.pid(),
          d.alive() ? "running" : "gone");
    }
    return recorded.size();
  }

  /** Kills one daemon at once (SIGKILL), as a crashed machine would; keeps its pid file. */
  static void kill(Daemon d) {
    d.handle().ifPresent(ProcessHandle::destroyForcibly);
  }

  /** The last {@code n} lines of a daemon's log, for an error message. */
  static String tail(Path log, int n) {
    try {
      List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - n), lines.size()));
    } catch (IOException | UncheckedIOException e) {
      return "(no log at " + log + ")";
    }
  }

  static String javaBinary() {
    return ProcessHandle.current()
        .info()
        .command()
        .filter(c -> c.endsWith("java"))
        .orElse(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
  }
}
