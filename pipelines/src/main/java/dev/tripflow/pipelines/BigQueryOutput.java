package dev.tripflow.pipelines;

import dev.tripflow.bigquery.BigQuerySink;
import dev.tripflow.bigquery.BigQueryTableSpec;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.util.Locale;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.WriteDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** The BigQuery output a job may write instead of, or besides, its Parquet {@code --output}. */
final class BigQueryOutput {
  private BigQueryOutput() {}

  /** Options of a job that can load its result into BigQuery. */
  public interface Options extends PipelineOptions {
    @Description(
        "BigQuery table (project:dataset.table) to load the result into: instead of --output"
            + " when --output is not given, else besides it. Load files are staged under"
            + " --tempLocation=gs://...")
    @Param(
        label = "BigQuery table",
        example = "my-project:taxi.revenue_report",
        regex = Forms.BIGQUERY_TABLE,
        form = Forms.BIGQUERY_TABLE_FORM)
    String getBigQueryTable();

    void setBigQueryTable(String value);

    @Description("BigQuery write disposition: WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY")
    @Default.String("WRITE_TRUNCATE")
    @Param(
        label = "BigQuery write disposition",
        example = "WRITE_APPEND",
        regex = "^(WRITE_TRUNCATE|WRITE_APPEND|WRITE_EMPTY)$",
        form = "WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY")
    String getWriteDisposition();

    void setWriteDisposition(String value);

    @Description(
        "Partition a created BigQuery table by month on this DATETIME column (\"\" = none)")
    @Default.String("")
    @Param(
        label = "Monthly partition column",
        example = "revenue_month",
        regex = "^[A-Za-z_][A-Za-z0-9_]*$",
        form = "a column name")
    String getPartitionByMonth();

    void setPartitionByMonth(String value);
  }

  /** Whether the job writes Parquet: always, unless only --bigQueryTable was given. */
  static boolean writesParquet(RunSpec run) {
    return run.options(Options.class).getBigQueryTable() == null || run.given("output");
  }

  /** The table of --bigQueryTable with its project (the option's, or --project). */
  static String table(Options o) {
    BigQueryTableSpec spec = BigQueryTableSpec.parse(o.getBigQueryTable());
    return spec.project().isEmpty()
        ? o.as(GcpOptions.class).getProject() + ":" + spec.dataset() + "." + spec.table()
        : spec.toString();
  }

  /**
   * The rows a run will add to: the table's rows before it when the run appends, else 0 (a
   * truncating or empty-only load leaves only its own rows).
   */
  static long rowsBefore(Options o) throws Exception {
    if (o.getBigQueryTable() == null || !o.getWriteDisposition().equalsIgnoreCase("WRITE_APPEND")) {
      return 0;
    }
    return BigQuerySink.rowsIn(table(o), o.as(BigQueryOptions.class));
  }

  /** The summary's BigQuery line: the rows the run loaded, from the table's own row count. */
  static RunSummary summaryLine(RunSummary summary, Options o, long before) throws Exception {
    if (o.getBigQueryTable() == null) {
      return summary;
    }
    long after = BigQuerySink.rowsIn(table(o), o.as(BigQueryOptions.class));
    return summary.line("rows loaded", after - before, "bigquery " + table(o));
  }

  /** The sink for --bigQueryTable, checked now; null when the option is not given. */
  static BigQuerySink sink(Options o) {
    if (o.getBigQueryTable() == null) {
      return null;
    }
    BigQueryTableSpec spec;
    try {
      spec = BigQueryTableSpec.parse(o.getBigQueryTable());
    } catch (IllegalArgumentException e) {
      throw new UsageException("--bigQueryTable=" + o.getBigQueryTable() + ": " + e.getMessage());
    }
    String project = o.as(GcpOptions.class).getProject();
    if (spec.project().isEmpty() && project == null) {
      throw new UsageException(
          "--bigQueryTable="
              + o.getBigQueryTable()
              + ": name the project (project:dataset.table)"
              + " or pass --project");
    }
    WriteDisposition write;
    try {
      write = WriteDisposition.valueOf(o.getWriteDisposition().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException e) {
      throw new UsageException(
          "--writeDisposition="
              + o.getWriteDisposition()
              + ": expected WRITE_TRUNCATE, WRITE_APPEND or WRITE_EMPTY");
    }
    String temp = o.getTempLocation();
    if (temp == null || !temp.startsWith("gs://")) {
      throw new UsageException(
          "--bigQueryTable needs --tempLocation=gs://bucket/path, where the load files are staged"
              + (temp == null ? "" : " (not " + temp + ")"));
    }
    String table = table(o);
    BigQuerySink sink =
        BigQuerySink.to(table).withWriteDisposition(write).withTempLocation(temp + "/bigquery");
    if (!o.getPartitionByMonth().isEmpty()) {
      sink = sink.withMonthlyPartitioning(o.getPartitionByMonth());
    }
    return sink;
  }
}
