package dev.tripflow.deploy.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * A Flink standalone session cluster on 127.0.0.1, run from Flink's own jars (a distribution's
 * {@code lib/}, copied into the cluster directory's {@code lib}): one JobManager ({@code
 * StandaloneSessionClusterEntrypoint}) and N TaskManagers ({@code TaskManagerRunner}), each its own
 * background JVM, configured by a {@code conf/config.yaml} under the cluster directory and sized
 * the way Flink's start scripts size them ({@code BashJavaUtils}).
 */
final class FlinkCluster implements LocalCluster {
  static final String JOB_MANAGER = "jobmanager";
  private static final String ENTRYPOINT =
      "org.apache.flink.runtime.entrypoint.StandaloneSessionClusterEntrypoint";
  private static final String TASK_MANAGER =
      "org.apache.flink.runtime.taskexecutor.TaskManagerRunner";
  private static final String MEMORY_UTILS = "org.apache.flink.runtime.util.bash.BashJavaUtils";

  private final ClusterCommand.Options o;
  private final Path dir;
  private final Daemons daemons;
  private final int restPort;

  FlinkCluster(ClusterCommand.Options o, Path dir) {
    this.o = o;
    this.dir = dir;
    this.daemons = new Daemons(dir, "flink", dir.resolve("lib"));
    this.restPort = o.getWebUiPort() > 0 ? o.getWebUiPort() : 8081;
  }

  @Override
  public int start(PrintStream out) throws IOException, InterruptedException {
    daemons.requireNoneRunning("Flink", "tripflow cluster stop");
    if (!Rest.portFree(restPort)) {
      throw new UsageException(
          "cluster start: port "
              + restPort
              + " on 127.0.0.1 is in use (another Flink cluster or web server?); stop it or pass"
              + " --webUiPort=N");
    }
    ClusterCommand.deleteTree(daemons.pidDir());
    ClusterCommand.deleteTree(daemons.logDir());
    Path conf = dir.resolve("conf");
    Files.createDirectories(conf);
    Files.createDirectories(dir.resolve("tmp"));
    Files.writeString(conf.resolve("config.yaml"), config(Rest.freePort()), StandardCharsets.UTF_8);

    List<String> jm = memoryParams("GET_JM_RESOURCE_PARAMS", conf);
    List<String> tm = memoryParams("GET_TM_RESOURCE_PARAMS", conf);
    out.printf(
        Locale.ROOT,
        "starting a Flink %s standalone cluster: 1 JobManager, %d TaskManager(s) x %d slots,"
            + " in %s%n",
        flinkVersion(),
        o.getWorkers(),
        o.getSlots(),
        dir);
    List<Daemons.Daemon> started = new ArrayList<>();
    try {
      started.add(launch(JOB_MANAGER, ENTRYPOINT, jm, conf));
      for (int i = 1; i <= o.getWorkers(); i++) {
        started.add(launch("taskmanager-" + i, TASK_MANAGER, tm, conf));
      }
      awaitTaskManagers(started, o.getWorkers(), out);
    } catch (IOException | RuntimeException | InterruptedException e) {
      for (Daemons.Daemon d : started) {
        daemons.stop(d, 5);
      }
      throw e;
    }
    out.printf(Locale.ROOT, "  dashboard     http://127.0.0.1:%d%n", restPort);
    out.printf(
        Locale.ROOT,
        "  submit        ./tripflow revenue-report --runner=FlinkRunner"
            + " --flinkMaster=127.0.0.1:%d --parallelism=%d%n",
        restPort,
        o.getSlots());
    out.printf(Locale.ROOT, "  logs, pids    %s/log, %s/pid%n", dir, dir);
    out.println("  stop          ./tripflow cluster stop");
    return 0;
  }

