package dev.tripflow.deploy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import dev.tripflow.io.output.Manifest;
import dev.tripflow.pipelines.DuckDbOracle;
import dev.tripflow.testing.LoopbackBigQuery;
import dev.tripflow.testing.LoopbackGcs;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.GZIPOutputStream;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The defects users met through {@code ./tripflow}, each reproduced through the launcher as a
 * process on directories that already hold things: outputs that would destroy inputs or each other
 * are refused before any work, the save modes, counts that equal DuckDB's counts of the committed
 * files, strict inputs with one-line errors, the BigQuery options the launcher used to refuse, and
 * {@code kill -9} at random points of a run leaving its outputs wholly old or wholly new.
 */
public class LauncherIT {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static Path work;
  private static Path data;

  @BeforeClass
  public static void generate() throws Exception {
    work = TMP.newFolder("work").toPath();
    data = work.resolve("data");
    Launcher.run(
            work,
            "generate",
            "--output=data",
            "--rows=20000",
            "--services=green,yellow",
            "--malformedFraction=0.01")
        .ok();
  }

  private static String green() {
    return data + "/pq/green/*/*/*.parquet";
  }

  private static String yellow() {
    return data + "/pq/yellow/*/*/*.parquet";
  }

  /** Every file under {@code dir} with a digest of its bytes, hidden ones included. */
  private static Map<String, String> snapshot(Path dir) throws Exception {
    Map<String, String> files = new TreeMap<>();
    if (!Files.exists(dir)) {
      return files;
    }
    try (Stream<Path> all = Files.walk(dir)) {
      for (Path f : all.filter(Files::isRegularFile).toList()) {
        byte[] digest = MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f));
        files.put(dir.relativize(f).toString(), HexFormat.of().formatHex(digest));
      }
    }
    return files;
  }

  private static long count(DuckDbOracle duck, String sql) throws Exception {
    return ((Number) duck.query(sql).get(0).get(0)).longValue();
  }

  /** The number in the summary line that starts with {@code label} and ends with {@code detail}. */
  private static long summary(Launcher.Result r, String label, String detail) {
    Pattern p =
        Pattern.compile(
            "^  " + Pattern.quote(label) + "\\s+([0-9,-]+)\\s+.*" + Pattern.quote(detail) + ".*$",
            Pattern.MULTILINE);
    Matcher m = p.matcher(r.out());
    assertTrue("no '" + label + " ... " + detail + "' line: " + r.both(), m.find());
    return Long.parseLong(m.group(1).replace(",", ""));
  }

  @Test
  public void outputsNeverDestroyInputsOrEachOther() throws Exception {
    Path dir = TMP.newFolder("refusals").toPath();
    Path in = Files.createDirectories(dir.resolve("in"));
    Files.copy(data.resolve("pq/green/2020/01/part-00000.parquet"), in.resolve("g.parquet"));
    Path notes = Files.createDirectories(dir.resolve("notes"));
    Files.writeString(notes.resolve("notes.txt"), "my notes");
    Path csv = data.resolve("raw/green/2020/01/green_tripdata_2020_01.csv.gz");
    Map<String, String> before = snapshot(dir);
    Map<String, String> dataBefore = snapshot(data);

    String line =
        Launcher.run(
                dir,
                "revenue-report",
                "--inputGreen=in",
                "--inputYellow=" + yellow(),
                "--output=in")
            .fails(2);
    assertTrue(line, line.contains("--output=" + in + ": is the input --inputGreen=" + in));
    line =
        Launcher.run(
                dir,
                "revenue-report",
                "--inputGreen=" + green(),
                "--inputYellow=" + yellow(),
                "--output=" + data.resolve("pq"))
            .fails(2);
    assertTrue(line, line.contains(": contains the input --input"));
    line =
        Launcher.run(
                dir, "ingest", "--input=" + csv, "--schema=green", "--output=" + csv.getParent())
            .fails(2);
    assertTrue(line, line.contains(": contains the input --input=" + csv));
    line = Launcher.run(dir, "revenue-report", "--sampleData=" + data, "--output=notes").fails(2);
    assertTrue(
        line,
        line.contains(
            "--output="
                + notes
                + ": exists and was not written by tripflow (no _SUCCESS manifest; it holds"
                + " notes.txt)"));
    line =
        Launcher.run(
                dir,
                "ingest",
                "--input=" + csv,
                "--schema=green",
                "--output=out",
                "--deadLetterOutput=out")
            .fails(2);
    assertTrue(line, line.contains(": is also the output --"));
    line =
        Launcher.run(
                dir,
                "hourly-revenue",
                "--sampleData=" + data,
                "--output=hourly",
                "--outputGreen=hourly/")
            .fails(2);
    assertTrue(line, line.contains(": is also the output --"));
    line =
        Launcher.run(
                dir,
                "zone-revenue",
                "--input=in",
                "--zoneColumn=PULocationID",
                "--output=z",
                "--unmatchedOutput=z/unmatched")
            .fails(2);
    assertTrue(line, line.contains(" the output --"));

    // Nothing was touched, nor marked: no run began.
    assertEquals(before, snapshot(dir));
    assertEquals(dataBefore, snapshot(data));
  }

  @Test
  public void saveModes() throws Exception {
    Path dir = TMP.newFolder("modes").toPath();
    String[] report = {"revenue-report", "--sampleData=" + data, "--output=report", "--shards=2"};
    Launcher.run(dir, report).ok();
    String first = Manifest.require(dir.resolve("report").toString()).run();

    List<String> errorIfExists = new ArrayList<>(List.of(report));
    errorIfExists.add("--mode=errorIfExists");
    String line = Launcher.run(dir, errorIfExists.toArray(new String[0])).fails(2);
    assertTrue(line, line.endsWith(": already exists (--mode=errorIfExists)"));

    List<String> ignore = new ArrayList<>(List.of(report));
    ignore.add("--mode=ignore");
    Launcher.Result ignored = Launcher.run(dir, ignore.toArray(new String[0])).ok();
    assertTrue(ignored.both(), ignored.out().contains("nothing written: --output="));
    assertEquals(first, Manifest.require(dir.resolve("report").toString()).run());

    Launcher.run(dir, report).ok(); // overwrite, the default: tripflow's own output
    Manifest second = Manifest.require(dir.resolve("report").toString());
    assertFalse(first.equals(second.run()));
    List<String> names;
    try (Stream<Path> s = Files.list(dir.resolve("report"))) {
      names = s.map(p -> p.getFileName().toString()).sorted().toList();
    }
    assertEquals(List.of("_SUCCESS", "part-00000.parquet", "part-00001.parquet"), names);
    try (Stream<Path> s = Files.list(dir)) {
      assertEquals(List.of("report"), s.map(p -> p.getFileName().toString()).toList());
    }
  }

  /**
   * Every count in every summary equals DuckDB's count of the files: the inputs for rows read
   * (rejected lines included), the committed outputs for rows written and bad rows, also for an
   * ingest into 24 files; under New York's time zone.
   */
  @Test
  public void summaryCountsAreDuckDbsCountsOfTheFiles() throws Exception {
    Path dir = TMP.newFolder("counts").toPath();
    Map<String, String> ny = Map.of("TZ", "America/New_York");
    Launcher.run(
            dir,
            ny,
            "generate",
            "--output=fhv",
            "--year=2021",
            "--services=fhvhv",
            "--fhvhvRows=12000",
            "--formats=csv",
            "--malformedFraction=0.01")
        .ok();
    String csv = dir + "/fhv/raw/fhvhv/2021/01/fhvhv_tripdata_2021_01.csv.gz";
    Launcher.Result ingest =
        Launcher.run(
                dir,
                ny,
                "ingest",
                "--input=" + csv,
                "--schema=fhvhv",
                "--output=out",
                "--shards=24")
            .ok();
    Launcher.Result report =
        Launcher.run(dir, ny, "revenue-report", "--sampleData=" + data, "--output=report").ok();
    Launcher.Result hourly =
        Launcher.run(
                dir,
                ny,
                "hourly-revenue",
                "--sampleData=" + data,
                "--output=h/total",
                "--outputGreen=h/green",
                "--outputYellow=h/yellow")
            .ok();
    Launcher.Result zones =
        Launcher.run(dir, ny, "zone-revenue", "--input=h/total", "--output=h/zones").ok();
    try (DuckDbOracle duck = new DuckDbOracle()) {
      long lines =
          count(
              duck,
              "SELECT count(*) FROM read_csv('"
                  + csv
                  + "', header=true, all_varchar=true, null_padding=true)");
      assertEquals(lines, summary(ingest, "rows read", csv));
      assertEquals(
          count(duck, "SELECT count(*) FROM read_parquet('" + dir + "/out/*.parquet')"),
          summary(ingest, "rows written", dir + "/out"));
      long dead =
          count(
              duck, "SELECT count(*) FROM read_csv('" + dir + "/out-rejected/*.csv', header=true)");
      assertTrue("the generator wrote malformed lines", dead > 0);
      assertEquals(dead, summary(ingest, "bad rows", dir + "/out-rejected"));
      assertEquals(
          24,
          Manifest.require(dir + "/out").files().stream()
              .filter(f -> f.name().endsWith(".parquet"))
              .count());
      // The same counts on the other runners: they come from the committed files, not from a
      // runner's counters.
      for (String runner : List.of("DirectRunner", "FlinkRunner")) {
        String o = "out-" + runner;
        Launcher.Result r =
            Launcher.run(
                    dir,
                    ny,
                    "ingest",
                    "--input=" + csv,
                    "--schema=fhvhv",
                    "--output=" + o,
                    "--shards=24",
                    "--runner=" + runner)
                .ok();
        assertEquals(lines, summary(r, "rows read", csv));
        assertEquals(
            count(duck, "SELECT count(*) FROM read_parquet('" + dir + "/" + o + "/*.parquet')"),
            summary(r, "rows written", dir + "/" + o));
        assertEquals(dead, summary(r, "bad rows", dir + "/" + o + "-rejected"));
      }

      assertEquals(
          count(duck, "SELECT count(*) FROM read_parquet('" + green() + "')"),
          summary(report, "rows read", "green"));
      assertEquals(
          count(duck, "SELECT count(*) FROM read_parquet('" + yellow() + "')"),
          summary(report, "rows read", "yellow"));
      assertEquals(
          count(duck, "SELECT count(*) FROM read_parquet('" + dir + "/report/*.parquet')"),
          summary(report, "rows written", dir + "/report"));
      for (String part : List.of("total", "green", "yellow")) {
        assertEquals(
            count(
                duck, "SELECT count(*) FROM read_parquet('" + dir + "/h/" + part + "/*.parquet')"),
            summary(hourly, "rows written", dir + "/h/" + part));
      }
      long total =
          count(duck, "SELECT count(*) FROM read_parquet('" + dir + "/h/total/*.parquet')");
      assertEquals(total, summary(zones, "rows read", "h/total"));
      long matched =
          count(duck, "SELECT count(*) FROM read_parquet('" + dir + "/h/zones/*.parquet')");
      long unmatched =
          count(
              duck, "SELECT count(*) FROM read_parquet('" + dir + "/h/zones-unmatched/*.parquet')");
      assertEquals(matched, summary(zones, "rows written", dir + "/h/zones"));
      assertEquals(unmatched, summary(zones, "unmatched", dir + "/h/zones-unmatched"));
      assertEquals(total, matched + unmatched);
    }
  }

  private static void gzip(Path file, byte[] bytes) throws Exception {
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(bytes);
    }
  }

  @Test
  public void inputsAreCheckedStrictly() throws Exception {
    Path dir = TMP.newFolder("strict").toPath();
    // A report given as trips: refused before any work, naming the file and a missing column.
    Launcher.run(dir, "revenue-report", "--sampleData=" + data, "--output=report").ok();
    String line =
        Launcher.run(
                dir,
                "revenue-report",
                "--inputGreen=report",
                "--inputYellow=" + yellow(),
                "--output=again")
            .fails(2);
    assertTrue(
        line,
        line.contains(
            "report/part-00000.parquet: no column 'lpep_pickup_datetime' (read as pickup_datetime)"));
    // Trips without their pickup time.
    try (DuckDbOracle duck = new DuckDbOracle()) {
      duck.execute(
          "COPY (SELECT * EXCLUDE (lpep_pickup_datetime) FROM read_parquet('"
              + data
              + "/pq/green/2020/01/*.parquet')) TO '"
              + dir
              + "/nopickup.parquet' (FORMAT PARQUET)");
    }
    line =
        Launcher.run(
                dir,
                "hourly-revenue",
                "--inputGreen=nopickup.parquet",
                "--inputYellow=" + yellow(),
                "--output=h")
            .fails(2);
    assertTrue(line, line.contains("nopickup.parquet: no column 'lpep_pickup_datetime'"));

    // A CSV header without a column of the schema.
    Files.writeString(dir.resolve("zones.csv"), "LocationID,Borough,Zone\n1,EWR,Newark Airport\n");
    line =
        Launcher.run(dir, "ingest", "--input=zones.csv", "--schema=zones", "--output=z").fails(2);
    assertTrue(line, line.contains("zones.csv: the header has no column 'service_zone'"));

    // RFC 4180 records over several lines, and bytes that are not UTF-8, in a gzip file.
    ByteArrayOutputStream text = new ByteArrayOutputStream();
    text.writeBytes(
        ("LocationID,Borough,Zone,service_zone\n"
                + "1,EWR,\"Newark\nAirport\",EWR\n"
                + "2,Queens,\"Jamaica \"\"Bay\"\"\",Boro Zone\n")
            .getBytes(StandardCharsets.UTF_8));
    text.writeBytes(
        new byte[] {'3', ',', 'B', 'r', 'o', 'n', 'x', ',', (byte) 0xC3, '(', ',', 'x', '\n'});
    text.writeBytes("4,Manhattan,Alphabet City,Yellow Zone\n".getBytes(StandardCharsets.UTF_8));
    gzip(dir.resolve("zones.csv.gz"), text.toByteArray());
    Launcher.Result ingest =
        Launcher.run(dir, "ingest", "--input=zones.csv.gz", "--schema=zones", "--output=zones")
            .ok();
    assertEquals(4, summary(ingest, "rows read", "zones.csv.gz"));
    assertEquals(3, summary(ingest, "rows written", dir + "/zones"));
    assertEquals(1, summary(ingest, "bad rows", dir + "/zones-rejected"));
    try (DuckDbOracle duck = new DuckDbOracle()) {
      assertEquals(
          List.of(
              List.of(1L, "Newark\nAirport"),
              List.of(2L, "Jamaica \"Bay\""),
              List.of(4L, "Alphabet City")),
          duck.query(
              "SELECT LocationID, Zone FROM read_parquet('"
                  + dir
                  + "/zones/*.parquet') ORDER BY 1"));
      assertEquals(
          List.of(List.of(5L, "invalid UTF-8 at byte 9")),
          duck.query(
              "SELECT line, reason FROM read_csv('"
                  + dir
                  + "/zones-rejected/*.csv', header=true)"));
    }

    // A truncated gzip file: the job fails with one line naming the file.
    byte[] whole =
        Files.readAllBytes(data.resolve("raw/green/2020/01/green_tripdata_2020_01.csv.gz"));
    Files.write(dir.resolve("cut.csv.gz"), java.util.Arrays.copyOf(whole, whole.length / 2));
    line =
        Launcher.run(
                dir, "ingest", "--input=cut.csv.gz", "--schema=green", "--output=cut", "--shards=2")
            .fails(1);
    assertTrue(line, line.contains(dir + "/cut.csv.gz: cannot be read after line "));
    assertTrue(line, line.contains("truncated"));
    assertFalse(Files.exists(dir.resolve("cut")));

    // Numeric options out of range.
    for (String partitions : List.of("100000", "-1")) {
      line =
          Launcher.run(dir, "revenue-report", "--sampleData=" + data, "--partitions=" + partitions)
              .fails(2);
      assertTrue(line, line.contains("--partitions=" + partitions + ": expected 1 to 1024"));
    }
    line = Launcher.run(dir, "revenue-report", "--sampleData=" + data, "--shards=100000").fails(2);
    assertTrue(line, line.contains("--shards=100000: expected a whole number from 1 to 10000"));
  }

  /**
   * The BigQuery flow the README prints: the loopback servers' options, --bigQueryEndpoint among
   * them, go through the launcher, and the summary names the table and the rows it holds.
   */
  @Test
  public void bigQueryOnlyRunNamesTheTableAndItsRows() throws Exception {
    Path dir = TMP.newFolder("bigquery").toPath();
    try (LoopbackGcs gcs = LoopbackGcs.start(0).createBucket("scratch");
        LoopbackBigQuery bq =
            LoopbackBigQuery.start(0, gcs).createDataset("tripflow-test", "taxi")) {
      Path key = gcs.writeServiceAccountKey(dir.resolve("key.json"), "loader@tripflow-test.iam");
      Launcher.Result r =
          Launcher.run(
                  dir,
                  "revenue-report",
                  "--sampleData=" + data,
                  "--bigQueryTable=tripflow-test:taxi.revenue",
                  "--serviceAccountKey=" + key,
                  "--gcsEndpoint=" + gcs.beamEndpoint(),
                  "--bigQueryEndpoint=" + bq.endpoint(),
                  "--project=tripflow-test",
                  "--tempLocation=gs://scratch/tmp")
              .ok();
      long loaded = summary(r, "rows loaded", "bigquery tripflow-test:taxi.revenue");
      assertEquals(bq.rows("tripflow-test", "taxi", "revenue").size(), loaded);
      assertFalse(r.both(), r.out().contains("rows written"));
      Launcher.run(dir, "revenue-report", "--sampleData=" + data, "--output=report").ok();
      try (DuckDbOracle duck = new DuckDbOracle()) {
        assertEquals(
            count(duck, "SELECT count(*) FROM read_parquet('" + dir + "/report/*.parquet')"),
            loaded);
      }
    }
  }

  /** The state of an ingest's two outputs: the run of both manifests, checked against the files. */
  private static String state(Path out, Path dead) throws Exception {
    Manifest a = Manifest.require(out.toString());
    Manifest b = Manifest.require(dead.toString());
    assertEquals("both outputs come from one run", a.run(), b.run());
    try (DuckDbOracle duck = new DuckDbOracle()) {
      assertEquals(
          a.rows(), count(duck, "SELECT count(*) FROM read_parquet('" + out + "/*.parquet')"));
      assertEquals(
          b.rows(),
          count(duck, "SELECT count(*) FROM read_csv('" + dead + "/*.csv', header=true)"));
    }
    for (Path dir : List.of(out, dead)) {
      List<String> names;
      try (Stream<Path> s = Files.list(dir)) {
        names = s.map(p -> p.getFileName().toString()).sorted().toList();
      }
      List<String> expected = new ArrayList<>(Manifest.require(dir.toString()).fileNames());
      expected.add(Manifest.NAME);
      expected.sort(null);
      assertEquals(expected, names);
    }
    return a.run();
  }

  /**
   * {@code kill -9} of an ingest at random points, and just as its commit begins: once the next run
   * has looked (here one with --mode=ignore, which writes nothing), the Parquet files and the dead
   * letters are both the previous run's or both the killed run's, and nothing else is left.
   */
  @Test
  public void killNineLeavesTheOutputsWhollyOldOrWhollyNew() throws Exception {
    Path dir = TMP.newFolder("kill").toPath();
    Launcher.run(
            dir,
            "generate",
            "--output=in",
            "--year=2021",
            "--services=fhvhv",
            "--fhvhvRows=1200000",
            "--formats=csv",
            "--malformedFraction=0.001")
        .ok();
    String csv = dir + "/in/raw/fhvhv/2021/01/fhvhv_tripdata_2021_01.csv.gz";
    String[] ingest = {"ingest", "--input=" + csv, "--schema=fhvhv", "--output=out", "--shards=8"};
    Path out = dir.resolve("out");
    Path dead = dir.resolve("out-rejected");
    Launcher.run(dir, ingest).ok();
    String committed = state(out, dead);
    Random random = new Random(7);
    int replaced = 0;
    int caught = 0;
    for (int round = 0; round < 8; round++) {
      Process p =
          Launcher.builder(dir, Map.of(), ingest)
              .redirectOutput(ProcessBuilder.Redirect.DISCARD)
              .redirectError(ProcessBuilder.Redirect.DISCARD)
              .start();
      if (round % 2 == 0) {
        Thread.sleep(500 + random.nextInt(5000));
      } else {
        // Just as the commit begins: the decision appears beside the first output.
        long deadline = System.nanoTime() + 60_000_000_000L;
        while (p.isAlive() && System.nanoTime() < deadline && !committing(dir)) {
          Thread.onSpinWait();
        }
        if (p.isAlive()) {
          caught++;
        }
      }
      p.destroyForcibly(); // SIGKILL
      p.waitFor();
      Launcher.run(dir, ingest[0], ingest[1], ingest[2], ingest[3], ingest[4], "--mode=ignore")
          .ok();
      String now = state(out, dead);
      if (!now.equals(committed)) {
        replaced++;
        committed = now;
      }
      try (Stream<Path> s = Files.list(dir)) {
        assertEquals(
            "round " + round,
            List.of("in", "out", "out-rejected"),
            s.map(f -> f.getFileName().toString()).sorted().toList());
      }
    }
    // Every kill as the commit began left the new outputs, so at least those rounds replaced them.
    assertTrue("rounds that left the new outputs: " + replaced, replaced >= 4);
    // A run that is not killed replaces both.
    Launcher.run(dir, ingest).ok();
    assertFalse(state(out, dead).equals(committed));
    System.out.println(
        "kill -9: "
            + replaced
            + " of 8 rounds left the new outputs; "
            + caught
            + " of 4 killed during the commit");
  }

  private static boolean committing(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(
          f -> {
            // the decision written (not its half-written .tmp), or an output moved aside
            String n = f.getFileName().toString();
            return n.matches("\\.(out|out-rejected)\\.(commit-[0-9a-f-]+|old-.*)");
          });
    } catch (java.io.IOException e) {
      return false;
    }
  }
}
