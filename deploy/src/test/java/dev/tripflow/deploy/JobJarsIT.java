package dev.tripflow.deploy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.pipelines.OutputRows;
import dev.tripflow.testing.LoopbackBigQuery;
import dev.tripflow.testing.LoopbackGcs;
import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipFile;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The slim job jars, submitted the ways Flink and Spark users submit: to a Flink cluster through
 * the REST API ({@code /jars/upload}, {@code /jars/:id/run}) and Flink's CLI front end ({@code
 * flink run}; ClusterIT covers {@code tripflow submit flink}, which stages it); to a Spark cluster
 * with {@code spark-submit}. The clusters run on the engines' own jars only, as real ones do; one
 * run per engine reads GCS and loads BigQuery (the loopback servers) as a Dataproc job does; every
 * output, files and table alike, must equal the PartitionedRunner's.
 */
public class JobJarsIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final HttpClient HTTP = HttpClient.newHttpClient();
  private static final Path BUNDLED =
      Path.of(System.getProperty("tripflow.bundledJar", "target/tripflow-bundled.jar"));
  private static final Path FLINK_JOB =
      Path.of(
          System.getProperty(
              "tripflow.flinkJobJar", "../job-jars/flink/target/tripflow-flink-job.jar"));
  private static final Path SPARK_JOB =
      Path.of(
          System.getProperty(
              "tripflow.sparkJobJar", "../job-jars/spark/target/tripflow-spark-job.jar"));

  private static final String PROJECT = "tripflow-test";

  private static Path data;
  private static List<List<Object>> local;
  private static List<List<Object>> localSql;
  private static LoopbackGcs gcs;
  private static LoopbackBigQuery bq;
  private static Path key;

  @BeforeClass
  public static void generate() throws Exception {
    for (Path jar : List.of(BUNDLED, FLINK_JOB, SPARK_JOB)) {
      assertTrue(jar + " is missing: run mvn package first", Files.isRegularFile(jar));
    }
    data = TMP.newFolder("data").toPath();
    run(
        bundled("generate", "--output=" + data, "--rows=20000", "--services=green,yellow"),
        Map.of());
    Path out = TMP.getRoot().toPath().resolve("local");
    run(bundled("revenue-report", "--sampleData=" + data, "--output=" + out), Map.of());
    local = OutputRows.of(out);
    // Beam SQL with Calcite is in each job jar (and its JDBC shell's DirectRunner is not)
    Path sql = TMP.getRoot().toPath().resolve("local-sql");
    run(bundled(sqlArgs(sql).toArray(String[]::new)), Map.of());
    localSql = OutputRows.of(sql);

    // What a Dataproc job reads and writes: the sample's Parquet on (loopback) GCS, a BigQuery
    // dataset, and a service-account key every worker loads.
    gcs = LoopbackGcs.start(0).createBucket("taxi");
    bq = LoopbackBigQuery.start(0, gcs).createDataset(PROJECT, "taxi");
    key = gcs.writeServiceAccountKey(TMP.newFile("key.json").toPath(), "job@tripflow-test.iam");
    Path pq = data.resolve("pq");
    try (Stream<Path> files = Files.walk(pq)) {
      for (Path f : files.filter(f -> f.toString().endsWith(".parquet")).toList()) {
        gcs.write("taxi", "pq/" + pq.relativize(f), Files.readAllBytes(f));
      }
    }
  }

  @AfterClass
  public static void stopCloud() {
    if (bq != null) {
      bq.close();
    }
    if (gcs != null) {
      gcs.close();
    }
  }

  /**
   * revenue-report as a Dataproc job runs it: Parquet from gs://, the report loaded into BigQuery,
   * the credentials a key file.
   */
  private static List<String> cloudReportArgs(String table) {
    return List.of(
        "revenue-report",
        "--inputGreen=gs://taxi/pq/green/*/*/*.parquet",
        "--inputYellow=gs://taxi/pq/yellow/*/*/*.parquet",
        "--bigQueryTable=" + PROJECT + ":taxi." + table,
        "--project=" + PROJECT,
        "--tempLocation=gs://taxi/tmp",
        "--serviceAccountKey=" + key,
        "--gcsEndpoint=" + gcs.beamEndpoint(),
        "--bigQueryEndpoint=" + bq.endpoint());
  }

  private static void assertTableSame(String who, String table) throws Exception {
    OutputRows.assertSame(
        who,
        local,
        OutputRows.ofBigQuery(
            bq, PROJECT, "taxi", table, TMP.getRoot().toPath().resolve("bq-" + table)));
  }

  /** The course's SQL variant of the hourly revenue: Beam SQL, Calcite and its generated code. */
  private static List<String> sqlArgs(Path output) {
    return List.of("hourly-revenue", "--style=sql", "--sampleData=" + data, "--output=" + output);
  }

  /** Neither job jar carries an engine: Flink's, Spark's and Scala's classes are the cluster's. */
  @Test
  public void jobJarsLeaveTheEngineToTheCluster() throws Exception {
    for (Path jar : List.of(FLINK_JOB, SPARK_JOB)) {
      try (ZipFile zip = new ZipFile(jar.toFile())) {
        List<String> engine =
            zip.stream()
                .map(e -> e.getName())
                .filter(
                    n ->
                        n.startsWith("org/apache/flink/")
                            || n.startsWith("org/apache/spark/")
                            || n.startsWith("scala/"))
                .limit(5)
                .toList();
        assertTrue(jar + " holds engine classes: " + engine, engine.isEmpty());
        String runner = jar.equals(FLINK_JOB) ? "flink" : "spark";
        assertTrue(
            jar + " has no Beam " + runner + " runner",
            zip.getEntry("org/apache/beam/runners/" + runner + "/") != null
                || zip.stream()
                    .anyMatch(
                        e -> e.getName().startsWith("org/apache/beam/runners/" + runner + "/")));
        String registrars =
            new String(
                zip.getInputStream(
                        zip.getEntry(
                            "META-INF/services/org.apache.beam.sdk.runners.PipelineRunnerRegistrar"))
                    .readAllBytes(),
                StandardCharsets.UTF_8);
        assertTrue(registrars, registrars.contains("org.apache.beam.runners." + runner + "."));
        // Flink's lib/ has no Hadoop, so the Flink job brings one; Spark's jars/ has its own.
        boolean hadoop = zip.getEntry("org/apache/hadoop/conf/Configuration.class") != null;
        assertEquals(jar + " holds Hadoop", jar.equals(FLINK_JOB), hadoop);
      }
    }
  }

  /**
   * spark-submit puts Spark's jars/ ahead of the job jar, so a class both hold always loads from
   * jars/: the Spark job jar leaves such libraries to the cluster, but for the few it needs in a
   * newer release with classes Spark's copy lacks.
   */
  @Test
  public void sparkJobJarLeavesSparksLibrariesToSpark() throws Exception {
    Path jars =
        Path.of(System.getProperty("tripflow.sparkJars", "../cluster-engines/spark/target/jars"));
    Set<String> spark = new HashSet<>();
    try (DirectoryStream<Path> all = Files.newDirectoryStream(jars, "*.jar")) {
      for (Path jar : all) {
        try (ZipFile zip = new ZipFile(jar.toFile())) {
          zip.stream().map(e -> e.getName()).filter(n -> n.endsWith(".class")).forEach(spark::add);
        }
      }
    }
    assertTrue(jars + " is empty", spark.size() > 10000);
    List<String> kept =
        List.of(
            "com/google/protobuf/", // 3.25 for the Google clients; Spark has 3.19
            "org/apache/commons/lang3/",
            "com/codahale/metrics/",
            "javax/annotation/");
    try (ZipFile zip = new ZipFile(SPARK_JOB.toFile())) {
      List<String> shadowed =
          zip.stream()
              .map(e -> e.getName())
              .filter(spark::contains)
              .filter(n -> kept.stream().noneMatch(n::startsWith))
              .limit(10)
              .toList();
      assertTrue("classes Spark's jars/ hold: " + shadowed, shadowed.isEmpty());
    }
  }

  /** The Flink job jar through the REST API and the CLI front end. */
  @Test
  public void flinkJobJarSubmittedThroughRestAndCli() throws Exception {
    int port = freePort();
    Path dir = TMP.getRoot().toPath().resolve("flink-cluster");
    try {
      run(
          bundled(
              "cluster",
              "start",
              "--clusterDir=" + dir,
              "--workers=1",
              "--slots=2",
              "--webUiPort=" + port),
          Map.of());

      // REST: upload the jar, run it (the program hands the job over detached), follow the job.
      Path rest = TMP.getRoot().toPath().resolve("flink-rest");
      String jarId = upload(port, FLINK_JOB);
      JsonNode started =
          post(
              port,
              "/jars/" + jarId + "/run",
              JSON.createObjectNode()
                  .set(
                      "programArgsList",
                      JSON.valueToTree(
                          List.of(
                              "revenue-report",
                              "--sampleData=" + data,
                              "--output=" + rest,
                              "--parallelism=2"))));
      String jobId = started.path("jobid").asText();
      assertTrue(started.toString(), !jobId.isEmpty());
      assertEquals("FINISHED", awaitJob(port, jobId));
      OutputRows.assertSame("revenue-report through Flink's REST API", local, OutputRows.of(rest));

      // The CLI front end ('flink run'), on the cluster's own jars and configuration: the job as
      // Dataproc would run it, from GCS into BigQuery and a local report.
      Path cli = TMP.getRoot().toPath().resolve("flink-cli");
      List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx1g", "-cp", dir + "/lib/*"));
      cmd.addAll(List.of("org.apache.flink.client.cli.CliFrontend", "run", FLINK_JOB.toString()));
      cmd.addAll(cloudReportArgs("flink_report"));
      cmd.addAll(List.of("--output=" + cli, "--parallelism=2"));
      String out = run(cmd, Map.of("FLINK_CONF_DIR", dir.resolve("conf").toString()));
      assertTrue(out, out.contains("rows loaded"));
      OutputRows.assertSame("revenue-report through flink run", local, OutputRows.of(cli));
      assertTableSame("revenue-report from flink run into BigQuery", "flink_report");

      Path sql = TMP.getRoot().toPath().resolve("flink-sql");
      cmd = new ArrayList<>(List.of(java(), "-Xmx1g", "-cp", dir + "/lib/*"));
      cmd.addAll(List.of("org.apache.flink.client.cli.CliFrontend", "run", FLINK_JOB.toString()));
      cmd.addAll(sqlArgs(sql));
      cmd.add("--parallelism=2");
      run(cmd, Map.of("FLINK_CONF_DIR", dir.resolve("conf").toString()));
      OutputRows.assertSame(
          "hourly-revenue --style=sql through flink run", localSql, OutputRows.of(sql));
    } finally {
      run(bundled("cluster", "stop", "--clusterDir=" + dir), Map.of());
    }
  }

  /** The Spark job jar through spark-submit to a standalone master. */
  @Test
  public void sparkJobJarSubmittedWithSparkSubmit() throws Exception {
    int ui = freePort();
    int masterPort = freePort();
    Path dir = TMP.getRoot().toPath().resolve("spark-cluster");
    try {
      run(
          bundled(
              "cluster",
              "start",
              "--engine=spark",
              "--clusterDir=" + dir,
              "--webUiPort=" + ui,
              "--masterPort=" + masterPort),
          Map.of());
      Path report = TMP.getRoot().toPath().resolve("spark-submit");
      List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx1g"));
      cmd.addAll(dev.tripflow.runners.SparkJava.ADD_OPENS);
      cmd.addAll(
          List.of(
              "-cp",
              dir + "/spark-home/jars/*",
              "org.apache.spark.deploy.SparkSubmit",
              "--master",
              "spark://127.0.0.1:" + masterPort,
              "--conf",
              "spark.driver.host=127.0.0.1",
              "--class",
              "dev.tripflow.jobs.spark.SparkJob",
              SPARK_JOB.toString()));
      // the job as Dataproc would run it: from GCS into BigQuery and a gs:// report
      cmd.addAll(cloudReportArgs("spark_report"));
      cmd.add("--output=gs://taxi/spark-report");
      String out = run(cmd, Map.of("SPARK_HOME", dir.resolve("spark-home").toString()));
      assertTrue(out, out.contains("rows loaded"));
      OutputRows.assertSame(
          "revenue-report through spark-submit",
          local,
          OutputRows.ofGcs(gcs, "taxi", "spark-report", report));
      assertTableSame("revenue-report from spark-submit into BigQuery", "spark_report");

      Path sql = TMP.getRoot().toPath().resolve("spark-sql");
      cmd = new ArrayList<>(cmd.subList(0, cmd.indexOf(SPARK_JOB.toString()) + 1));
      cmd.addAll(sqlArgs(sql));
      run(cmd, Map.of("SPARK_HOME", dir.resolve("spark-home").toString()));
      OutputRows.assertSame(
          "hourly-revenue --style=sql through spark-submit", localSql, OutputRows.of(sql));
      JsonNode state = get(ui, "/json/");
      assertEquals(state.toString(), 2, state.path("completedapps").size());
    } finally {
      run(bundled("cluster", "stop", "--engine=spark", "--clusterDir=" + dir), Map.of());
    }
  }

  // ---- helpers ----

  private static String upload(int port, Path jar) throws Exception {
    String boundary = "tripflow-" + UUID.randomUUID();
    byte[] head =
        ("--"
                + boundary
                + "\r\nContent-Disposition: form-data; name=\"jarfile\"; filename=\""
                + jar.getFileName()
                + "\"\r\nContent-Type: application/x-java-archive\r\n\r\n")
            .getBytes(StandardCharsets.UTF_8);
    byte[] tail = ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.UTF_8);
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/jars/upload"))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(
                    HttpRequest.BodyPublishers.concat(
                        HttpRequest.BodyPublishers.ofByteArray(head),
                        HttpRequest.BodyPublishers.ofFile(jar),
                        HttpRequest.BodyPublishers.ofByteArray(tail)))
                .timeout(Duration.ofMinutes(2))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(r.body(), 200, r.statusCode());
    String filename = JSON.readTree(r.body()).path("filename").asText();
    return filename.substring(filename.lastIndexOf('/') + 1);
  }

  private static JsonNode post(int port, String path, JsonNode body) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body.toString()))
                .timeout(Duration.ofMinutes(3))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(r.body(), 200, r.statusCode());
    return JSON.readTree(r.body());
  }

  private static JsonNode get(int port, String path) throws Exception {
    HttpResponse<String> r =
        HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(r.body(), 200, r.statusCode());
    return JSON.readTree(r.body());
  }

  /** Waits for a Flink job to reach a terminal state and returns it. */
  private static String awaitJob(int port, String jobId) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(4);
    while (System.nanoTime() < deadline) {
      String state = get(port, "/jobs/" + jobId).path("state").asText();
      if (List.of("FINISHED", "FAILED", "CANCELED").contains(state)) {
        return state;
      }
      Thread.sleep(500);
    }
    throw new AssertionError("job " + jobId + " did not end within 4 minutes");
  }

  private static List<String> bundled(String... args) {
    List<String> cmd = new ArrayList<>(List.of(java(), "-Xmx2g", "-jar", BUNDLED.toString()));
    cmd.addAll(Arrays.asList(args));
    return cmd;
  }

  /** Runs a command to completion in the test's directory; asserts exit 0, returns its output. */
  private static String run(List<String> cmd, Map<String, String> env) throws Exception {
    Path log = Files.createTempFile(TMP.getRoot().toPath(), "cmd", ".log");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(TMP.getRoot())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(env);
    Process p = pb.start();
    if (!p.waitFor(6, TimeUnit.MINUTES)) {
      p.destroyForcibly();
      throw new AssertionError(String.join(" ", cmd) + ": timed out");
    }
    String out = Files.readString(log, StandardCharsets.UTF_8);
    assertEquals(String.join(" ", cmd) + ":\n" + out, 0, p.exitValue());
    return out;
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  private static String java() {
    return ProcessHandle.current().info().command().orElse("java");
  }
}