  private Daemons.Daemon launch(String name, String main, List<String> memory, Path conf)
      throws IOException {
    // BashJavaUtils answers two lines: the JVM's memory flags, then dynamic properties (-D k=v).
    List<String> jvm = new ArrayList<>(Arrays.asList(memory.get(0).trim().split("\\s+")));
    Path log = daemons.logDir().resolve(name + ".log");
    jvm.add("-Dlog.file=" + log);
    List<String> args = new ArrayList<>(List.of("--configDir", conf.toString()));
    if (memory.size() > 1 && !memory.get(1).isBlank()) {
      args.addAll(Arrays.asList(memory.get(1).trim().split("\\s+")));
    }
    if (!name.equals(JOB_MANAGER)) {
      // The REST API and the dashboard then name each TaskManager as its pid file does.
      args.addAll(List.of("-D", "taskmanager.resource-id=" + name));
    }
    return daemons.start(name, jvm, main, args, Map.of());
  }

  private void awaitTaskManagers(List<Daemons.Daemon> started, int workers, PrintStream out)
      throws InterruptedException {
    long deadline = System.nanoTime() + o.getStartTimeoutSeconds() * 1_000_000_000L;
    long begin = System.nanoTime();
    while (System.nanoTime() < deadline) {
      for (Daemons.Daemon d : started) {
        if (!d.alive()) {
          throw new IllegalStateException(
              "cluster start: the Flink "
                  + d.name()
                  + " exited during start-up; the end of "
                  + d.log()
                  + ":\n"
                  + Daemons.tail(d.log(), 15));
        }
      }
      Optional<JsonNode> overview = Rest.get(restPort, "/overview");
      // A TaskManager is listed as soon as it registers, its slots only once it reports them:
      // ready means both, so that a job submitted right away finds every slot.
      if (overview.isPresent()
          && overview.get().path("taskmanagers").asInt() >= workers
          && overview.get().path("slots-total").asInt() >= workers * o.getSlots()) {
        out.printf(
            Locale.ROOT,
            "  ready in %.1f s: %d TaskManager(s), %d slots%n",
            (System.nanoTime() - begin) / 1e9,
            overview.get().path("taskmanagers").asInt(),
            overview.get().path("slots-total").asInt());
        return;
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(
        "cluster start: the Flink cluster did not register "
            + workers
            + " TaskManager(s) within "
            + o.getStartTimeoutSeconds()
            + " s (--startTimeoutSeconds); see the logs in "
            + daemons.logDir());
  }

  /** Runs Flink's BashJavaUtils the way its start scripts do and returns its result lines. */
  private List<String> memoryParams(String command, Path conf)
      throws IOException, InterruptedException {
    ProcessBuilder pb =
        new ProcessBuilder(
            Daemons.javaBinary(),
            "-cp",
            daemons.classpath(),
            MEMORY_UTILS,
            command,
            "--configDir",
            conf.toString());
    pb.redirectErrorStream(true);
    Process p = pb.start();
    String output;
    try (InputStream in = p.getInputStream()) {
      output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
    int rc = p.waitFor();
    List<String> result = new ArrayList<>();
    for (String line : output.split("\n")) {
      if (line.startsWith("BASH_JAVA_UTILS_EXEC_RESULT:")) {
        result.add(line.substring("BASH_JAVA_UTILS_EXEC_RESULT:".length()));
      }
    }
    if (rc != 0 || result.isEmpty()) {
      throw new IllegalStateException(
          "cluster start: Flink's memory calculation ("
              + command
              + ") failed for "
              + conf.resolve("config.yaml")
              + ": "
              + output.strip().lines().reduce((a, b) -> b).orElse("no output"));
    }
    return result;
  }

  String config(int rpcPort) {
    String tmp = dir.resolve("tmp").toString();
    return String.join(
        "\n",
        "# Written by 'tripflow cluster start'; every address is the loopback interface.",
        "jobmanager.rpc.address: 127.0.0.1",
        "jobmanager.rpc.port: " + rpcPort,
        "jobmanager.bind-host: 127.0.0.1",
        "jobmanager.memory.process.size: " + o.getJobManagerMemory(),
        "taskmanager.bind-host: 127.0.0.1",
        "taskmanager.host: 127.0.0.1",
        "taskmanager.numberOfTaskSlots: " + o.getSlots(),
        "taskmanager.memory.process.size: " + o.getTaskManagerMemory(),
        "# A batch task holds a blocking partition per consumer, each with at least this many",
        "# network buffers (Flink's 512 is 16 MB): with 512, a 1600m TaskManager's network memory",
        "# runs out at seven, which a job with a wide fan-out (BigQuery's load jobs) exceeds.",
        "taskmanager.network.sort-shuffle.min-buffers: 64",
        "rest.address: 127.0.0.1",
        "rest.bind-address: 127.0.0.1",
        "rest.port: " + restPort,
        "parallelism.default: " + o.getSlots(),
        "# A job's tasks spread over the TaskManagers; one TaskManager's slots can hold a whole job,",
        "# so it can restart there when another TaskManager is lost.",
        "cluster.evenly-spread-out-slots: true",
        "restart-strategy.type: fixed-delay",
        "restart-strategy.fixed-delay.attempts: " + o.getRestartAttempts(),
        "restart-strategy.fixed-delay.delay: 2 s",
        "# A lost TaskManager is noticed within seconds rather than Flink's default 50 s.",
        "heartbeat.interval: 2000",
        "heartbeat.timeout: 10000",
        "io.tmp.dirs: " + tmp,
        "web.tmpdir: " + tmp,
        "blob.storage.directory: " + tmp,
        "");
  }

  @Override
  public int stop(PrintStream out) throws IOException {
    // TaskManagers first, then the JobManager, like Flink's stop-cluster.sh.
    return daemons.stopAll("Flink", JOB_MANAGER, out);
  }

  @Override
  public int status(PrintStream out) {
    int recorded = daemons.printProcesses("Flink", out);
    Optional<JsonNode> overview = Rest.get(restPort, "/overview");
    if (overview.isEmpty()) {
      out.printf(Locale.ROOT, "no Flink REST API answers on 127.0.0.1:%d%n", restPort);
      return recorded == 0 ? 3 : 1;
    }
    JsonNode ov = overview.get();
    out.printf(
        Locale.ROOT,
        "dashboard http://127.0.0.1:%d  Flink %s  TaskManagers %d  slots %d (%d free)  jobs"
            + " running %d, finished %d, failed %d, cancelled %d%n",
        restPort,
        ov.path("flink-version").asText(),
        ov.path("taskmanagers").asInt(),
        ov.path("slots-total").asInt(),
        ov.path("slots-available").asInt(),
        ov.path("jobs-running").asInt(),
        ov.path("jobs-finished").asInt(),
        ov.path("jobs-failed").asInt(),
        ov.path("jobs-cancelled").asInt());
    Optional<JsonNode> tms = Rest.get(restPort, "/taskmanagers");
    if (tms.isPresent()) {
      out.printf(Locale.ROOT, "  %-40s %-22s %5s %5s%n", "taskmanager", "address", "slots", "free");
      for (JsonNode tm : tms.get().path("taskmanagers")) {
        out.printf(
            Locale.ROOT,
            "  %-40s %-22s %5d %5d%n",
            tm.path("id").asText(),
            tm.path("path").asText().replaceFirst("^.*@", "").replaceFirst("/user/.*$", ""),
            tm.path("slotsNumber").asInt(),
            tm.path("freeSlots").asInt());
      }
    }
    Optional<JsonNode> jobs = Rest.get(restPort, "/jobs/overview");
    if (jobs.isPresent() && jobs.get().path("jobs").size() > 0) {
      out.printf(Locale.ROOT, "  %-32s %-28s %-10s %9s%n", "job", "name", "state", "seconds");
      for (JsonNode j : jobs.get().path("jobs")) {
        out.printf(
            Locale.ROOT,
            "  %-32s %-28s %-10s %9.1f%n",
            j.path("jid").asText(),
            j.path("name").asText(),
            j.path("state").asText(),
            j.path("duration").asLong() / 1000.0);
      }
    }
    return 0;
  }

  private static String flinkVersion() {
    String v = org.apache.flink.runtime.util.EnvironmentInformation.getVersion();
    return v == null ? "" : v;
  }
}
