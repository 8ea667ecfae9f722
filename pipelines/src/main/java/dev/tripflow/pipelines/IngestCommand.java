package dev.tripflow.pipelines;

import dev.tripflow.io.csv.CsvRowSink;
import dev.tripflow.io.csv.CsvRows;
import dev.tripflow.io.csv.FailOnTooManyBadRecords;
import dev.tripflow.io.output.AtomicWrite;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.io.schema.SchemaFiles;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Forms;
import dev.tripflow.pipelines.cli.Param;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.cli.UsageException;
import dev.tripflow.transforms.TaxiSchemas;
import java.io.IOException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * {@code tripflow ingest}: CSV (gzip or plain) with a header and an explicit schema to Parquet in N
 * files, as the course does with FHVHV 2021-01; rejected lines go to a dead-letter directory.
 */
public final class IngestCommand implements Command {

  /** Options of {@code tripflow ingest}. */
  public interface Options extends dev.tripflow.pipelines.schedule.Schedule.Options {
    @Description("CSV file or glob, local or gs:// (.gz read transparently)")
    @Param(
        label = "CSV input",
        example = "data/raw/green/2020/*/*.csv.gz",
        regex = Forms.PATH,
        form = Forms.PATH_FORM)
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
        form = Forms.PATH_FORM)
    String getSchemaFile();

    void setSchemaFile(String value);

    @Description("Output directory for the Parquet files, replaced atomically")
    @Param(
        label = "Parquet output",
        example = "data/pq/green/2020",
        regex = Forms.PATH,
        form = Forms.PATH_FORM)
    String getOutput();

    void setOutput(String value);

    @Description("Number of Parquet files to write (repartition)")
    @Default.Integer(24)
    @Param(
        label = "Output files",
        example = "24",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one")
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
        form = Forms.PATH_FORM)
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

  /** Builds the ingest graph; returns the written file list. */
  static void apply(
      Pipeline p,
      String input,
      Schema schema,
      String output,
      int shards,
      long maxBad,
      String dead) {
    CsvRows.Result csv =
        p.apply("ReadCsv", CsvRows.read(input, schema).withCounters(RunSummary.NAMESPACE, "csv"));
    PCollection<Long> checked =
        csv.deadLetters().apply("CheckBadRecords", FailOnTooManyBadRecords.atMost(maxBad));
    csv.deadLetters()
        .apply(
            "WriteDeadLetters",
            AtomicWrite.via(new CsvRowSink(CsvRows.DEAD_LETTER_SCHEMA), ".csv")
                .to(dead)
                .withNumShards(1)
                .withCommitGate(checked));
    PCollection<Row> rows = csv.rows();
    rows.apply(
        "WriteParquet",
        ParquetRows.write(output)
            .withNumShards(shards)
            .withRowsWrittenCounter(RunSummary.NAMESPACE, "rows_written")
            .withCommitGate(checked));
  }

  @Override
  public int run(PipelineOptions pipelineOptions, PrintStream out) throws Exception {
    Options o = pipelineOptions.as(Options.class);
    Schema schema = schemaOf(o.getSchema(), o.getSchemaFile());
    Paths.requireMatches(o, "input", o.getInput());
    Paths.requireWritableDirectory("output", o.getOutput());
    if (o.getShards() < 1) {
      throw new UsageException("--shards must be at least 1, not " + o.getShards());
    }
    String dead =
        o.getDeadLetterOutput() != null
            ? o.getDeadLetterOutput()
            : stripSlash(o.getOutput()) + "-rejected";
    Paths.requireWritableDirectory("deadLetterOutput", dead);

    Instant start = Instant.now();
    Pipeline p = Pipeline.create(o);
    apply(p, o.getInput(), schema, o.getOutput(), o.getShards(), o.getMaxBadRecords(), dead);
    PipelineResult result = p.run();
    result.waitUntilFinish();
    new RunSummary(name(), result)
        .counterLine("rows read", "csv_rows_read", o.getInput())
        .counterLine("bad rows", "csv_bad_records", dead)
        .counterLine(
            "rows written", "rows_written", o.getOutput() + " (" + o.getShards() + " files)")
        .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
    return 0;
  }

  private static String stripSlash(String s) {
    return s.endsWith("/") && s.length() > 1 ? s.substring(0, s.length() - 1) : s;
  }
}
