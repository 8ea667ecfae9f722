package dev.tripflow.pipelines;

import com.google.auto.value.AutoValue;
import dev.tripflow.io.parquet.ColumnMapping;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.pipelines.schedule.Schedule;
import dev.tripflow.transforms.NormalizeTrips;
import dev.tripflow.transforms.PickupWithin;
import dev.tripflow.transforms.TaxiSchemas;
import java.io.PrintStream;
import java.io.Serializable;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * The green and yellow trip inputs that several pipelines share: options, defaults to the sample
 * data, checks before the run, and the read + normalise steps.
 */
public final class TripInputs {
  private TripInputs() {}

  /** Options naming the green and yellow Parquet inputs. */
  public interface Options extends Schedule.Options {
    @Description(
        "Green trips: Parquet file or glob, local or gs:// (default: the sample data under"
            + " --sampleData, generated on first use)")
    @Param(
        label = "Green trips input",
        example = "gs://my-bucket/pq/green/{yyyy}/{MM}/*.parquet",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PERIOD_INPUTS)
    String getInputGreen();

    void setInputGreen(String value);

    @Description("Yellow trips: Parquet file or glob, local or gs:// (default: the sample data)")
    @Param(
        label = "Yellow trips input",
        example = "gs://my-bucket/pq/yellow/{yyyy}/{MM}/*.parquet",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PERIOD_INPUTS)
    String getInputYellow();

    void setInputYellow(String value);

    @Description("Directory of the sample data used when no input is given")
    @Default.String("data")
    @Param(
        label = "Sample data directory",
        example = "data",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PATH)
    String getSampleData();

    void setSampleData(String value);
  }

  /**
   * The trip inputs not given: the sample data's (generated on first use; with a period, its year
   * and month directories select the files), and a directory given as an input stands for the
   * Parquet files in it.
   */
  static Map<String, String> derive(Options o, List<Period> periods, PrintStream out)
      throws Exception {
    Map<String, String> derived = new LinkedHashMap<>();
    String layout = periods.isEmpty() ? "*/*/*.parquet" : "{yyyy}/{MM}/*.parquet";
    if (o.getInputGreen() == null || o.getInputYellow() == null) {
      SampleData.ensureDefault(Path.of(o.getSampleData()), out);
    }
    derived.put(
        "inputGreen",
        o.getInputGreen() == null
            ? Path.of(o.getSampleData()).resolve("pq/green/" + layout).toString()
            : Paths.directoryAsGlob(o.getInputGreen()));
    derived.put(
        "inputYellow",
        o.getInputYellow() == null
            ? Path.of(o.getSampleData()).resolve("pq/yellow/" + layout).toString()
            : Paths.directoryAsGlob(o.getInputYellow()));
    return derived;
  }

  /**
   * Checks that every trip input matches files in each of the run's periods and, when {@code
   * columns} is given, that every file has the columns behind them (refusing, say, a report file
   * given as trips).
   */
  static void check(RunSpec run, Collection<String> columns) {
    Options o = run.options(Options.class);
    List<Metadata> green = Paths.requireMatches(o, "inputGreen", o.getInputGreen(), run.periods());
    List<Metadata> yellow =
        Paths.requireMatches(o, "inputYellow", o.getInputYellow(), run.periods());
    if (columns != null) {
      requireColumns("inputGreen", o.getInputGreen(), green, "green", columns);
      requireColumns("inputYellow", o.getInputYellow(), yellow, "yellow", columns);
    }
  }

  /** Checks every file of one service's input for the columns read from it. */
  static void requireColumns(
      String option,
      String glob,
      List<Metadata> files,
      String service,
      Collection<String> columns) {
    List<String> common = commonColumns(columns);
    try {
      ParquetRows.requireColumns(files, TaxiSchemas.trips(common), mapping(service, common));
    } catch (IllegalArgumentException | java.io.IOException e) {
      throw new UsageException("--" + option + "=" + glob + ": " + e.getMessage());
    }
  }

