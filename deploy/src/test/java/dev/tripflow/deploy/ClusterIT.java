package dev.tripflow.deploy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.pipelines.OutputRows;
import java.io.File;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Real clusters, driven the way a user drives them: every step is {@code java -jar} on the bundled
 * jar in its own process. A Flink standalone cluster (a JobManager and two TaskManagers) runs
 * revenue-report and hourly-revenue, the latter while one TaskManager is killed by its pid; a Spark
 * standalone master and worker, and Spark in local mode, run revenue-report. Every output must
 * equal the PartitionedRunner's, and every cluster is stopped whatever happens.
 */
public class ClusterIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Path JAR =
      Path.of(System.getProperty("tripflow.bundledJar", "target/tripflow-bundled.jar"));

  private static final Map<Process, Path> LOGS =
      Collections.synchronizedMap(new IdentityHashMap<>());

  private static Path data;

  @BeforeClass
  public static void generate() throws Exception {
    assertTrue(JAR + " is missing: run mvn package first", Files.isRegularFile(JAR));
    data = TMP.newFolder("data").toPath();
    // Enough trips for the hourly join to run on Flink for several seconds.
    tripflow(
        "generate",
        "--output=" + data,
        "--rows=240000",
        "--services=green,yellow",
        "--malformedFraction=0.01");
  }

  @Test
  public void flinkClusterRunsJobsAndSurvivesALostTaskManager() throws Exception {
    int port = freePort();
    Path dir = TMP.getRoot().toPath().resolve("flink-cluster");
    String master = "--flinkMaster=127.0.0.1:" + port;
    try {
      String started =
          tripflow(
              "cluster",
              "start",
              "--clusterDir=" + dir,
              "--workers=2",
              "--slots=2",
              "--webUiPort=" + port);
      assertTrue(started, started.contains("2 TaskManager(s), 4 slots"));
      String status = tripflow("cluster", "status", "--clusterDir=" + dir, "--webUiPort=" + port);
      assertTrue(status, status.contains("taskmanager-1") && status.contains("taskmanager-2"));
      assertTrue(status, status.contains("slots 4 (4 free)"));

      // revenue-report on the cluster gives the local answer, and the dashboard lists the job.
      // Its paths are relative to the command's directory, which the TaskManagers do not share.
      Path report = TMP.getRoot().toPath().resolve("report-flink");
      tripflow(
          "revenue-report",
          "--sampleData=data",
          "--output=report-flink",
          "--runner=FlinkRunner",
          master,
          "--parallelism=2");
      OutputRows.assertSame(
          "revenue-report on the Flink cluster", local("revenue-report"), OutputRows.of(report));
      assertEquals("FINISHED", job(port, "tripflow-revenue-report").path("state").asText());

      // The same job through 'submit flink', which checks the cluster's REST API first.
      Path submitted = TMP.getRoot().toPath().resolve("report-submit-flink");
      String submit =
          tripflow(
              "submit",
              "flink",
              master,
              "revenue-report",
              "--sampleData=data",
              "--output=report-submit-flink",
              "--parallelism=2");
      assertTrue(
          submit,
          submit.contains("submitting revenue-report to the Flink ")
              && submit.contains(
                  " cluster at 127.0.0.1:" + port + ", with tripflow-flink-job.jar"));
      OutputRows.assertSame(
          "revenue-report through submit flink", local("revenue-report"), OutputRows.of(submitted));

      // hourly-revenue while a busy TaskManager is killed: Flink restarts the job on the other.
      Path hourly = TMP.getRoot().toPath().resolve("hourly-flink");
      Process job =
          start(
              "hourly-revenue",
              sample(),
              "--output=" + hourly,
              "--runner=FlinkRunner",
              master,
              "--parallelism=2");
      String victim = busyTaskManager(port, "tripflow-hourly-revenue", job);
      Thread.sleep(1500);
      long pid =
          Long.parseLong(Files.readString(dir.resolve("pid/" + victim + ".pid")).split(" ")[0]);
      ProcessHandle.of(pid).orElseThrow().destroyForcibly();
      assertTrue("the job did not finish", job.waitFor(5, TimeUnit.MINUTES));
      assertEquals(output(job), 0, job.exitValue());
      JsonNode finished = job(port, "tripflow-hourly-revenue");
      assertEquals("FINISHED", finished.path("state").asText());
      JsonNode exceptions = rest(port, "/jobs/" + finished.path("jid").asText() + "/exceptions");
      assertFalse(
          "the killed TaskManager did not fail the job: " + exceptions,
          exceptions.path("root-exception").isNull()
              || exceptions.path("root-exception").asText().isEmpty());
      OutputRows.assertSame(
          "hourly-revenue with a lost TaskManager", local("hourly-revenue"), OutputRows.of(hourly));
      String after = tripflow("cluster", "status", "--clusterDir=" + dir, "--webUiPort=" + port);
      assertTrue(after, after.contains(victim) && after.contains("gone"));

      // A job that fails on the cluster (a corrupt Parquet page) leaves no output behind.
      Path corrupt = TMP.newFolder("corrupt").toPath();
      Path file = firstParquet(data.resolve("pq/yellow"));
      Path bad = corrupt.resolve("bad.parquet");
      Files.copy(file, bad);
      try (RandomAccessFile f = new RandomAccessFile(bad.toFile(), "rw")) {
        byte[] junk = new byte[(int) (f.length() / 2)];
        Arrays.fill(junk, (byte) 0x5a);
        f.seek(4);
        f.write(junk);
      }
      Path failedOut = TMP.getRoot().toPath().resolve("failed-flink");
      Process failing =
          start(
              "revenue-report",
              "--inputGreen=" + firstParquet(data.resolve("pq/green")),
              "--inputYellow=" + bad,
              "--output=" + failedOut,
              "--runner=FlinkRunner",
              master,
              "--parallelism=2");
      assertTrue(failing.waitFor(5, TimeUnit.MINUTES));
      String failure = output(failing);
      assertEquals(failure, 1, failing.exitValue());
      assertTrue(failure, failure.contains("tripflow revenue-report: job failed"));
      assertFalse("a failed job left " + failedOut, Files.exists(failedOut));
    } catch (Throwable t) {
      stopAfter(t, "cluster", "stop", "--clusterDir=" + dir);
      throw t;
    }
    String stopped = tripflow("cluster", "stop", "--clusterDir=" + dir);
    assertTrue(stopped, stopped.contains("stopped"));
    assertNoLiveDaemons(dir);
  }

  @Test
  public void sparkLocalAndStandaloneCluster() throws Exception {
    Path local = TMP.getRoot().toPath().resolve("report-spark-local");
    tripflow(
        "revenue-report",
        sample(),
        "--output=" + local,
        "--runner=SparkRunner",
        "--sparkMaster=local[2]");
    OutputRows.assertSame(
        "revenue-report on Spark local[2]", local("revenue-report"), OutputRows.of(local));

    int ui = freePort();
    int masterPort = freePort();
    Path dir = TMP.getRoot().toPath().resolve("spark-cluster");
    try {
      String started =
          tripflow(
              "cluster",
              "start",
              "--engine=spark",
              "--clusterDir=" + dir,
              "--webUiPort=" + ui,
              "--masterPort=" + masterPort);
      assertTrue(started, started.contains("1 worker(s), 2 cores"));
      Path report = TMP.getRoot().toPath().resolve("report-spark-cluster");
      tripflow(
          "revenue-report",
          sample(),
          "--output=" + report,
          "--runner=SparkRunner",
          "--sparkMaster=spark://127.0.0.1:" + masterPort);
      OutputRows.assertSame(
          "revenue-report on the Spark cluster", local("revenue-report"), OutputRows.of(report));
      JsonNode state = rest(ui, "/json/");
      assertEquals(state.toString(), 1, state.path("completedapps").size());
    } catch (Throwable t) {
      stopAfter(t, "cluster", "stop", "--engine=spark", "--clusterDir=" + dir);
      throw t;
    }
    tripflow("cluster", "stop", "--engine=spark", "--clusterDir=" + dir);
    assertNoLiveDaemons(dir);
  }

  // ---- helpers ----

  private static String sample() {
    return "--sampleData=" + data;
  }

  /** A command's output on the default PartitionedRunner, computed once per command. */
  private static List<List<Object>> local(String command) throws Exception {
    Path out = TMP.getRoot().toPath().resolve("local-" + command);
    if (!Files.isDirectory(out)) {
      tripflow(command, sample(), "--output=" + out);
    }
    return OutputRows.of(out);
  }

  /** Waits until the job runs tasks on a TaskManager and returns that TaskManager's name. */
  private static String busyTaskManager(int port, String jobName, Process job) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
    while (System.nanoTime() < deadline) {
      assertTrue(
          "the job ended before a TaskManager could be killed: " + output(job), job.isAlive());
      Optional<JsonNode> overview = tryRest(port, "/jobs/overview");
      boolean running = false;
      for (JsonNode j : overview.map(o -> o.path("jobs")).orElse(JSON.createArrayNode())) {
        running |=
            j.path("name").asText().equals(jobName)
                && j.path("state").asText().equals("RUNNING")
                && j.path("tasks").path("running").asInt() > 0;
      }
      if (running) {
        for (JsonNode tm : rest(port, "/taskmanagers").path("taskmanagers")) {
          if (tm.path("freeSlots").asInt() < tm.path("slotsNumber").asInt()) {
            return tm.path("id").asText();
          }
        }
      }
      Thread.sleep(200);
    }
    throw new AssertionError("the job never ran on the cluster: " + output(job));
  }

  private static JsonNode job(int port, String name) throws Exception {
    for (JsonNode j : rest(port, "/jobs/overview").path("jobs")) {
      if (j.path("name").asText().equals(name)) {
        return j;
      }
    }
    throw new AssertionError("no job " + name + " on the cluster");
  }

  private static JsonNode rest(int port, String path) throws Exception {
    return tryRest(port, path).orElseThrow(() -> new AssertionError("no answer from " + path));
  }

  private static Optional<JsonNode> tryRest(int port, String path) {
    try {
      HttpResponse<String> r =
          HTTP.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                  .timeout(Duration.ofSeconds(10))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? Optional.of(JSON.readTree(r.body())) : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  private static void assertNoLiveDaemons(Path dir) throws IOException {
    Path pids = dir.resolve("pid");
    if (!Files.isDirectory(pids)) {
      return;
    }
    try (Stream<Path> files = Files.list(pids)) {
      List<Path> left = files.toList();
      assertTrue("pid files left after stop: " + left, left.isEmpty());
    }
  }

  private static Path firstParquet(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      return files
          .filter(f -> f.toString().endsWith(".parquet"))
          .sorted()
          .findFirst()
          .orElseThrow();
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Starts {@code java -jar tripflow-bundled.jar args...}, its output going to a file. */
  private static Process start(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(javaBinary(), "-Xmx2g", "-jar", JAR.toString()));
    cmd.addAll(Arrays.asList(args));
    Path log = Files.createTempFile(TMP.getRoot().toPath(), args[0], ".log");
    Process p =
        new ProcessBuilder(cmd)
            .directory(TMP.getRoot())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .start();
    LOGS.put(p, log);
    return p;
  }

  /** Runs a tripflow command line to completion; asserts exit code 0 and returns its output. */
  private static String tripflow(String... args) throws Exception {
    Process p = start(args);
    if (!p.waitFor(10, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", args) + ": timed out");
    }
    String out = output(p);
    assertEquals(String.join(" ", args) + ":\n" + out, 0, p.exitValue());
    return out;
  }

  /**
   * Stops a cluster after the test failed with {@code failure}, keeping that failure the one
   * reported (a stop that fails too, say because the start never happened, is added to it as
   * suppressed, with every started command's output).
   */
  private static void stopAfter(Throwable failure, String... stop) {
    try {
      tripflow(stop);
    } catch (Throwable t) {
      failure.addSuppressed(t);
    }
    StringBuilder logs = new StringBuilder("output of the commands started:");
    for (Map.Entry<Process, Path> e : LOGS.entrySet()) {
      try {
        logs.append("\n--- ").append(e.getValue().getFileName()).append('\n');
        logs.append(Files.readString(e.getValue(), StandardCharsets.UTF_8));
      } catch (IOException io) {
        logs.append("(unreadable: ").append(io).append(')');
      }
    }
    failure.addSuppressed(new AssertionError(logs.toString()));
  }

  /** What a started command has printed so far. */
  private static String output(Process p) throws IOException {
    return Files.readString(LOGS.get(p), StandardCharsets.UTF_8);
  }

  private static String javaBinary() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
