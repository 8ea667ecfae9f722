package dev.tripflow.deploy.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.runners.SparkJava;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Spark 3.5 standalone cluster on 127.0.0.1 from Spark's own jars: a {@code Master} and N {@code
 * Worker}s as background JVMs. A worker starts executors from {@code SPARK_HOME/jars}; the cluster
 * directory's {@code spark-home/jars} holds Spark's jars as a distribution's {@code jars/} does
 * (none of tripflow's), so no Spark distribution is needed and a job brings its own code.
 */
final class SparkCluster implements LocalCluster {
  static final String MASTER = "master";
  private static final int FIRST_WORKER_UI_PORT = 8082;

  private final ClusterCommand.Options o;
  private final Path dir;
  private final Daemons daemons;
  private final int uiPort;
  private final int masterPort;

  SparkCluster(ClusterCommand.Options o, Path dir) {
    this.o = o;
    this.dir = dir;
    this.daemons = new Daemons(dir, "spark", dir.resolve("spark-home").resolve("jars"));
    this.uiPort = o.getWebUiPort() > 0 ? o.getWebUiPort() : 8080;
    this.masterPort = o.getMasterPort() > 0 ? o.getMasterPort() : 7077;
  }

  String masterUrl() {
    return "spark://127.0.0.1:" + masterPort;
  }

  @Override
  public int start(PrintStream out) throws IOException, InterruptedException {
    daemons.requireNoneRunning("Spark", "tripflow cluster stop --engine=spark");
    for (int port : List.of(masterPort, uiPort)) {
      if (!Rest.portFree(port)) {
        throw new UsageException(
            "cluster start: port "
                + port
                + " on 127.0.0.1 is in use (another Spark master?); stop it or pass --masterPort=N"
                + " / --webUiPort=N");
      }
    }
    ClusterCommand.deleteTree(daemons.pidDir());
    ClusterCommand.deleteTree(daemons.logDir());
    Path jars = dir.resolve("spark-home").resolve("jars");
    ClusterCommand.deleteTree(jars);
    Files.createDirectories(jars);
    for (String entry : daemons.classpath().split(File.pathSeparator)) {
      Path p = Path.of(entry);
      if (Files.isRegularFile(p) && entry.endsWith(".jar")) {
        Path link = jars.resolve(p.getFileName());
        if (!Files.exists(link)) {
          Files.createSymbolicLink(link, p.toAbsolutePath());
        }
      }
    }
    Map<String, String> env =
        Map.of(
            "SPARK_HOME",
            dir.resolve("spark-home").toString(),
            "SPARK_SCALA_VERSION",
            "2.12",
            "SPARK_LOCAL_IP",
            "127.0.0.1",
            "SPARK_LOG_DIR",
            daemons.logDir().toString());
    List<String> jvm = new ArrayList<>(SparkJava.ADD_OPENS);
    jvm.add("-Xmx512m");
    out.printf(
        Locale.ROOT,
        "starting a Spark %s standalone cluster: 1 master, %d worker(s) x %d cores, %s each, in %s%n",
        org.apache.spark.package$.MODULE$.SPARK_VERSION(),
        o.getWorkers(),
        o.getSlots(),
        o.getWorkerMemory(),
        dir);
    List<Daemons.Daemon> started = new ArrayList<>();
    try {
      started.add(
          daemons.start(
              MASTER,
              jvm,
              "org.apache.spark.deploy.master.Master",
              List.of(
                  "--host", "127.0.0.1", "--port", "" + masterPort, "--webui-port", "" + uiPort),
              env));
      for (int i = 1; i <= o.getWorkers(); i++) {
        Path work = dir.resolve("work").resolve("worker-" + i);
        Files.createDirectories(work);
        started.add(
            daemons.start(
                "worker-" + i,
                jvm,
                "org.apache.spark.deploy.worker.Worker",
                List.of(
                    "--host",
                    "127.0.0.1",
                    "--cores",
                    "" + o.getSlots(),
                    "--memory",
                    o.getWorkerMemory(),
                    "--webui-port",
                    "" + (FIRST_WORKER_UI_PORT + i - 1),
                    "--work-dir",
                    work.toString(),
                    masterUrl()),
                env));
      }
      awaitWorkers(started, out);
    } catch (IOException | RuntimeException | InterruptedException e) {
      for (Daemons.Daemon d : started) {
        daemons.stop(d, 5);
      }
      throw e;
    }
    out.printf(Locale.ROOT, "  master        %s%n", masterUrl());
    out.printf(Locale.ROOT, "  web UI        http://127.0.0.1:%d%n", uiPort);
    out.printf(
        Locale.ROOT,
        "  submit        ./tripflow revenue-report --runner=SparkRunner --sparkMaster=%s%n",
        masterUrl());
    out.printf(Locale.ROOT, "  logs, pids    %s/log, %s/pid%n", dir, dir);
    out.println("  stop          ./tripflow cluster stop --engine=spark");
    return 0;
  }

  private void awaitWorkers(List<Daemons.Daemon> started, PrintStream out)
      throws InterruptedException {
    long begin = System.nanoTime();
    long deadline = begin + o.getStartTimeoutSeconds() * 1_000_000_000L;
    while (System.nanoTime() < deadline) {
      for (Daemons.Daemon d : started) {
        if (!d.alive()) {
          throw new IllegalStateException(
              "cluster start: the Spark "
                  + d.name()
                  + " exited during start-up; the end of "
                  + d.log()
                  + ":\n"
                  + Daemons.tail(d.log(), 15));
        }
      }
      Optional<JsonNode> state = Rest.get(uiPort, "/json/");
      if (state.isPresent() && state.get().path("aliveworkers").asInt() >= o.getWorkers()) {
        out.printf(
            Locale.ROOT,
            "  ready in %.1f s: %d worker(s), %d cores%n",
            (System.nanoTime() - begin) / 1e9,
            state.get().path("aliveworkers").asInt(),
            state.get().path("cores").asInt());
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "cluster start: the Spark master did not register "
            + o.getWorkers()
            + " worker(s) within "
            + o.getStartTimeoutSeconds()
            + " s (--startTimeoutSeconds); see the logs in "
            + daemons.logDir());
  }

  @Override
  public int stop(PrintStream out) throws IOException {
    return daemons.stopAll("Spark", MASTER, out);
  }

  @Override
  public int status(PrintStream out) {
    int recorded = daemons.printProcesses("Spark", out);
    Optional<JsonNode> state = Rest.get(uiPort, "/json/");
    if (state.isEmpty()) {
      out.printf(Locale.ROOT, "no Spark master web UI answers on 127.0.0.1:%d%n", uiPort);
      return recorded == 0 ? 3 : 1;
    }
    JsonNode s = state.get();
    out.printf(
        Locale.ROOT,
        "master %s  web UI http://127.0.0.1:%d  status %s  workers %d alive  cores %d (%d used)"
            + "  applications running %d, completed %d%n",
        s.path("url").asText(),
        uiPort,
        s.path("status").asText(),
        s.path("aliveworkers").asInt(),
        s.path("cores").asInt(),
        s.path("coresused").asInt(),
        s.path("activeapps").size(),
        s.path("completedapps").size());
    out.printf(Locale.ROOT, "  %-44s %-8s %5s %10s%n", "worker", "state", "cores", "memory MB");
    for (JsonNode w : s.path("workers")) {
      out.printf(
          Locale.ROOT,
          "  %-44s %-8s %5d %10d%n",
          w.path("id").asText(),
          w.path("state").asText(),
          w.path("cores").asInt(),
          w.path("memory").asInt());
    }
    return 0;
  }
}
