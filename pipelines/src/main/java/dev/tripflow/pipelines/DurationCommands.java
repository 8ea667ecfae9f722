package dev.tripflow.pipelines;

import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.parquet.ParquetRowFileReader;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.transforms.TaxiSchemas;
import dev.tripflow.transforms.model.DurationModel;
import dev.tripflow.transforms.model.LinearDurationModel;
import dev.tripflow.transforms.model.PredictDuration;
import dev.tripflow.transforms.model.TrainDurationModel;
import dev.tripflow.transforms.model.TripFeatures;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/** The batched duration prediction commands: {@code predict-duration} and its trainer. */
final class DurationCommands {
  private DurationCommands() {}

  /** Options shared by both commands: which trips to read. */
  public interface TripOptions extends Outputs.Options {
    @Description("Trips: green or yellow Parquet file or glob (default: the sample data's)")
    @Param(
        label = "Trips input",
        example = "data/pq/green/2020/*/*.parquet",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.INPUT)
    String getInput();

    void setInput(String value);

    @Description(
        "Service of the input trips: green or yellow (default: read from the input's columns,"
            + " lpep_ for green, tpep_ for yellow; green for the sample data)")
    @Param(
        label = "Service",
        example = "green",
        regex = "^(green|yellow)$",
        form = "green or yellow")
    String getService();

    void setService(String value);

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

  /** Options of {@code tripflow predict-duration}. */
  public interface PredictOptions extends TripOptions {
    @Description("Model JSON written by train-duration-model (default: the bundled model)")
    @Param(
        label = "Model file",
        example = "data/model/duration-model.json",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.SIDE_INPUT)
    String getModel();

    void setModel(String value);

    @Description("Trips scored per batch (the buffer of the mapPartitions-style DoFn)")
    @Default.Integer(10_000)
    @Param(
        label = "Batch size",
        example = "10000",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 10000000)
    int getBatchSize();

    void setBatchSize(int value);

    @Description(
        "Output directory: the trips with predicted_duration (minutes), replaced atomically")
    @Default.String("data/report/predictions")
    @Param(
        label = "Predictions output",
        example = "data/report/predictions",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutput();

    void setOutput(String value);

    @Description("Number of Parquet files to write")
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

  /** Options of {@code tripflow train-duration-model}. */
  public interface TrainOptions extends TripOptions {
    @Description("Where to write the model JSON")
    @Default.String("data/model/duration-model.json")
    @Param(
        label = "Model output",
        example = "data/model/duration-model.json",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT_FILE,
        fileKind = "duration model")
    String getOutput();

    void setOutput(String value);
  }

  /** The given service, checked; null when none was given. */
  static String givenService(TripOptions o) {
    if (o.getService() == null) {
      return null;
    }
    String s = o.getService().toLowerCase(Locale.ROOT);
    if (!s.equals("green") && !s.equals("yellow")) {
      throw new UsageException("--service=" + o.getService() + ": expected green or yellow");
    }
    return s;
  }

  /**
   * Resolves the input (the sample data's when none is given) and the service of its trips: the
   * given one, checked against the first file's pickup column, or the one that column names.
   */
  static Map<String, String> deriveInput(TripOptions o, PrintStream out) throws Exception {
    String given = givenService(o);
    String input = o.getInput();
    if (input == null) {
      Path sample = Path.of(o.getSampleData());
      SampleData.ensureDefault(sample, out);
      String service = given == null ? "green" : given;
      input = sample.resolve("pq/" + service + "/*/*/*.parquet").toString();
    }
    input = Paths.directoryAsGlob(input);
    List<Metadata> files = Paths.requireMatches(o, "input", input);
    Metadata first =
        files.stream().min(Comparator.comparing(m -> m.resourceId().toString())).orElseThrow();
    Schema schema;
    try (ParquetRowFileReader r = ParquetRowFileReader.open(first, null)) {
      schema = r.schema();
    } catch (IOException | RuntimeException e) {
      throw new UsageException("--input=" + input + ": " + e.getMessage());
    }
    String found =
        schema.hasField("lpep_pickup_datetime")
            ? "green"
            : schema.hasField("tpep_pickup_datetime") ? "yellow" : null;
    if (found == null) {
      throw new UsageException(
          "--input="
              + input
              + ": "
              + first.resourceId()
              + " has neither lpep_pickup_datetime (green) nor tpep_pickup_datetime (yellow)");
    }
    if (given != null && !given.equals(found)) {
      throw new UsageException(
          "--service="
              + given
              + " but --input="
              + input
              + " holds "
              + found
              + " trips ("
              + first.resourceId()
              + ")");
    }
    TripInputs.requireColumns("input", input, files, found, TaxiSchemas.TRIPS.getFieldNames());
    return Map.of("input", input, "service", found);
  }

  /** Reads a model file, or the bundled model when {@code path} is null. */
  static LinearDurationModel model(String path) {
    if (path == null) {
      return LinearDurationModel.bundled();
    }
    try (InputStream in =
        Channels.newInputStream(
            FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()))) {
      return LinearDurationModel.fromJson(in, path);
    } catch (IOException e) {
      throw new UsageException("--model=" + path + ": cannot read it (" + e.getMessage() + ")");
    } catch (IllegalArgumentException e) {
      throw new UsageException("--model=" + e.getMessage());
    }
  }

