package dev.tripflow.pipelines;

import dev.tripflow.io.csv.CsvRows;
import dev.tripflow.io.csv.FailOnTooManyBadRecords;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.parquet.ColumnMapping;
import dev.tripflow.io.parquet.ParquetRowFileReader;
import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.io.schema.SchemaInference;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.transforms.sql.TripflowSql;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
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
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;

/**
 * {@code tripflow sql}: a query over named Parquet or CSV tables, like {@code spark.sql} over temp
 * views, written to Parquet.
 *
 * <pre>{@code
 * tripflow sql --table=trips_data='data/pq/green/2020/*\/*.parquet' --queryFile=report.sql --output=out
 * }</pre>
 */
final class SqlCommand implements Command {

  /** Options of {@code tripflow sql}. */
  public interface Options extends Outputs.Options {
    @Description(
        "A table as NAME=GLOB (Parquet, or CSV with a header: .csv/.csv.gz, types inferred);"
            + " repeat for more tables")
    @Param(
        label = "Table",
        example = "trips=data/pq/green/*/*/*.parquet",
        regex = "^[A-Za-z_][A-Za-z0-9_]*=\\S.*$",
        form = "NAME=GLOB",
        role = Param.Role.NAMED_INPUTS)
    List<String> getTable();

    void setTable(List<String> value);

    @Description("The query (Beam SQL; date_trunc, GROUP BY ordinals and crazy_stuff work)")
    @Param(label = "Query", example = "SELECT COUNT(*) AS n FROM trips")
    String getQuery();

    void setQuery(String value);

    @Description("A file holding the query, instead of --query")
    @Param(
        label = "Query file",
        example = "report.sql",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.SIDE_INPUT)
    String getQueryFile();

    void setQueryFile(String value);

    @Description("Output directory of the result as Parquet, replaced atomically")
    @Default.String("data/report/sql")
    @Param(
        label = "Result output",
        example = "data/report/sql",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutput();

    void setOutput(String value);

    @Description("Number of Parquet files to write")
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

  @Override
  public String name() {
    return "sql";
  }

  @Override
  public String summary() {
    return "Run a SQL query over named Parquet or CSV tables, like spark.sql over temp views";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  private record Table(String name, String glob, boolean csv, Schema schema) {}

  private static Table table(Options o, String spec) throws IOException {
    int eq = spec.indexOf('=');
    if (eq <= 0 || eq == spec.length() - 1) {
      throw new UsageException("--table=" + spec + ": expected NAME=GLOB");
    }
    String name = spec.substring(0, eq).trim();
    String glob = Paths.directoryAsGlob(spec.substring(eq + 1).trim());
    if (!name.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new UsageException("--table=" + spec + ": '" + name + "' is not a table name");
    }
    List<Metadata> files = Paths.requireMatches(o, "table", glob);
    Metadata first =
        files.stream().min(Comparator.comparing(m -> m.resourceId().toString())).orElseThrow();
    String path = first.resourceId().toString().toLowerCase(Locale.ROOT);
    boolean csv = path.endsWith(".csv") || path.endsWith(".csv.gz");
    Schema schema;
    try {
      if (csv) {
        schema = SchemaInference.infer(first.resourceId().toString(), 1000).schema();
        // Inferred from a sample: let later rows be empty rather than dead letters.
        Schema.Builder b = Schema.builder();
        schema.getFields().forEach(f -> b.addNullableField(f.getName(), f.getType()));
        schema = b.build();
      } else {
        try (ParquetRowFileReader r = ParquetRowFileReader.open(first, null)) {
          schema = r.schema();
        }
      }
      if (csv) {
        for (Metadata f : files) {
          CsvRows.requireHeader(f.resourceId().toString(), schema);
        }
      } else {
        ParquetRows.requireColumns(files, schema, ColumnMapping.NONE);
      }
    } catch (IllegalArgumentException | IOException e) {
      throw new UsageException("--table=" + spec + ": " + e.getMessage());
    }
    return new Table(name, glob, csv, schema);
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    if ((o.getQuery() == null) == (o.getQueryFile() == null)) {
      throw new UsageException("give exactly one of --query or --queryFile");
    }
    String query = o.getQuery();
    if (query == null) {
      try {
        query = Files.readString(Path.of(o.getQueryFile()), StandardCharsets.UTF_8);
      } catch (IOException e) {
        throw new UsageException("--queryFile=" + o.getQueryFile() + ": cannot read it");
      }
    }
    if (o.getTable() == null || o.getTable().isEmpty()) {
      throw new UsageException("give at least one --table=NAME=GLOB");
    }
    Map<String, Table> tables = new LinkedHashMap<>();
    for (String spec : o.getTable()) {
      Table t = table(o, spec);
      if (tables.put(t.name(), t) != null) {
        throw new UsageException("--table: '" + t.name() + "' is given twice");
      }
    }
    Optional<OutputPlan> plan = Outputs.prepare(run, out);
    if (plan.isEmpty()) {
      return 0;
    }

    Instant start = Instant.now();
    Pipeline p = Pipeline.create(o);
    PCollectionTuple inputs = PCollectionTuple.empty(p);
    for (Table t : tables.values()) {
      PCollection<Row> rows;
      if (t.csv()) {
        CsvRows.Result csv =
            p.apply(
                "Read_" + t.name(),
                CsvRows.read(t.glob(), t.schema()).withCounters(RunSummary.NAMESPACE, "csv"));
        csv.deadLetters().apply("NoBadLines_" + t.name(), FailOnTooManyBadRecords.atMost(0));
        rows = csv.rows();
      } else {
        rows =
            p.apply(
                "Read_" + t.name(),
                ParquetRows.read(t.glob(), t.schema())
                    .withRowsReadCounter(RunSummary.NAMESPACE, "rows_read"));
      }
      inputs = inputs.and(t.name(), rows);
    }
    PCollection<Row> result;
    try {
      result = inputs.apply("Query", TripflowSql.query(query));
    } catch (RuntimeException e) {
      throw new UsageException("the query does not compile: " + rootLine(e));
    }
    result.apply(
        "WriteResult",
        ParquetRows.write(o.getOutput()).withNumShards(o.getShards()).in(plan.get().group()));
    PipelineResult finished = Outputs.run(p, plan.get());
    new RunSummary(name(), finished)
        .line("tables", tables.size(), String.join(", ", tables.keySet()))
        .outputLine("rows written", o.getOutput(), o.getOutput())
        .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
    return 0;
  }

  private static String rootLine(Throwable e) {
    Throwable t = e;
    String best = e.getMessage();
    while (t != null) {
      if (t.getMessage() != null && !t.getMessage().isBlank()) {
        best = t.getMessage();
      }
      t = t.getCause() == t ? null : t.getCause();
    }
    return best == null ? e.toString() : best.lines().findFirst().orElse(best);
  }
}
