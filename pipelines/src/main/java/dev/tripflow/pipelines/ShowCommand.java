package dev.tripflow.pipelines;

import dev.tripflow.io.csv.CsvFormat;
import dev.tripflow.io.csv.CsvRecordReader;
import dev.tripflow.io.csv.CsvRows;
import dev.tripflow.io.parquet.ParquetRowFileReader;
import dev.tripflow.io.schema.SchemaInference;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.cli.TablePrinter;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/** {@code tripflow show}: the schema and first rows of Parquet or CSV files. */
final class ShowCommand implements Command {

  /** Options of {@code tripflow show}. */
  public interface Options extends PipelineOptions {
    @Description("Parquet or CSV file or glob (.csv, .csv.gz or .parquet), local or gs://")
    @Param(
        label = "Input",
        example = "data/pq/green/2020/01/*.parquet",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.INPUT)
    String getInput();

    void setInput(String value);

    @Description("Rows to show")
    @Default.Integer(20)
    @Param(
        label = "Rows to show",
        example = "5",
        regex = Forms.NON_NEGATIVE,
        form = "a whole number",
        min = 0,
        max = 1000000)
    int getLimit();

    void setLimit(int value);
  }

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "show";
  }

  @Override
  public String summary() {
    return "Print the schema (printSchema) and the first rows (show) of Parquet or CSV files";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  /** A directory input stands for its Parquet files. */
  @Override
  public Map<String, String> derive(
      PipelineOptions options, List<Period> periods, PrintStream out) {
    String input = options.as(Options.class).getInput();
    return input == null ? Map.of() : Map.of("input", Paths.directoryAsGlob(input));
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    if (o.getLimit() < 0) {
      throw new UsageException("--limit must be >= 0, not " + o.getLimit());
    }
    List<Metadata> files = new ArrayList<>(Paths.requireMatches(o, "input", o.getInput()));
    files.sort(Comparator.comparing(m -> m.resourceId().toString()));
    String first = files.get(0).resourceId().toString().toLowerCase(Locale.ROOT);
    Schema schema = null;
    List<Row> rows = new ArrayList<>();
    long total = 0;
    boolean parquet = first.endsWith(".parquet") || first.endsWith(".parq");
    if (parquet) {
      for (Metadata m : files) {
        try (ParquetRowFileReader r = ParquetRowFileReader.open(m, schema)) {
          schema = schema == null ? r.schema() : schema;
          total += r.rowCount();
          while (rows.size() < o.getLimit() && r.hasNext()) {
            rows.add(r.next());
          }
        }
      }
    } else {
      String file = files.get(0).resourceId().toString();
      schema = SchemaInference.infer(file, 1000).schema();
      try (CsvRecordReader reader = CsvRecordReader.open(file)) {
        List<String> header = CsvRows.headerOf(reader.next().text());
        CsvRecordReader.Record record;
        while (rows.size() < o.getLimit() && (record = reader.next()) != null) {
          List<String> fields;
          try {
            if (record.error() != null) {
              continue;
            }
            fields = CsvFormat.split(record.text());
          } catch (CsvFormat.BadValueException e) {
            continue;
          }
          if (fields.size() != header.size()) {
            continue;
          }
          List<Object> values = new ArrayList<>();
          boolean ok = true;
          for (int i = 0; i < fields.size(); i++) {
            try {
              values.add(CsvFormat.parse(fields.get(i), schema.getField(i).getType()));
            } catch (CsvFormat.BadValueException e) {
              ok = false;
              break;
            }
          }
          if (ok) {
            rows.add(Row.withSchema(schema).attachValues(values));
          }
        }
      }
    }
    out.print(TablePrinter.schema(schema));
    out.println();
    out.print(TablePrinter.table(schema, rows));
    if (parquet) {
      out.printf(
          Locale.ROOT, "showing %d of %,d rows in %d file(s)%n", rows.size(), total, files.size());
    } else {
      out.printf(
          Locale.ROOT,
          "showing the first %d rows of %s (CSV types inferred from 1000 lines)%n",
          rows.size(),
          files.get(0).resourceId());
    }
    return 0;
  }
}
