package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.testing.LoopbackBigQuery;
import dev.tripflow.testing.LoopbackGcs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * revenue-report and hourly-revenue into BigQuery through load jobs, against the loopback BigQuery
 * endpoint (load files staged on the loopback GCS one): the table's rows, read back through DuckDB
 * with the table's own column types, equal the Parquet output of the same job; the created table
 * has DATETIME months and monthly partitioning; write dispositions behave.
 */
public class BigQueryTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();
  private static final String PROJECT = "tripflow-test";

  private static LoopbackGcs gcs;
  private static LoopbackBigQuery bq;
  private static Path data;
  private static Path key;

  @BeforeClass
  public static void setUp() throws Exception {
    gcs = LoopbackGcs.start(0).createBucket("scratch");
    bq = LoopbackBigQuery.start(0, gcs).createDataset(PROJECT, "taxi");
    key = gcs.writeServiceAccountKey(TMP.newFile("key.json").toPath(), "loader@tripflow-test.iam");
    data = TMP.newFolder("data").toPath();
    Cli.ok("generate", "--output=" + data, "--rows=3000", "--malformedFraction=0.01");
  }

  @AfterClass
  public static void tearDown() {
    bq.close();
    gcs.close();
  }

  private static String[] cloud(String... args) {
    List<String> all = new ArrayList<>(List.of(args));
    all.add("--serviceAccountKey=" + key);
    all.add("--gcsEndpoint=" + gcs.beamEndpoint());
    all.add("--bigQueryEndpoint=" + bq.endpoint());
    all.add("--project=" + PROJECT);
    all.add("--tempLocation=gs://scratch/tmp");
    return all.toArray(new String[0]);
  }

  /** A BigQuery table's rows, read back as {@link OutputRows#of} reads Parquet. */
  private static List<List<Object>> rowsOf(String table) throws Exception {
    return OutputRows.ofBigQuery(
        bq, PROJECT, "taxi", table, TMP.getRoot().toPath().resolve("bq-" + table));
  }

  @Test
  public void revenueReportIntoAPartitionedTable() throws Exception {
    Path local = TMP.getRoot().toPath().resolve("report-local");
    Cli.ok("revenue-report", "--sampleData=" + data, "--output=" + local);
    List<List<Object>> expected = OutputRows.of(local);

    Cli.ok(
        cloud(
            "revenue-report",
            "--sampleData=" + data,
            "--bigQueryTable=" + PROJECT + ":taxi.revenue_report",
            "--partitionByMonth=revenue_month"));
    JsonNode table = bq.table(PROJECT, "taxi", "revenue_report");
    assertEquals("MONTH", table.path("timePartitioning").path("type").asText());
    assertEquals("revenue_month", table.path("timePartitioning").path("field").asText());
    JsonNode month = table.path("schema").path("fields").get(1);
    assertEquals("revenue_month", month.path("name").asText());
    assertEquals("DATETIME", month.path("type").asText());
    OutputRows.assertSame("BigQuery revenue_report", expected, rowsOf("revenue_report"));
    assertTrue(
        "load files left in the temp location: " + gcs.list("scratch"),
        gcs.list("scratch").stream()
            .noneMatch(
                n -> n.endsWith(".json") || n.contains("BigQueryWriteTemp/") && !n.endsWith("/")));

    // WRITE_TRUNCATE again: same rows; WRITE_APPEND: every row twice; WRITE_EMPTY: refused.
    Cli.ok(
        cloud(
            "revenue-report",
            "--sampleData=" + data,
            "--bigQueryTable=" + PROJECT + ":taxi.revenue_report"));
    assertEquals(expected.size(), bq.rows(PROJECT, "taxi", "revenue_report").size());
    Cli.ok(
        cloud(
            "revenue-report",
            "--sampleData=" + data,
            "--bigQueryTable=" + PROJECT + ":taxi.revenue_report",
            "--writeDisposition=WRITE_APPEND"));
    assertEquals(2 * expected.size(), bq.rows(PROJECT, "taxi", "revenue_report").size());
    String refused =
        Cli.fails(
            1,
            cloud(
                "revenue-report",
                "--sampleData=" + data,
                "--bigQueryTable=" + PROJECT + ":taxi.revenue_report",
                "--writeDisposition=WRITE_EMPTY"));
    assertTrue(
        refused,
        refused.contains("BigQuery table is not empty: tripflow-test:taxi.revenue_report"));
  }

  /** The whole path: Parquet on gs:// in, a BigQuery table out, same rows as locally. */
  @Test
  public void fromGcsIntoBigQuery() throws Exception {
    Path local = TMP.getRoot().toPath().resolve("report-local-2");
    Cli.ok("revenue-report", "--sampleData=" + data, "--output=" + local);
    Cli.ok(cloud("upload", "--from=" + data.resolve("pq"), "--to=gs://scratch/pq"));
    Cli.ok(
        cloud(
            "revenue-report",
            "--inputGreen=gs://scratch/pq/green/*/*/*.parquet",
            "--inputYellow=gs://scratch/pq/yellow/*/*/*.parquet",
            "--bigQueryTable=" + PROJECT + ":taxi.from_gcs"));
    OutputRows.assertSame("gs:// to BigQuery", OutputRows.of(local), rowsOf("from_gcs"));
  }

  @Test
  public void hourlyRevenueIntoBigQueryBesidesParquet() throws Exception {
    Path local = TMP.getRoot().toPath().resolve("hourly");
    Cli.ok(
        cloud(
            "hourly-revenue",
            "--sampleData=" + data,
            "--output=" + local,
            "--bigQueryTable=taxi.hourly"));
    OutputRows.assertSame("BigQuery hourly", OutputRows.of(local), rowsOf("hourly"));
  }

  @Test
  public void clearErrors() {
    String spec =
        Cli.fails(2, cloud("revenue-report", "--sampleData=" + data, "--bigQueryTable=nodots"));
    assertTrue(spec, spec.contains("--bigQueryTable=nodots: expected [PROJECT:]DATASET.TABLE"));
    String disposition =
        Cli.fails(
            2,
            cloud(
                "revenue-report",
                "--sampleData=" + data,
                "--bigQueryTable=taxi.t",
                "--writeDisposition=OVERWRITE"));
    assertTrue(
        disposition, disposition.contains("expected WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY"));
    String temp =
        Cli.fails(
            2,
            "revenue-report",
            "--sampleData=" + data,
            "--bigQueryTable=p-roject:taxi.t",
            "--tempLocation=/tmp/x");
    assertTrue(temp, temp.contains("--bigQueryTable needs --tempLocation=gs://"));
  }
}
