package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The pipelines' command line: help, and one clear line with exit code 2 for every kind of bad
 * usage.
 */
public class TripflowCliTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return PipelineCommands.run(
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  private String stdout() {
    return out.toString(StandardCharsets.UTF_8);
  }

  private void assertOneLineError(int code, String expected) {
    assertEquals(stderr(), 2, code);
    assertEquals("one line: " + stderr(), 1, stderr().strip().lines().count());
    assertTrue(stderr(), stderr().contains(expected));
  }

  /** --help lists every command; a command's --help lists its options with defaults. */
  @Test
  public void help() {
    assertEquals(0, run("--help"));
    for (String c : new String[] {"generate", "ingest", "show", "infer-schema", "revenue-report"}) {
      assertTrue(stdout(), stdout().contains(c));
    }
    out.reset();
    assertEquals(0, run("revenue-report", "--help"));
    assertTrue(stdout(), stdout().contains("--inputGreen=<String>"));
    assertTrue(stdout(), stdout().contains("[default: data/report/revenue]"));
    assertTrue(stdout(), stdout().contains("--runner"));
  }

  /** Unknown commands and options, with a suggestion for a typo. */
  @Test
  public void unknownCommandsAndOptions() {
    assertEquals(2, run("revenue"));
    assertTrue(stderr(), stderr().contains("unknown command 'revenue'"));
    err.reset();
    assertOneLineError(
        run("revenue-report", "--inputGren=x"),
        "tripflow revenue-report: unknown option --inputGren; did you mean --inputGreen?");
    err.reset();
    assertOneLineError(run("generate", "rows=5"), "unexpected argument 'rows=5'");
  }

  /** Malformed values, missing inputs and unwritable outputs stop before any work. */
  @Test
  public void badValuesInputsAndOutputs() throws Exception {
    assertOneLineError(run("generate", "--rows=lots"), "tripflow generate: ");
    err.reset();
    Path missing = tmp.getRoot().toPath().resolve("nothing/*.parquet");
    assertOneLineError(
        run("revenue-report", "--inputGreen=" + missing, "--inputYellow=" + missing),
        "--inputGreen=" + missing + ": no files match");
    err.reset();
    Path parquet = tmp.newFile("x.parquet").toPath();
    assertOneLineError(
        run("revenue-report", "--inputGreen=" + parquet, "--inputYellow=" + parquet),
        "--inputGreen=" + parquet + ": " + parquet + ": not a readable Parquet file");
    err.reset();
    Path trips = tmp.newFolder("trips").toPath();
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, trips);
    }
    Path file = tmp.newFile("a-file").toPath();
    assertOneLineError(
        run(
            "revenue-report",
            "--inputGreen=" + trips.resolve("green.parquet"),
            "--inputYellow=" + trips.resolve("yellow.parquet"),
            "--output=" + file),
        "--output=" + file + ": exists and is a file, not a directory");
    err.reset();
    assertOneLineError(
        run("ingest", "--input=" + parquet, "--schema=taxis", "--output=" + tmp.getRoot()),
        "--schema=taxis: expected green, yellow, fhvhv or zones");
    err.reset();
    assertOneLineError(
        run("generate", "--services=green,bus"),
        "--services=green,bus: expected a comma-separated list of green, yellow, fhvhv");
    assertTrue(Files.exists(parquet));
  }

  /**
   * A job that fails while it runs (a fraction in an integer column, which only reading the rows
   * finds) exits 1 with a line naming the file and column, and writes nothing.
   */
  @Test
  public void failedJobExitsOne() throws Exception {
    Path trips = tmp.newFolder("trips").toPath();
    Path bad = trips.resolve("bad.parquet");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, trips);
      duck.execute(
          "COPY (SELECT * REPLACE (CAST(PULocationID + 0.5 AS DOUBLE) AS PULocationID) FROM"
              + " read_parquet('"
              + trips.resolve("green.parquet")
              + "')) TO '"
              + bad
              + "' (FORMAT PARQUET)");
    }
    Path out = tmp.getRoot().toPath().resolve("out");
    int code =
        run(
            "revenue-report",
            "--inputGreen=" + bad,
            "--inputYellow=" + trips.resolve("yellow.parquet"),
            "--output=" + out);
    assertEquals(stderr(), 1, code);
    assertTrue(stderr(), stderr().contains("bad.parquet: column 'PULocationID'"));
    assertTrue(Files.notExists(out));
    try (var siblings = Files.list(tmp.getRoot().toPath())) {
      assertTrue(
          "nothing of the run is left",
          siblings.noneMatch(p -> p.getFileName().toString().startsWith(".out.")));
    }
  }

  /** {@code --name value} is read like {@code --name=value}; a bad value still names its option. */
  @Test
  public void separatedOptionValues() {
    assertOneLineError(run("generate", "--rows", "lots"), "tripflow generate: ");
    assertTrue(stderr(), stderr().contains("lots"));
  }

  /** A directory given as an input stands for its Parquet files, or those below it. */
  @Test
  public void directoryInputs() throws Exception {
    Path dir = tmp.newFolder("out").toPath();
    Path nested = Files.createDirectories(tmp.getRoot().toPath().resolve("pq/green/2020/01"));
    Files.writeString(dir.resolve("part-00000-of-00001.parquet"), "x");
    Files.writeString(nested.resolve("part-0.parquet"), "x");
    assertEquals(
        dir + "/*.parquet", dev.tripflow.pipelines.cli.Paths.directoryAsGlob(dir.toString()));
    Path pq = tmp.getRoot().toPath().resolve("pq");
    assertEquals(pq + "/**.parquet", dev.tripflow.pipelines.cli.Paths.directoryAsGlob(pq + "/"));
    assertEquals("a/*.parquet", dev.tripflow.pipelines.cli.Paths.directoryAsGlob("a/*.parquet"));
    assertEquals("gs://b/dir", dev.tripflow.pipelines.cli.Paths.directoryAsGlob("gs://b/dir"));
  }

  /** A missing plain path fails at once, without searching its parent directory's tree. */
  @Test(timeout = 60_000)
  public void missingFileAtTheRootFailsFast() {
    assertOneLineError(
        run("revenue-report", "--inputGreen=/tripflow-missing-input.parquet"),
        "--inputGreen=/tripflow-missing-input.parquet: no such file");
  }

  /** Relative local paths become absolute (cluster workers run elsewhere); gs:// stays. */
  @Test
  public void relativePathsBecomeAbsolute() {
    RevenueReport.Options o =
        dev.tripflow.pipelines.cli.ResolveOptions.resolve(
                "revenue-report",
                RevenueReport.Options.class,
                new String[] {
                  "--inputGreen=pq/green/*/*.parquet", "--inputYellow=gs://b/y/*.parquet"
                })
            .options(RevenueReport.Options.class);
    String cwd = Path.of("").toAbsolutePath().toString();
    assertEquals(cwd + "/pq/green/*/*.parquet", o.getInputGreen());
    assertEquals("gs://b/y/*.parquet", o.getInputYellow());
    assertEquals(cwd + "/data/report/revenue", o.getOutput());
    SqlCommand.Options sql =
        dev.tripflow.pipelines.cli.ResolveOptions.resolve(
                "sql",
                SqlCommand.Options.class,
                new String[] {
                  "--table=t=x/*.parquet", "--table=u=gs://b/u.parquet", "--query=SELECT 1"
                })
            .options(SqlCommand.Options.class);
    assertEquals(List.of("t=" + cwd + "/x/*.parquet", "u=gs://b/u.parquet"), sql.getTable());
  }
}
