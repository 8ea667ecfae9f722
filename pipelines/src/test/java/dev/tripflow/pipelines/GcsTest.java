package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.tripflow.testing.LoopbackGcs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * gs:// end to end against the loopback GCS server, with a service-account key whose token grant
 * goes to the server too: {@code upload} copies the generated Parquet tree to a bucket, and
 * revenue-report reads it from gs:// and writes its report to gs://, with the same rows as the
 * local run; then all of it again while the server answers every 5th request with 503. Bad keys,
 * missing buckets and refused accounts each give one line.
 */
public class GcsTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static LoopbackGcs gcs;
  private static Path data;
  private static Path key;
  private static List<List<Object>> localReport;

  @BeforeClass
  public static void setUp() throws Exception {
    gcs = LoopbackGcs.start(0).createBucket("taxi").createBucket("locked", "someone-else@x.iam");
    key = gcs.writeServiceAccountKey(TMP.newFile("key.json").toPath(), "runner@tripflow-test.iam");
    data = TMP.newFolder("data").toPath();
    Cli.ok("generate", "--output=" + data, "--rows=3000", "--malformedFraction=0.01");
    Path local = TMP.getRoot().toPath().resolve("report-local");
    Cli.ok("revenue-report", "--sampleData=" + data, "--output=" + local);
    localReport = OutputRows.of(local);
  }

  @AfterClass
  public static void tearDown() {
    gcs.close();
  }

  private static String[] cloud(String... args) {
    String[] all = new String[args.length + 2];
    System.arraycopy(args, 0, all, 0, args.length);
    all[args.length] = "--serviceAccountKey=" + key;
    all[args.length + 1] = "--gcsEndpoint=" + gcs.beamEndpoint();
    return all;
  }

  @Test
  public void uploadThenReportFromAndToGcs() throws Exception {
    roundTrip("clean");
  }

  @Test
  public void sameAnswersWhileTheServerFails() throws Exception {
    long before = gcs.faults();
    gcs.failEvery(5);
    try {
      roundTrip("faulty");
    } finally {
      gcs.failEvery(0);
    }
    assertTrue("no 503 was injected", gcs.faults() > before);
  }

  private void roundTrip(String prefix) throws Exception {
    Cli.ok(cloud("upload", "--from=" + data.resolve("pq"), "--to=gs://taxi/" + prefix + "/pq"));
    long localFiles;
    try (Stream<Path> s = Files.walk(data.resolve("pq"))) {
      localFiles = s.filter(Files::isRegularFile).count();
    }
    long uploaded = gcs.list("taxi").stream().filter(n -> n.startsWith(prefix + "/pq/")).count();
    // every file, and the manifest listing them
    assertEquals(localFiles + 1, uploaded);
    String manifest =
        new String(
            gcs.read("taxi", prefix + "/pq/_SUCCESS"), java.nio.charset.StandardCharsets.UTF_8);
    assertTrue(manifest, manifest.contains("green/2020/01/part-00000.parquet"));
    assertFalse(
        "markers left behind: " + gcs.list("taxi"),
        gcs.list("taxi").stream().anyMatch(n -> n.contains(".run-") || n.contains(".commit-")));

    String base = "gs://taxi/" + prefix + "/pq/";
    Cli.ok(
        cloud(
            "revenue-report",
            "--inputGreen=" + base + "green/*/*/*.parquet",
            "--inputYellow=" + base + "yellow/*/*/*.parquet",
            "--output=gs://taxi/" + prefix + "/report"));
    List<List<Object>> report =
        OutputRows.ofGcs(gcs, "taxi", prefix + "/report", TMP.getRoot().toPath().resolve(prefix));
    assertFalse(
        "staging objects left behind: " + gcs.list("taxi"),
        gcs.list("taxi").stream().anyMatch(n -> n.contains(".staging-")));
    OutputRows.assertSame("revenue-report gs:// -> gs://", localReport, report);
  }

  @Test
  public void clearErrors() throws Exception {
    String missing =
        Cli.fails(
            2, "upload", "--from=" + data, "--to=gs://taxi/x", "--serviceAccountKey=/nope.json");
    assertTrue(missing, missing.contains("--serviceAccountKey=/nope.json: no such key file"));

    Path bad = TMP.newFile("bad-key.json").toPath();
    Files.writeString(bad, "{\"type\": \"service_account\", \"private_key\": \"SECRET-MATERIAL\"");
    String badKey =
        Cli.fails(2, "upload", "--from=" + data, "--to=gs://taxi/x", "--serviceAccountKey=" + bad);
    assertTrue(badKey, badKey.contains(bad + ": not a Google credentials key file"));
    assertFalse("the key's contents leaked: " + badKey, badKey.contains("SECRET-MATERIAL"));

    String noBucket = Cli.fails(2, cloud("upload", "--from=" + data, "--to=gs://no-such-bucket/x"));
    assertTrue(noBucket, noBucket.contains("bucket no-such-bucket not found"));

    String denied = Cli.fails(2, cloud("upload", "--from=" + data, "--to=gs://locked/x"));
    assertTrue(
        denied, denied.contains("permission denied for runner@tripflow-test.iam on bucket locked"));

    String noInput =
        Cli.fails(
            2,
            cloud(
                "revenue-report",
                "--inputGreen=gs://no-such-bucket/green/*.parquet",
                "--inputYellow=gs://taxi/none/*.parquet",
                "--output=gs://taxi/out"));
    assertTrue(
        noInput,
        noInput.contains(
            "--inputGreen=gs://no-such-bucket/green/*.parquet: bucket no-such-bucket not found"));

    String lockedInput =
        Cli.fails(
            2,
            cloud(
                "revenue-report",
                "--inputGreen=gs://locked/green/*.parquet",
                "--inputYellow=gs://taxi/none/*.parquet",
                "--output=gs://taxi/out"));
    assertTrue(
        lockedInput,
        lockedInput.contains(
            "--inputGreen=gs://locked/green/*.parquet: permission denied for"
                + " runner@tripflow-test.iam on bucket locked"));
  }
}
