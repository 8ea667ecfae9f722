package dev.tripflow.pipelines;

import dev.tripflow.bigquery.BigQuerySink;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.pipelines.schedule.Schedule;
import dev.tripflow.transforms.MonthlyZoneRevenue;
import dev.tripflow.transforms.NormalizeTrips;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
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
  public interface Options extends TripInputs.Options, BigQueryOutput.Options, Outputs.Options {
    @Description("Output directory of the report, replaced atomically")
    @Default.String("data/report/revenue")
    @Param(
        label = "Report output",
        example = "data/report/revenue",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutput();

    void setOutput(String value);

    @Description("Number of Parquet files to write (1 = one file, like coalesce(1))")
    @Default.Integer(1)
    @Param(
        label = "Output files",
        example = "1",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 10000)
    int getShards();

    void setShards(int value);
  }

  /**
   * Builds the report graph: read both services (only the 12 columns the report uses, as Spark's
   * column pruning would), normalise, union, and aggregate. Tests apply exactly this graph.
   */
  public static PCollection<Row> applyReport(
      Pipeline pipeline, String greenGlob, String yellowGlob) {
    return applyReport(pipeline, TripInputs.Source.of(greenGlob), TripInputs.Source.of(yellowGlob));
  }

  static PCollection<Row> applyReport(
      Pipeline pipeline, TripInputs.Source green, TripInputs.Source yellow) {
    return NormalizeTrips.flatten(
            TripInputs.readTrips(pipeline, "green", green, MonthlyZoneRevenue.COLUMNS),
            TripInputs.readTrips(pipeline, "yellow", yellow, MonthlyZoneRevenue.COLUMNS))
        .apply("MonthlyZoneRevenue", new MonthlyZoneRevenue());
  }

  /** Builds and runs the whole job over the options' periods, waiting for it to finish. */
  public static PipelineResult run(Options options) {
    return run(options, Schedule.periods(options), options.getBigQueryTable() == null, null);
  }

  /**
   * Builds and runs the job over {@code periods}; with a plan (the command's), its outputs are
   * staged and committed together by the plan's group, else the Parquet write commits itself.
   */
  static PipelineResult run(
      Options options, List<Period> periods, boolean parquet, OutputPlan plan) {
    Pipeline pipeline = Pipeline.create(options);
    PCollection<Row> report =
        applyReport(
            pipeline,
            TripInputs.Source.of(options.getInputGreen(), periods),
            TripInputs.Source.of(options.getInputYellow(), periods));
    if (parquet) {
      ParquetRows.Write write =
          ParquetRows.write(options.getOutput()).withNumShards(options.getShards());
      report.apply("WriteReport", plan == null ? write : write.in(plan.group()));
    }
    BigQuerySink bigQuery = BigQueryOutput.sink(options);
    if (bigQuery != null) {
      report.apply("WriteBigQuery", bigQuery);
    }
    if (plan != null) {
      return Outputs.run(pipeline, plan);
    }
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
    public Map<String, String> derive(
        PipelineOptions options, List<Period> periods, PrintStream out) throws Exception {
      return TripInputs.derive(options.as(Options.class), periods, out);
    }

    @Override
    public int run(RunSpec run, PrintStream out) throws Exception {
      Options o = run.options(Options.class);
      TripInputs.check(run, MonthlyZoneRevenue.COLUMNS);
      BigQueryOutput.sink(o);
      boolean parquet = BigQueryOutput.writesParquet(run);
      Optional<OutputPlan> plan = Outputs.prepare(run, out, parquet ? new String[0] : NO_PARQUET);
      if (plan.isEmpty()) {
        return 0;
      }
      long before = BigQueryOutput.rowsBefore(o);
      Instant start = Instant.now();
      PipelineResult result = RevenueReport.run(o, run.periods(), parquet, plan.get());
      RunSummary summary = TripInputs.summary(new RunSummary(name(), result), o, run.periods());
      if (parquet) {
        summary.outputLine("rows written", o.getOutput(), "report  " + o.getOutput());
      }
      BigQueryOutput.summaryLine(summary, o, before)
          .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
      return 0;
    }
  }

  /** The options a BigQuery-only run leaves out of its plan. */
  static final String[] NO_PARQUET = {"output"};
}
