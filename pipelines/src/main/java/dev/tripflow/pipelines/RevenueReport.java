package dev.tripflow.pipelines;

import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.transforms.MonthlyZoneRevenue;
import dev.tripflow.transforms.NormalizeTrips;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * The main job: the monthly revenue report per pickup zone, month and service over green and yellow
 * trips, written as one Parquet file.
 *
 * <pre>{@code
 * tripflow revenue-report \
 *   --inputGreen='data/pq/green/2020/*\/*.parquet' \
 *   --inputYellow='data/pq/yellow/2020/*\/*.parquet' \
 *   --output=data/report/revenue
 * }</pre>
 */
public final class RevenueReport {
  private RevenueReport() {}

  /** Options of {@code tripflow revenue-report}. */
  public interface Options extends PipelineOptions {
    @Description(
        "Green trips: Parquet file or glob, local or gs:// (default: the sample data under"
            + " --sampleData, generated on first use)")
    String getInputGreen();

    void setInputGreen(String value);

    @Description("Yellow trips: Parquet file or glob, local or gs:// (default: the sample data)")
    String getInputYellow();

    void setInputYellow(String value);

    @Description("Output directory of the report, replaced atomically")
    @Default.String("data/report/revenue")
    String getOutput();

    void setOutput(String value);

    @Description("Number of Parquet files to write (1 = one file, like coalesce(1))")
    @Default.Integer(1)
    int getShards();

    void setShards(int value);

    @Description("Directory of the sample data used when no input is given")
    @Default.String("data")
    String getSampleData();

    void setSampleData(String value);
  }

  /**
   * Builds the report graph: read both services (only the columns used), normalise, union, and
   * aggregate. Tests apply exactly this graph.
   */
  public static PCollection<Row> applyReport(
      Pipeline pipeline, String greenGlob, String yellowGlob) {
    PCollection<Row> green =
        pipeline.apply(
            "ReadGreen",
            ParquetRows.read(greenGlob, NormalizeTrips.sourceSchema("green"))
                .withRowsReadCounter(RunSummary.NAMESPACE, "rows_read_green"));
    PCollection<Row> yellow =
        pipeline.apply(
            "ReadYellow",
            ParquetRows.read(yellowGlob, NormalizeTrips.sourceSchema("yellow"))
                .withRowsReadCounter(RunSummary.NAMESPACE, "rows_read_yellow"));
    return NormalizeTrips.flatten(
            green.apply("NormalizeGreen", NormalizeTrips.green()),
            yellow.apply("NormalizeYellow", NormalizeTrips.yellow()))
        .apply("MonthlyZoneRevenue", new MonthlyZoneRevenue());
  }

  /** Builds and runs the whole job, waiting for it to finish. */
  public static PipelineResult run(Options options) {
    Pipeline pipeline = Pipeline.create(options);
    applyReport(pipeline, options.getInputGreen(), options.getInputYellow())
        .apply(
            "WriteReport",
            ParquetRows.write(options.getOutput())
                .withNumShards(options.getShards())
                .withRowsWrittenCounter(RunSummary.NAMESPACE, "rows_written"));
    PipelineResult result = pipeline.run();
    result.waitUntilFinish();
    return result;
  }

  /** The {@code revenue-report} command. */
  static final class Cli implements Command {
    @Override
    public String name() {
      return "revenue-report";
    }

    @Override
    public String summary() {
      return "Monthly revenue per zone, month and service from green + yellow Parquet (the main job)";
    }

    @Override
    public Class<? extends PipelineOptions> optionsClass() {
      return Options.class;
    }

    @Override
    public int run(PipelineOptions pipelineOptions, PrintStream out) throws Exception {
      Options o = pipelineOptions.as(Options.class);
      if (o.getInputGreen() == null || o.getInputYellow() == null) {
        Path sample = Path.of(o.getSampleData());
        SampleData.ensureDefault(sample, out);
        if (o.getInputGreen() == null) {
          o.setInputGreen(sample.resolve("pq/green/*/*/*.parquet").toString());
        }
        if (o.getInputYellow() == null) {
          o.setInputYellow(sample.resolve("pq/yellow/*/*/*.parquet").toString());
        }
      }
      if (o.getShards() < 1) {
        throw new dev.tripflow.pipelines.cli.UsageException(
            "--shards must be at least 1, not " + o.getShards());
      }
      Paths.requireMatches(o, "inputGreen", o.getInputGreen());
      Paths.requireMatches(o, "inputYellow", o.getInputYellow());
      Paths.requireWritableDirectory("output", o.getOutput());

      Instant start = Instant.now();
      PipelineResult result = RevenueReport.run(o);
      new RunSummary(name(), result)
          .counterLine("rows read", "rows_read_green", "green   " + o.getInputGreen())
          .counterLine("rows read", "rows_read_yellow", "yellow  " + o.getInputYellow())
          .line("bad rows", 0, "")
          .counterLine("rows written", "rows_written", "report  " + o.getOutput())
          .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
      return 0;
    }
  }
}