  private static List<String> commonColumns(Collection<String> columns) {
    List<String> common = new ArrayList<>(columns);
    common.remove("service_type");
    return common;
  }

  /**
   * How the reader fills the common columns from one service's files: renamed columns (the pickup
   * and drop-off times) and the service as a constant.
   */
  private static ColumnMapping mapping(String service, List<String> common) {
    // NormalizeTrips.of refuses a service it does not know.
    NormalizeTrips.of(service);
    ColumnMapping mapping = ColumnMapping.NONE.constant("service_type", service);
    for (String c : common) {
      String column = NormalizeTrips.sourceColumn(service, c);
      if (!column.equals(c)) {
        mapping = mapping.column(c, column);
      }
    }
    return mapping;
  }

  /**
   * What one service's input stands for: its globs (one per period of a range, or just the option's
   * value) and the pickup-time intervals kept (none without a period).
   */
  @AutoValue
  abstract static class Source implements Serializable {
    private static final long serialVersionUID = 1L;

    /** The globs read, one per distinct period's expansion of the input. */
    abstract List<String> globs();

    /** The pickup-time intervals {@code [start, end)} kept; empty keeps every trip. */
    abstract List<LocalDateTime[]> within();

    static Source of(String glob) {
      return new AutoValue_TripInputs_Source(List.of(glob), List.of());
    }

    /** An input option's template over the run's periods. */
    static Source of(String template, List<Period> periods) {
      return new AutoValue_TripInputs_Source(
          Schedule.inputGlobs(template, periods), Schedule.intervals(periods));
    }
  }

  /**
   * The summary's input lines: rows read per service and, for a scheduled run, its periods and the
   * trips picked up outside them.
   */
  static RunSummary summary(RunSummary summary, Options o, List<Period> periods) {
    summary
        .counterLine("rows read", "rows_read_green", "green   " + o.getInputGreen())
        .counterLine("rows read", "rows_read_yellow", "yellow  " + o.getInputYellow());
    if (!periods.isEmpty()) {
      summary
          .counterLine(
              "outside period",
              "rows_outside_period_green",
              "green   " + Schedule.describe(periods))
          .counterLine(
              "outside period",
              "rows_outside_period_yellow",
              "yellow  " + Schedule.describe(periods));
    }
    return summary;
  }

  /** Reads one service's trips (only the columns normalisation needs) and normalises them. */
  static PCollection<Row> readTrips(Pipeline p, String service, String glob) {
    return readTrips(p, service, glob, TaxiSchemas.TRIPS.getFieldNames());
  }

  /**
   * Reads one service's trips, decoding only the Parquet columns behind the named common columns
   * (column pruning), and normalises them into {@link TaxiSchemas#trips} of those columns.
   */
  static PCollection<Row> readTrips(
      Pipeline p, String service, String glob, Collection<String> columns) {
    return readTrips(p, service, Source.of(glob), columns);
  }

  /**
   * Reads one service's trips from every glob of {@code source}, normalises them and, for a
   * scheduled run, keeps those picked up within its periods (counted in {@code
   * rows_outside_period_<service>} otherwise).
   */
  static PCollection<Row> readTrips(
      Pipeline p, String service, Source source, Collection<String> columns) {
    String title = Character.toUpperCase(service.charAt(0)) + service.substring(1);
    // The reader normalises as it reads (NormalizeTrips' renaming, widening and service type),
    // saving a row and a step per trip.
    List<String> common = commonColumns(columns);
    Schema normalised = TaxiSchemas.trips(common);
    ColumnMapping mapping = mapping(service, common);
    PCollection<Row> trips =
        p.apply(
            "Read" + title,
            ParquetRows.read(source.globs(), normalised)
                .withColumns(mapping)
                .withRowsReadCounter(RunSummary.NAMESPACE, "rows_read_" + service));
    if (source.within().isEmpty()) {
      return trips;
    }
    return trips.apply(
        title + "InPeriod",
        PickupWithin.of(source.within(), RunSummary.NAMESPACE, "rows_outside_period_" + service));
  }
}