  /** Builds the prediction graph. */
  static PCollection<Row> applyPredict(
      Pipeline p, String service, String input, DurationModel model, int batchSize) {
    return TripInputs.readTrips(p, service, input)
        .apply("PredictDuration", PredictDuration.with(model, batchSize));
  }

  /** {@code predict-duration}. */
  static final class Predict implements Command {
    @Override
    public String name() {
      return "predict-duration";
    }

    @Override
    public String summary() {
      return "Append predicted_duration (minutes) to trips, scoring them in batches with a model";
    }

    @Override
    public Class<? extends PipelineOptions> optionsClass() {
      return PredictOptions.class;
    }

    @Override
    public Map<String, String> derive(
        PipelineOptions options, List<Period> periods, PrintStream out) throws Exception {
      return deriveInput(options.as(TripOptions.class), out);
    }

    @Override
    public int run(RunSpec run, PrintStream out) throws Exception {
      PredictOptions o = run.options(PredictOptions.class);
      LinearDurationModel model = model(o.getModel());
      String service = o.getService();
      String input = o.getInput();
      Optional<OutputPlan> plan = Outputs.prepare(run, out);
      if (plan.isEmpty()) {
        return 0;
      }
      Instant start = Instant.now();
      Pipeline p = Pipeline.create(o);
      applyPredict(p, service, input, model, o.getBatchSize())
          .apply(
              "WritePredictions",
              ParquetRows.write(o.getOutput()).withNumShards(o.getShards()).in(plan.get().group()));
      PipelineResult result = Outputs.run(p, plan.get());
      new RunSummary(name(), result)
          .counterLine("rows read", "rows_read_" + service, input)
          .outputLine("rows written", o.getOutput(), o.getOutput())
          .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
      return 0;
    }
  }

  /** {@code train-duration-model}. */
  static final class Train implements Command {
    @Override
    public String name() {
      return "train-duration-model";
    }

    @Override
    public String summary() {
      return "Fit the linear duration model by least squares; prints the held-out RMSE";
    }

    @Override
    public Class<? extends PipelineOptions> optionsClass() {
      return TrainOptions.class;
    }

    @Override
    public Map<String, String> derive(
        PipelineOptions options, List<Period> periods, PrintStream out) throws Exception {
      return deriveInput(options.as(TripOptions.class), out);
    }

    @Override
    public int run(RunSpec run, PrintStream out) throws Exception {
      TrainOptions o = run.options(TrainOptions.class);
      String service = o.getService();
      String input = o.getInput();
      Path target = Path.of(o.getOutput()).toAbsolutePath();
      if (Outputs.prepare(run, out).isEmpty()) {
        return 0;
      }
      Path tmp = target.resolveSibling("." + target.getFileName() + ".tmp");
      Files.createDirectories(target.getParent());
      Instant start = Instant.now();
      Pipeline p = Pipeline.create(o);
      TripInputs.readTrips(p, service, input)
          .apply("TrainDurationModel", new TrainDurationModel())
          .apply("WriteModel", ParDo.of(new WriteModelFn(tmp.toString())));
      PipelineResult result = p.run();
      result.waitUntilFinish();
      LinearDurationModel model;
      try (InputStream in = Files.newInputStream(tmp)) {
        model = LinearDurationModel.fromJson(in, tmp.toString());
      }
      if (model.trainedRows() == 0) {
        Files.deleteIfExists(tmp);
        throw new IllegalStateException(
            "--input="
                + input
                + ": no trip is usable for training (a positive duration up to 3 hours and a"
                + " trip_distance in (0, 100] miles are needed); "
                + target
                + " was not written");
      }
      Files.createDirectories(target.getParent());
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      new RunSummary(name(), result)
          .counterLine("rows read", "rows_read_" + service, input)
          .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
      out.printf(Locale.ROOT, "  held-out RMSE  %.3f minutes%n", model.rmse());
      double[] c = model.coefficients();
      for (int i = 0; i < c.length; i++) {
        out.printf(Locale.ROOT, "  %-22s %12.6f%n", TripFeatures.NAMES.get(i), c[i]);
      }
      out.println("  model written to " + target);
      return 0;
    }
  }

  /** Writes the single trained model as JSON to a file. */
  static final class WriteModelFn extends DoFn<LinearDurationModel, Void> {
    private static final long serialVersionUID = 1L;
    private final String path;

    WriteModelFn(String path) {
      this.path = path;
    }

    @ProcessElement
    public void process(@Element LinearDurationModel model) throws IOException {
      try (OutputStream out =
          Channels.newOutputStream(
              FileSystems.create(FileSystems.matchNewResource(path, false), "application/json"))) {
        out.write(model.toJson().getBytes(StandardCharsets.UTF_8));
      }
    }
  }
}
