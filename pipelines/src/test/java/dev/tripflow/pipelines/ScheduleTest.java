package dev.tripflow.pipelines;

import static org.hamcrest.MatcherAssert.assertThat;
import static org.hamcrest.Matchers.containsString;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * Scheduled periods end to end: a month range as one pipeline equals the union of the single-month
 * runs and of the {@code --perPeriod} runs, and each equals DuckDB running the course's SQL over
 * the same months' files restricted to the period; {@code --runDate} and {@code --paramsFile}; the
 * one-line errors of a wrong schedule.
 */
public class ScheduleTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static Path data;

  @BeforeClass
  public static void generate() throws Exception {
    data = TMP.newFolder("data").toPath();
    // 2020 trips with nulls, pickups outside their file's month and year, refunds
    SampleData.generate(
        SampleData.Spec.parse(
            data.toString(), 2020, 12_000, 0, 0, "green,yellow", "parquet,csv", 11, 2_000, 0, 2),
        System.out);
  }

  private static String out(String name) {
    return TMP.getRoot().toPath().resolve(name).toString();
  }

  /** DuckDB's report over the months' files, keeping pickups in [from, to). */
  private static List<List<Object>> oracle(
      DuckDbOracle duck, List<String> months, String from, String to) throws Exception {
    List<String> green = new ArrayList<>();
    List<String> yellow = new ArrayList<>();
    for (String m : months) {
      green.add("'" + data + "/pq/green/" + m.replace('-', '/') + "/*.parquet'");
      yellow.add("'" + data + "/pq/yellow/" + m.replace('-', '/') + "/*.parquet'");
    }
    RevenueReportOracleTest.createTripsDataFrom(
        duck,
        "read_parquet([" + String.join(", ", green) + "])",
        "read_parquet([" + String.join(", ", yellow) + "])",
        "pickup_datetime >= TIMESTAMP '" + from + "' AND pickup_datetime < TIMESTAMP '" + to + "'");
    return RevenueReportOracleTest.oracleReport(duck);
  }

  @Test
  public void aMonthRangeIsTheUnionOfItsMonthsAndMatchesDuckDb() throws Exception {
    String sample = "--sampleData=" + data;
    Cli.ok("revenue-report", sample, "--period=2020-01..2020-03", "--output=" + out("q1"));
    Cli.ok(
        "revenue-report",
        sample,
        "--period=2020-01..2020-03",
        "--perPeriod",
        "--output=" + out("monthly") + "/{yyyy}-{MM}");
    for (String m : List.of("2020-01", "2020-02", "2020-03")) {
      Cli.ok("revenue-report", sample, "--period=" + m, "--output=" + out("single") + "/{period}");
    }

    List<List<Object>> range = OutputRows.of(Path.of(out("q1")));
    OutputRows.assertSame(
        "range vs --perPeriod months", range, OutputRows.of(Path.of(out("monthly"), "*")));
    OutputRows.assertSame(
        "range vs single-month runs", range, OutputRows.of(Path.of(out("single"), "*")));
    for (String m : List.of("2020-01", "2020-02", "2020-03")) {
      OutputRows.assertSame(
          "--perPeriod " + m + " vs its single run",
          OutputRows.of(Path.of(out("single"), m)),
          OutputRows.of(Path.of(out("monthly"), m)));
    }
    try (DuckDbOracle duck = new DuckDbOracle()) {
      List<List<Object>> expected =
          oracle(duck, List.of("2020-01", "2020-02", "2020-03"), "2020-01-01", "2020-04-01");
      DuckDbOracle.assertSameRows(
          expected, duck.query(RevenueReportOracleTest.ourReport(duck, Path.of(out("q1")))), 3);
      assertTrue(expected.size() > 100);
      // the months' files do hold trips of other periods, which the run leaves out
      List<List<Object>> all =
          oracle(duck, List.of("2020-01", "2020-02", "2020-03"), "1900-01-01", "2100-01-01");
      assertTrue(
          "no trips outside the period in the files: the test would prove nothing",
          all.stream().anyMatch(r -> !String.valueOf(r.get(1)).startsWith("2020-0")));
      DuckDbOracle.assertSameRows(
          oracle(duck, List.of("2020-02"), "2020-02-01", "2020-03-01"),
          duck.query(RevenueReportOracleTest.ourReport(duck, Path.of(out("monthly"), "2020-02"))),
          3);
    }
  }

  @Test
  public void aRunDateWithADailyIntervalReadsItsMonthAndKeepsItsDay() throws Exception {
    Cli.ok(
        "hourly-revenue",
        "--sampleData=" + data,
        "--runDate=2020-02-15",
        "--interval=daily",
        "--output=" + out("hourly") + "/{yyyy}/{MM}/{dd}");
    Path day = Path.of(out("hourly"), "2020", "02", "15");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      for (String service : List.of("green", "yellow")) {
        String t = service.equals("green") ? "lpep" : "tpep";
        duck.execute(
            "CREATE OR REPLACE VIEW "
                + service
                + " AS SELECT * FROM read_parquet('"
                + data
                + "/pq/"
                + service
                + "/2020/02/*.parquet') WHERE "
                + t
                + "_pickup_datetime >= TIMESTAMP '2020-02-15' AND "
                + t
                + "_pickup_datetime < TIMESTAMP '2020-02-16'");
      }
      List<List<Object>> expected = HourlyRevenueOracleTest.oracleOfViews(duck);
      assertTrue(expected.size() > 10);
      DuckDbOracle.assertSameRows(expected, HourlyRevenueOracleTest.ours(duck, day), 3);
    }
  }

  @Test
  public void aParamsFileSuppliesParametersAndTheCommandLineWins() throws Exception {
    Path params = TMP.getRoot().toPath().resolve("params.json");
    Files.writeString(
        params,
        "{\"sampleData\": \""
            + data
            + "\", \"period\": \"2020-04..2020-05\", \"perPeriod\": true,"
            + " \"output\": \""
            + out("from-file")
            + "/{MM}\", \"shards\": 2}");
    Cli.ok("revenue-report", "--paramsFile=" + params, "--output=" + out("cli-wins") + "/{MM}");
    assertFalse(Files.exists(Path.of(out("from-file"))));
    for (String mm : List.of("04", "05")) {
      Path dir = Path.of(out("cli-wins"), mm);
      try (var files = Files.list(dir)) {
        assertEquals(2, files.filter(f -> f.toString().endsWith(".parquet")).count());
      }
      Cli.ok(
          "revenue-report",
          "--sampleData=" + data,
          "--period=2020-" + mm,
          "--output=" + out("direct-" + mm));
      OutputRows.assertSame(
          "params file month " + mm,
          OutputRows.of(Path.of(out("direct-" + mm))),
          OutputRows.of(dir));
    }

    Files.writeString(params, "{\"period\": \"2020-4\"}");
    assertThat(
        Cli.fails(2, "revenue-report", "--paramsFile=" + params),
        containsString("--period=2020-4: expected YYYY"));
    Files.writeString(params, "{\"period\": ");
    assertThat(
        Cli.fails(2, "revenue-report", "--paramsFile=" + params),
        containsString("--paramsFile=" + params + ": not valid JSON"));
    Files.writeString(params, "[1]");
    assertThat(
        Cli.fails(2, "revenue-report", "--paramsFile=" + params), containsString("JSON object"));
    Files.writeString(params, "{\"perido\": \"2020-01\"}");
    assertThat(
        Cli.fails(2, "revenue-report", "--paramsFile=" + params),
        containsString("unknown option --perido; did you mean --period?"));
    assertThat(
        Cli.fails(2, "revenue-report", "--paramsFile=" + params + ".missing"),
        containsString("no such file"));
  }

  @Test
  public void ingestConvertsEachMonthOfARangeIntoItsOwnDirectory() throws Exception {
    Cli.ok(
        "ingest",
        "--period=2020-06..2020-07",
        "--perPeriod",
        "--schema=green",
        "--shards=2",
        "--input=" + data + "/raw/green/{yyyy}/{MM}/*.csv.gz",
        "--output=" + out("ingested") + "/green/{yyyy}/{MM}");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      for (String mm : List.of("06", "07")) {
        String csv = data + "/raw/green/2020/" + mm + "/*.csv.gz";
        String pq = out("ingested") + "/green/2020/" + mm + "/*.parquet";
        List<Object> expected =
            duck.query(
                    "SELECT count(*), round(sum(total_amount), 2) FROM read_csv('"
                        + csv
                        + "', header = true)")
                .get(0);
        List<Object> actual =
            duck.query(
                    "SELECT count(*), round(sum(total_amount), 2) FROM read_parquet('" + pq + "')")
                .get(0);
        assertTrue(((Number) expected.get(0)).longValue() > 20);
        assertEquals("month " + mm, expected.toString(), actual.toString());
      }
    }
    assertThat(
        Cli.fails(
            2,
            "ingest",
            "--period=2020-06..2020-07",
            "--schema=green",
            "--input=" + data + "/raw/green/{yyyy}/{MM}/*.csv.gz",
            "--output=" + out("x")),
        containsString("this command reads one period at a time; add --perPeriod"));
  }

  @Test
  public void aWrongScheduleIsOneLineBeforeAnyWork() {
    String sample = "--sampleData=" + data;
    assertThat(
        Cli.fails(
            2,
            "revenue-report",
            sample,
            "--period=2020-01..2020-02",
            "--output=" + out("x") + "/{MM}"),
        containsString("one pipeline over 2 periods writes one output; add --perPeriod"));
    assertThat(
        Cli.fails(
            2,
            "revenue-report",
            sample,
            "--period=2020-01..2020-02",
            "--perPeriod",
            "--output=" + out("x")),
        containsString("--perPeriod writes one output per period: --output="));
    assertThat(
        Cli.fails(2, "revenue-report", sample, "--period=2020-12..2021-01", "--output=" + out("x")),
        containsString("no files match (period 2021-01 of 2020-12..2021-01 (2 monthly))"));
    assertThat(
        Cli.fails(2, "revenue-report", sample, "--output=" + out("x") + "/{MM}"),
        containsString("has placeholders: give --period=... or --runDate=..."));
    assertThat(
        Cli.fails(
            2, "revenue-report", sample, "--period=2020-01", "--output=" + out("x") + "/{month}"),
        containsString("unknown placeholder {month}"));
    assertThat(
        Cli.fails(
            2, "revenue-report", sample, "--period=2020-01", "--output=" + out("x") + "/{dd}"),
        containsString("{dd} is finer than the monthly period 2020-01"));
    assertThat(
        Cli.fails(2, "revenue-report", sample, "--period=2020-01", "--runDate=2020-01-01"),
        containsString("give --period or --runDate, not both"));
    assertThat(
        Cli.fails(2, "revenue-report", sample, "--runDate=2020-01-01", "--interval=hourly"),
        containsString("--interval=hourly needs the hour"));
    assertThat(
        Cli.fails(2, "revenue-report", sample, "--period=2020-03..2020-01"),
        containsString("the range ends (2020-01) before it starts (2020-03)"));
    assertThat(
        Cli.fails(2, "revenue-report", sample, "--period=2020-02-30"),
        containsString("--period=2020-02-30: '2020-02-30' is not a date"));
  }

  @Test
  public void aFailedPeriodSaysWhichPeriodsWereWritten() throws Exception {
    // March's green files are unreadable: February runs, March is refused before its own work
    Path march = data.resolveSibling("corrupt");
    copyTree(data, march);
    try (var files = Files.list(march.resolve("pq/green/2020/03"))) {
      Path f = files.filter(p -> p.toString().endsWith(".parquet")).findFirst().orElseThrow();
      Files.write(f, "not parquet at all".getBytes(StandardCharsets.UTF_8));
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        PipelineCommands.run(
            new String[] {
              "revenue-report",
              "--sampleData=" + march,
              "--period=2020-02..2020-04",
              "--perPeriod",
              "--output=" + out("failing") + "/{period}"
            },
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(err.toString(StandardCharsets.UTF_8), 2, code);
    assertThat(
        out.toString(StandardCharsets.UTF_8),
        containsString("period 2020-03 failed; written: 2020-02"));
    assertThat(err.toString(StandardCharsets.UTF_8), containsString("not a readable Parquet file"));
    assertTrue(Files.isDirectory(Path.of(out("failing"), "2020-02")));
    assertFalse(Files.exists(Path.of(out("failing"), "2020-03")));
    assertFalse(Files.exists(Path.of(out("failing"), "2020-04")));
  }

  private static void copyTree(Path from, Path to) throws Exception {
    try (var walk = Files.walk(from)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
  }
}
