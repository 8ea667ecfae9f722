package dev.tripflow.pipelines;

import dev.tripflow.bigquery.BigQuerySink;
import dev.tripflow.io.output.OutputGroup;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.transforms.GreenYellowJoin;
import dev.tripflow.transforms.HourlyZoneRevenue;
import dev.tripflow.transforms.HourlyZoneRevenueRdd;
import dev.tripflow.transforms.HourlyZoneRevenueSql;
import dev.tripflow.transforms.TaxiSchemas;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Hourly revenue per zone for green and yellow, joined with a full outer join on (hour, zone), as
 * in the course; the per-service results can be written too.
 *
 * <pre>{@code
 * tripflow hourly-revenue --since=2020-01-01T00:00 --output=data/report/hourly/total \
 *   --outputGreen=data/report/hourly/green --outputYellow=data/report/hourly/yellow
 * }</pre>
 */
public final class HourlyRevenue {
  private HourlyRevenue() {}

  /** Options of {@code tripflow hourly-revenue}. */
  public interface Options extends TripInputs.Options, BigQueryOutput.Options, Outputs.Options {
    @Description("Only trips picked up at or after this local time (yyyy-MM-ddTHH:mm)")
    @Default.String("2020-01-01T00:00")
    @Param(
        label = "Since",
        example = "2020-01-01T00:00",
        regex = Forms.LOCAL_DATE_TIME,
        form = Forms.LOCAL_DATE_TIME_FORM)
    String getSince();

    void setSince(String value);

    @Description("Output directory of the joined green/yellow hourly revenue, replaced atomically")
    @Default.String("data/report/hourly/total")
    @Param(
        label = "Joined output",
        example = "data/report/hourly/total",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutput();

    void setOutput(String value);

    @Description("Also write green's hourly revenue here")
    @Param(
        label = "Green output",
        example = "data/report/hourly/green",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutputGreen();

    void setOutputGreen(String value);

    @Description("Also write yellow's hourly revenue here")
    @Param(
        label = "Yellow output",
        example = "data/report/hourly/yellow",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutputYellow();

    void setOutputYellow(String value);

    @Description(
        "Implementation: schema (lifted Combine over rows), rdd (map + reduceByKey) or sql (the"
            + " course's SQL in Beam SQL)")
    @Default.String("schema")
    @Param(
        label = "Implementation style",
        example = "sql",
        regex = "(?i)^(schema|rdd|sql)$",
        form = "schema, rdd or sql")
    String getStyle();

    void setStyle(String value);

    @Description("Number of Parquet files per output")
    @Default.Integer(1)
    @Param(
        label = "Output files",
        example = "4",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 10000)
    int getShards();

    void setShards(int value);
  }

  /** The per-service aggregation of a style. */
  static PTransform<PCollection<Row>, PCollection<Row>> hourly(String style, LocalDateTime since) {
    switch (style) {
      case "schema":
        return HourlyZoneRevenue.since(since);
      case "rdd":
        return HourlyZoneRevenueRdd.since(since);
      case "sql":
        return HourlyZoneRevenueSql.since(since);
      default:
        throw new UsageException("--style=" + style + ": expected schema, rdd or sql");
    }
  }

  static LocalDateTime parseSince(String since) {
    try {
      return LocalDateTime.parse(since.trim().replace(' ', 'T'));
    } catch (DateTimeParseException e) {
      throw new UsageException("--since=" + since + ": not a local time like 2020-01-01T00:00");
    }
  }

  /** The per-service and joined results. */
  record Result(PCollection<Row> green, PCollection<Row> yellow, PCollection<Row> joined) {}

  /** Builds the graph; tests apply exactly this. */
  static Result apply(
      Pipeline p, String greenGlob, String yellowGlob, String style, LocalDateTime since) {
    return apply(
        p, TripInputs.Source.of(greenGlob), TripInputs.Source.of(yellowGlob), style, since);
  }

  static Result apply(
      Pipeline p,
      TripInputs.Source greenGlob,
      TripInputs.Source yellowGlob,
      String style,
      LocalDateTime since) {
    java.util.List<String> columns = columns(style);
    PCollection<Row> green =
        TripInputs.readTrips(p, "green", greenGlob, columns)
            .apply("GreenHourly", hourly(style, since));
    PCollection<Row> yellow =
        TripInputs.readTrips(p, "yellow", yellowGlob, columns)
            .apply("YellowHourly", hourly(style, since));
    return new Result(green, yellow, GreenYellowJoin.of(green, yellow));
  }

  /** The trip columns a style reads: schema and rdd only the three they use, sql whole trips. */
  static java.util.List<String> columns(String style) {
    return style.equals("sql")
        ? TaxiSchemas.TRIPS.getFieldNames()
        : dev.tripflow.transforms.HourlyZoneRevenue.COLUMNS;
  }

  /** The {@code hourly-revenue} command. */
  static final class Cli implements Command {
    @Override
    public String name() {
      return "hourly-revenue";
    }

    @Override
    public String summary() {
      return "Hourly revenue per zone, green and yellow joined with a full outer join";
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
      String style = o.getStyle().toLowerCase(Locale.ROOT);
      LocalDateTime since = parseSince(o.getSince());
      hourly(style, since);
      TripInputs.check(run, columns(style));
      BigQuerySink bigQuery = BigQueryOutput.sink(o);
      boolean parquet = BigQueryOutput.writesParquet(run);
      Optional<OutputPlan> plan =
          Outputs.prepare(run, out, parquet ? new String[0] : RevenueReport.NO_PARQUET);
      if (plan.isEmpty()) {
        return 0;
      }
      long before = BigQueryOutput.rowsBefore(o);
      Instant start = Instant.now();
      Pipeline p = Pipeline.create(o);
      Result r =
          apply(
              p,
              TripInputs.Source.of(o.getInputGreen(), run.periods()),
              TripInputs.Source.of(o.getInputYellow(), run.periods()),
              style,
              since);
      OutputGroup outputs = plan.get().directories().isEmpty() ? null : plan.get().group();
      if (parquet) {
        r.joined()
            .apply(
                "WriteJoined",
                ParquetRows.write(o.getOutput()).withNumShards(o.getShards()).in(outputs));
      }
      if (bigQuery != null) {
        r.joined().apply("WriteBigQuery", bigQuery);
      }
      if (o.getOutputGreen() != null) {
        r.green()
            .apply(
                "WriteGreen",
                ParquetRows.write(o.getOutputGreen()).withNumShards(o.getShards()).in(outputs));
      }
      if (o.getOutputYellow() != null) {
        r.yellow()
            .apply(
                "WriteYellow",
                ParquetRows.write(o.getOutputYellow()).withNumShards(o.getShards()).in(outputs));
      }
      PipelineResult result = Outputs.run(p, plan.get());
      RunSummary summary = TripInputs.summary(new RunSummary(name(), result), o, run.periods());
      if (parquet) {
        summary.outputLine("rows written", o.getOutput(), "joined  " + o.getOutput());
      }
      if (o.getOutputGreen() != null) {
        summary.outputLine("rows written", o.getOutputGreen(), "green   " + o.getOutputGreen());
      }
      if (o.getOutputYellow() != null) {
        summary.outputLine("rows written", o.getOutputYellow(), "yellow  " + o.getOutputYellow());
      }
      BigQueryOutput.summaryLine(summary, o, before)
          .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
      return 0;
    }
  }
}
