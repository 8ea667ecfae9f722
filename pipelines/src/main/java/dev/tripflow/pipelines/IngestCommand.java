package dev.tripflow.pipelines;

import dev.tripflow.io.csv.CsvRowSink;
import dev.tripflow.io.csv.CsvRows;
import dev.tripflow.io.csv.FailOnTooManyBadRecords;
import dev.tripflow.io.output.AtomicWrite;
import dev.tripflow.io.output.OutputGroup;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.io.schema.SchemaFiles;
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
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.PCollection;

/**
 * {@code tripflow ingest}: CSV (gzip or plain) with a header and an explicit schema to Parquet in N
 * files, as the course does with FHVHV 2021-01; rejected lines go to a dead-letter directory.
 */
public final class IngestCommand implements Command {

  /** Options of {@code tripflow ingest}. */
  public interface Options
      extends dev.tripflow.pipelines.schedule.Schedule.Options, Outputs.Options {
    @Description("CSV file or glob, local or gs:// (.gz read transparently)")
    @Param(
        label = "CSV input",
        example = "data/raw/green/2020/*/*.csv.gz",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.INPUT)
    String getInput();

    void setInput(String value);

    @Description("Named schema: green, yellow, fhvhv, zones (or give --schemaFile)")
    @Param(
        label = "Named schema",
        example = "green",
        regex = "^(green|yellow|fhvhv|zones)$",
        form = "green, yellow, fhvhv or zones")
    String getSchema();

    void setSchema(String value);

    @Description("Schema file, one 'name TYPE [NOT NULL]' a line (see infer-schema --schemaOut)")
    @Param(
        label = "Schema file",
        example = "green.schema",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.SIDE_INPUT)
    String getSchemaFile();

    void setSchemaFile(String value);

    @Description("Output directory for the Parquet files, replaced atomically")
    @Param(
        label = "Parquet output",
        example = "data/pq/green/2020",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutput();

    void setOutput(String value);

    @Description("Number of Parquet files to write (repartition)")
    @Default.Integer(24)
    @Param(
        label = "Output files",
        example = "24",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 10000)
    int getShards();

    void setShards(int value);

    @Description(
        "Fail the run, writing nothing, when more lines than this are rejected (-1: no limit)")
    @Default.Long(-1)
    @Param(
        label = "Most rejected lines",
        example = "100",
        regex = "^(-1|[0-9]+)$",
        form = "-1 or a whole number")
    long getMaxBadRecords();

    void setMaxBadRecords(long value);

    @Description(
        "Directory for rejected lines as CSV (file, line, reason, raw); default <output>-rejected")
    @Param(
        label = "Dead-letter output",
        example = "data/rejected/green",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getDeadLetterOutput();

    void setDeadLetterOutput(String value);
  }

  @Override
  public String name() {
    return "ingest";
  }

  @Override
  public String summary() {
    return "CSV with a header and an explicit schema to N Parquet files; bad lines to a dead-letter dir";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  /** Resolves {@code --schema} or {@code --schemaFile}. */
  static Schema schemaOf(String named, String file) {
    if ((named == null) == (file == null)) {
      throw new UsageException("give exactly one of --schema=NAME or --schemaFile=FILE");
    }
    if (named != null) {
      return TaxiSchemas.byName(named)
          .orElseThrow(
              () ->
                  new UsageException(
                      "--schema="
                          + named
                          + ": unknown schema (known: "
                          + String.join(", ", TaxiSchemas.named().keySet())
                          + ")"));
    }
    try {
      return SchemaFiles.read(file);
    } catch (IOException | IllegalArgumentException e) {
      throw new UsageException("--schemaFile=" + file + ": " + e.getMessage());
    }
  }

  /**
   * Builds the ingest graph: the Parquet files and the dead letters are staged in {@code outputs}
   * and committed together, only if the bad-record check passes.
   */
  static void apply(
      Pipeline p,
      String input,
      Schema schema,
      String output,
      int shards,
      long maxBad,
      String dead,
      OutputGroup outputs) {
    CsvRows.Result csv =
        p.apply("ReadCsv", CsvRows.read(input, schema).withCounters(RunSummary.NAMESPACE, "csv"));
    PCollection<Long> checked =
        csv.deadLetters().apply("CheckBadRecords", FailOnTooManyBadRecords.atMost(maxBad));
    outputs.withCommitGate(checked);
    csv.deadLetters()
        .apply(
            "WriteDeadLetters",
            AtomicWrite.via(new CsvRowSink(CsvRows.DEAD_LETTER_SCHEMA), ".csv")
                .to(dead)
                .withNumShards(1)
                .countedBy(CsvRowSink.records())
                .in(outputs));
    csv.rows().apply("WriteParquet", ParquetRows.write(output).withNumShards(shards).in(outputs));
  }

  /** The dead letters go beside the output unless told otherwise. */
  @Override
  public Map<String, String> derive(
      PipelineOptions options, List<Period> periods, PrintStream out) {
    Options o = options.as(Options.class);
    return o.getOutput() == null || o.getDeadLetterOutput() != null
        ? Map.of()
        : Map.of("deadLetterOutput", stripSlash(o.getOutput()) + "-rejected");
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    Schema schema = schemaOf(o.getSchema(), o.getSchemaFile());
    for (Metadata file : Paths.requireMatches(o, "input", o.getInput())) {
      try {
        CsvRows.requireHeader(file.resourceId().toString(), schema);
      } catch (IllegalArgumentException | IOException e) {
        throw new UsageException("--input=" + o.getInput() + ": " + e.getMessage());
      }
    }
    if (o.getOutput() == null) {
      throw new UsageException("--output is required");
    }
    String dead = o.getDeadLetterOutput();
    Optional<OutputPlan> plan = Outputs.prepare(run, out);
    if (plan.isEmpty()) {
      return 0;
    }

    Instant start = Instant.now();
    Pipeline p = Pipeline.create(o);
    apply(
        p,
        o.getInput(),
        schema,
        o.getOutput(),
        o.getShards(),
        o.getMaxBadRecords(),
        dead,
        plan.get().group());
    PipelineResult result = Outputs.run(p, plan.get());
    new RunSummary(name(), result)
        .counterLine("rows read", "csv_rows_read", o.getInput())
        .outputLine("bad rows", dead, dead)
        .outputLine("rows written", o.getOutput(), o.getOutput() + " (" + o.getShards() + " files)")
        .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
    return 0;
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }
}
