package dev.tripflow.deploy;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.testing.LoopbackDataproc;
import dev.tripflow.testing.LoopbackGcs;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code tripflow submit}: the gcloud commands of {@code --dryRun}, exactly; a submit through
 * Google's Dataproc client to the loopback Dataproc endpoint, with the jar staged in the loopback
 * GCS server once and reused after; a job that fails; and one-line usage errors.
 */
public class SubmitTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static LoopbackGcs gcs;
  private static LoopbackDataproc dataproc;
  private static Path key;
  private static Path jar;
  private static byte[] jarBytes;
  private static String hash;

  @BeforeClass
  public static void setUp() throws Exception {
    gcs = LoopbackGcs.start(0).createBucket("staging");
    dataproc = LoopbackDataproc.start(0, gcs);
    key =
        gcs.writeServiceAccountKey(TMP.newFile("key.json").toPath(), "submitter@tripflow-test.iam");
    jarBytes = new byte[300_000];
    new Random(7).nextBytes(jarBytes);
    jar = TMP.getRoot().toPath().resolve("tripflow-bundled.jar");
    Files.write(jar, jarBytes);
    hash =
        HexFormat.of()
            .formatHex(MessageDigest.getInstance("SHA-256").digest(jarBytes))
            .substring(0, 16);
  }

  @AfterClass
  public static void tearDown() {
    dataproc.close();
    gcs.close();
  }

  /** What a command line printed, and its exit code. */
  private record Result(int code, String out, String err) {}

  private static Result run(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        Tripflow.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static final String GREEN = "gs://taxi/pq/green/*/*/*.parquet";
  private static final String YELLOW = "gs://taxi/pq/yellow/*/*/*.parquet";

  @Test
  public void dryRunPrintsTheGcloudCommandsForSpark() {
    int before = dataproc.submissions().size();
    Result r =
        run(
            "submit",
            "dataproc",
            "--cluster=taxi-cluster",
            "--region=europe-west1",
            "--bucket=gs://staging/builds",
            "--jar=" + jar,
            "--dryRun",
            "revenue-report",
            "--inputGreen=" + GREEN,
            "--inputYellow",
            YELLOW,
            "--output=gs://taxi/report/revenue");
    assertEquals(r.err(), 0, r.code());
    String object = "gs://staging/builds/tripflow/jars/tripflow-" + hash + ".jar";
    assertEquals(
        "gcloud storage cp "
            + jar
            + " "
            + object
            + "\n"
            + "gcloud dataproc jobs submit spark --cluster=taxi-cluster --region=europe-west1 --jar="
            + object
            + " --labels=tripflow-command=revenue-report -- revenue-report --runner=SparkRunner"
            + " --inputGreen='gs://taxi/pq/green/*/*/*.parquet' --inputYellow"
            + " 'gs://taxi/pq/yellow/*/*/*.parquet' --output=gs://taxi/report/revenue\n",
        r.out());
    assertEquals("", r.err());
    assertEquals("a dry run submitted a job", before, dataproc.submissions().size());
  }

  @Test
  public void dryRunPrintsTheGcloudCommandsForFlink() {
    Result r =
        run(
            "submit",
            "dataproc",
            "--cluster=taxi-cluster",
            "--region=us-central1",
            "--bucket=gs://staging",
            "--project=my-project",
            "--engine=flink",
            "--async",
            "--jar=" + jar,
            "--dryRun",
            "hourly-revenue",
            "--inputGreen=" + GREEN,
            "--inputYellow=" + YELLOW,
            "--bigQueryTable=my-project:taxi.hourly",
            "--tempLocation=gs://staging/tmp");
    assertEquals(r.err(), 0, r.code());
    String object = "gs://staging/tripflow/jars/tripflow-" + hash + ".jar";
    assertEquals(
        "gcloud storage cp "
            + jar
            + " "
            + object
            + "\n"
            + "gcloud dataproc jobs submit flink --cluster=taxi-cluster --region=us-central1"
            + " --project=my-project --jar="
            + object
            + " --labels=tripflow-command=hourly-revenue --async -- hourly-revenue"
            + " --runner=FlinkRunner --inputGreen='gs://taxi/pq/green/*/*/*.parquet'"
            + " --inputYellow='gs://taxi/pq/yellow/*/*/*.parquet'"
            + " --bigQueryTable=my-project:taxi.hourly --tempLocation=gs://staging/tmp\n",
        r.out());
  }

  private static List<String> submit(String... jobArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "submit",
                "dataproc",
                "--cluster=taxi-cluster",
                "--region=europe-west1",
                "--bucket=gs://staging/builds",
                "--project=tripflow-test",
                "--jar=" + jar,
                "--serviceAccountKey=" + key,
                "--gcsEndpoint=" + gcs.beamEndpoint(),
                "--dataprocEndpoint=" + dataproc.endpoint(),
                "--pollMillis=10"));
    args.addAll(List.of(jobArgs));
    return args;
  }

  @Test
  public void submitsThroughTheDataprocApiAndReusesTheStagedJar() {
    String object = "builds/tripflow/jars/tripflow-" + hash + ".jar";
    int before = dataproc.submissions().size();
    List<String> job =
        List.of(
            "revenue-report",
            "--inputGreen=" + GREEN,
            "--inputYellow=" + YELLOW,
            "--output=gs://taxi/report/revenue");
    List<String> args = submit(job.toArray(new String[0]));

    Result first = run(args.toArray(new String[0]));
    assertEquals(first.err(), 0, first.code());
    assertArrayEquals("the staged jar", jarBytes, gcs.read("staging", object));
    long generation = gcs.generation("staging", object);
    assertTrue(
        first.out(),
        first
            .out()
            .matches("(?s)uploaded gs://staging/" + object + " \\(0\\.3 MB in [0-9.]+ s\\)\n.*"));
    assertTrue(first.out(), first.out().contains("submitted revenue-report as spark job "));
    assertTrue(first.out(), first.out().contains(": PENDING\n"));
    assertTrue(first.out(), first.out().contains(": RUNNING\n"));
    assertTrue(first.out(), first.out().endsWith(": DONE\n"));
    assertTrue(first.out(), first.out().contains("driver output: gs://dataproc-staging-"));

    List<LoopbackDataproc.Submission> submissions = dataproc.submissions();
    assertEquals(before + 1, submissions.size());
    LoopbackDataproc.Submission s = submissions.get(submissions.size() - 1);
    assertEquals("tripflow-test", s.project());
    assertEquals("europe-west1", s.region());
    JsonNode j = s.body().path("job");
    assertEquals("taxi-cluster", j.path("placement").path("clusterName").asText());
    assertEquals("revenue-report", j.path("labels").path("tripflow-command").asText());
    assertTrue(s.body().toString(), j.path("flinkJob").isMissingNode());
    JsonNode spark = j.path("sparkJob");
    assertEquals("gs://staging/" + object, spark.path("mainJarFileUri").asText());
    List<String> sent = new ArrayList<>();
    spark.path("args").forEach(a -> sent.add(a.asText()));
    List<String> expected = new ArrayList<>(job);
    expected.add(1, "--runner=SparkRunner");
    assertEquals(expected, sent);
    assertFalse(sent.toString(), sent.stream().anyMatch(a -> a.contains("Master")));
    assertFalse(s.body().path("requestId").asText().isEmpty());

    // The same build again: the jar is not uploaded a second time.
    Result second = run(args.toArray(new String[0]));
    assertEquals(second.err(), 0, second.code());
    assertTrue(second.out(), second.out().startsWith("reusing gs://staging/" + object + "\n"));
    assertEquals(generation, gcs.generation("staging", object));
    assertEquals(before + 2, dataproc.submissions().size());
  }

  @Test
  public void flinkEngineSubmitsAFlinkJob() {
    int before = dataproc.submissions().size();
    Result r =
        run(
            submit("zone-revenue", "--input=" + GREEN, "--output=gs://taxi/zones", "--async")
                .toArray(new String[0]));
    // --async after the command belongs to the job: zone-revenue has no such option.
    assertEquals(r.out(), 2, r.code());
    assertTrue(r.err(), r.err().contains("zone-revenue: unknown option --async"));

    List<String> args = submit("zone-revenue", "--input=" + GREEN, "--output=gs://taxi/z");
    args.add(2, "--engine=flink");
    args.add(3, "--async");
    r = run(args.toArray(new String[0]));
    assertEquals(r.err(), 0, r.code());
    assertTrue(r.out(), r.out().contains("not waiting (--async): gcloud dataproc jobs wait "));
    assertFalse(r.out(), r.out().contains("DONE"));
    JsonNode j = dataproc.submissions().get(before).body().path("job");
    assertTrue(j.toString(), j.path("sparkJob").isMissingNode());
    assertEquals("--runner=FlinkRunner", j.path("flinkJob").path("args").get(1).asText());
    assertTrue(
        j.path("flinkJob").path("mainJarFileUri").asText().endsWith("tripflow-" + hash + ".jar"));
  }

  @Test
  public void aFailedJobExitsWithOneAndItsDetails() {
    dataproc.failJobsWith("Job failed with message [ClassNotFoundException: x.Y]");
    try {
      Result r =
          run(
              submit(
                      "revenue-report",
                      "--inputGreen=" + GREEN,
                      "--inputYellow=" + YELLOW,
                      "--output=gs://taxi/failed")
                  .toArray(new String[0]));
      assertEquals(r.out(), 1, r.code());
      assertEquals(r.err(), 1, r.err().strip().lines().count());
      assertTrue(
          r.err(),
          r.err()
              .matches(
                  "tripflow submit dataproc: job [0-9a-f]+ failed: Job failed with message"
                      + " \\[ClassNotFoundException: x.Y\\] \\(driver output: gs://.*\\)\n"));
      assertTrue(r.out(), r.out().contains(": ERROR\n"));
    } finally {
      dataproc.failJobsWith(null);
    }
  }

  @Test
  public void usageErrorsAreOneLine() throws Exception {
    String[] base = {
      "--cluster=c", "--region=europe-west1", "--bucket=gs://staging", "--jar=" + jar, "--dryRun"
    };
    for (int drop = 0; drop < 3; drop++) {
      List<String> args = new ArrayList<>(List.of("submit", "dataproc"));
      for (int i = 0; i < base.length; i++) {
        if (i != drop) {
          args.add(base[i]);
        }
      }
      args.addAll(List.of("revenue-report", "--inputGreen=" + GREEN, "--output=gs://t/o"));
      String missing = base[drop].substring(0, base[drop].indexOf('='));
      String e = Cli.fails(2, args.toArray(new String[0]));
      assertTrue(
          e, e.startsWith("tripflow submit dataproc: Missing required value for [" + missing));
    }

    String local =
        Cli.fails(2, dry("revenue-report", "--inputGreen=data/pq/green", "--output=gs://t/o"));
    assertEquals(
        "tripflow submit dataproc: --inputGreen=data/pq/green: a local path; Dataproc's workers"
            + " cannot read this machine's files, use gs://bucket/path (tripflow upload copies a"
            + " local tree to a bucket)\n",
        local);
    String table = Cli.fails(2, dry("sql", "--table=trips=/tmp/trips.parquet", "--query=SELECT 1"));
    assertTrue(table, table.contains("--table=trips=/tmp/trips.parquet: a local path"));

    String output =
        Cli.fails(2, dry("revenue-report", "--inputGreen=" + GREEN, "--inputYellow=" + YELLOW));
    assertEquals(
        "tripflow submit dataproc: give --output=gs://...: its default (data/report/revenue) is a"
            + " local path, which Dataproc's workers cannot reach\n",
        output);
    String sample =
        Cli.fails(2, dry("revenue-report", "--inputGreen=" + GREEN, "--output=gs://t/o"));
    assertTrue(
        sample, sample.contains("give --inputYellow=gs://...: its default (the sample data"));

    String master =
        Cli.fails(2, dry("revenue-report", "--inputGreen=" + GREEN, "--sparkMaster=yarn"));
    assertTrue(master, master.contains("--sparkMaster cannot be given: Dataproc sets the master"));
    String runner = Cli.fails(2, dry("revenue-report", "--runner=DirectRunner"));
    assertTrue(runner, runner.contains("--runner is set by submit"));

    String unknown = Cli.fails(2, dry("revenue-reprot", "--inputGreen=" + GREEN));
    assertTrue(
        unknown,
        unknown.startsWith(
            "tripflow submit dataproc: unknown command 'revenue-reprot'; commands: "));
    String localCommand = Cli.fails(2, dry("upload", "--from=x", "--to=gs://t/x"));
    assertTrue(localCommand, localCommand.contains("upload works on this machine"));
    String none = Cli.fails(2, dry());
    assertTrue(none, none.contains("say which command to run"));

    String option = Cli.fails(2, eastDataproc("--bucket=gs://b", "--clustr=x", "revenue-report"));
    assertTrue(option, option.contains("unknown option --clustr"));
    String engine =
        Cli.fails(2, eastDataproc("--bucket=gs://b", "--engine=hadoop", "revenue-report"));
    assertTrue(engine, engine.contains("--engine=hadoop: expected spark or flink"));
    String bucket = Cli.fails(2, eastDataproc("--bucket=staging", "revenue-report"));
    assertTrue(bucket, bucket.contains("--bucket=staging: expected gs://BUCKET[/PREFIX]"));
    String noJar =
        Cli.fails(
            2,
            eastDataproc(
                "--bucket=gs://b",
                "--dryRun",
                "revenue-report",
                "--inputGreen=" + GREEN,
                "--inputYellow=" + YELLOW,
                "--output=gs://t/o"));
    assertTrue(noJar, noJar.contains("pass --jar="));
    String target = Cli.fails(2, "submit", "yarn", "revenue-report");
    assertTrue(target, target.contains("unknown target 'yarn'; targets: dataproc, flink"));

    String flink = Cli.fails(2, "submit", "flink", "revenue-report");
    assertTrue(flink, flink.contains("--flinkMaster=HOST:PORT is required"));
    int closed;
    try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
      closed = s.getLocalPort();
    }
    String down =
        Cli.fails(2, "submit", "flink", "--flinkMaster=127.0.0.1:" + closed, "revenue-report");
    assertTrue(
        down, down.contains("no Flink cluster answers at http://127.0.0.1:" + closed + "/config"));
  }

  /** submit dataproc with a cluster and region, then {@code rest}. */
  private static String[] eastDataproc(String... rest) {
    List<String> args =
        new ArrayList<>(List.of("submit", "dataproc", "--cluster=c", "--region=us-east1"));
    args.addAll(List.of(rest));
    return args.toArray(new String[0]);
  }

  private static String[] dry(String... jobArgs) {
    List<String> args =
        new ArrayList<>(
            List.of(
                "submit",
                "dataproc",
                "--cluster=c",
                "--region=europe-west1",
                "--bucket=gs://staging",
                "--jar=" + jar,
                "--dryRun"));
    args.addAll(List.of(jobArgs));
    return args.toArray(new String[0]);
  }

  @Test
  public void helpDocumentsTheOptions() {
    Result all = run("submit", "--help");
    assertEquals(0, all.code());
    assertTrue(all.out(), all.out().contains("dataproc") && all.out().contains("flink"));
    Result d = run("submit", "dataproc", "--help");
    assertEquals(0, d.code());
    for (String o :
        List.of("--cluster", "--region", "--bucket", "--engine", "--dryRun", "--async", "--jar")) {
      assertTrue(o + ": " + d.out(), d.out().contains("  " + o + "=<"));
    }
    assertTrue(d.out(), d.out().contains("[default: spark]"));
    Result f = run("submit", "flink", "--help");
    assertEquals(0, f.code());
    assertTrue(f.out(), f.out().contains("--flinkMaster=<String>  (required)"));
    assertTrue(run("--help").out().contains("  submit "));
  }
}
