package dev.tripflow.pipelines;

import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** {@code tripflow generate}: writes deterministic synthetic TLC-shaped sample data. */
final class GenerateCommand implements Command {

  /** Options of {@code tripflow generate}. */
  public interface Options extends Outputs.Options {
    @Description(
        "Directory to write into: Parquet under pq/<service>/<yyyy>/<MM>/, gzip CSV under"
            + " raw/<service>/<yyyy>/<MM>/")
    @Default.String("data")
    @Param(
        label = "Output directory",
        example = "data",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PATH)
    String getOutput();

    void setOutput(String value);

    @Description("Year of the trips")
    @Default.Integer(2020)
    @Param(
        label = "Year",
        example = "2021",
        regex = "^[0-9]{4}$",
        form = "a year, YYYY",
        min = 2009,
        max = 2100)
    int getYear();

    void setYear(int value);

    @Description(
        "Green + yellow trips for the year, split between services and months as in the real"
            + " 2020 data (0 = use --fraction)")
    @Default.Long(100_000)
    @Param(
        label = "Taxi trips",
        example = "1000000",
        regex = Forms.NON_NEGATIVE,
        form = "a whole number")
    long getRows();

    void setRows(long value);

    @Description(
        "Alternative to --rows: this fraction of the real 2020 volume (green 1.73M + yellow"
            + " 24.6M rows); 1.0 is the real volume")
    @Default.Double(0.0)
    @Param(
        label = "Fraction of the real volume",
        example = "0.1",
        regex = "^[0-9]+(\\.[0-9]+)?$",
        form = "a non-negative number")
    double getFraction();

    void setFraction(double value);

    @Description("FHVHV trips for the year (-1 = a quarter of the taxi rows)")
    @Default.Long(-1)
    @Param(
        label = "FHVHV trips",
        example = "250000",
        regex = "^(-1|[0-9]+)$",
        form = "-1 or a whole number")
    long getFhvhvRows();

    void setFhvhvRows(long value);

    @Description("Services to generate, comma-separated: green, yellow, fhvhv")
    @Default.String("green,yellow,fhvhv")
    @Param(
        label = "Services",
        example = "green,yellow",
        regex = "^(green|yellow|fhvhv)(,(green|yellow|fhvhv))*$",
        form = "a comma-separated list of green, yellow, fhvhv")
    String getServices();

    void setServices(String value);

    @Description("Formats to write, comma-separated: parquet, csv")
    @Default.String("parquet,csv")
    @Param(
        label = "Formats",
        example = "parquet",
        regex = "^(parquet|csv)(,(parquet|csv))?$",
        form = "parquet, csv or parquet,csv")
    String getFormats();

    void setFormats(String value);

    @Description("Random seed: the same seed writes the same files")
    @Default.Long(42)
    @Param(label = "Random seed", example = "7")
    long getSeed();

    void setSeed(long value);

    @Description("Most rows per Parquet file; a larger month is split into several part files")
    @Default.Long(1_000_000)
    @Param(
        label = "Rows per file",
        example = "500000",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 1000000000)
    long getRowsPerFile();

    void setRowsPerFile(long value);

    @Description(
        "Fraction of CSV lines replaced by malformed ones (wrong field count, bad number, bad"
            + " timestamp), to exercise dead-letter handling; Parquet is never affected")
    @Default.Double(0.0)
    @Param(
        label = "Malformed CSV fraction",
        example = "0.01",
        regex = "^(0(\\.[0-9]+)?|1(\\.0+)?|\\.[0-9]+)$",
        form = "a fraction from 0 to 1")
    double getMalformedFraction();

    void setMalformedFraction(double value);

    @Description("Threads writing months in parallel (0 = number of cores)")
    @Default.Integer(0)
    @Param(
        label = "Threads",
        example = "2",
        regex = Forms.NON_NEGATIVE,
        form = "a whole number",
        min = 0,
        max = 1024)
    int getThreads();

    void setThreads(int value);
  }

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "generate";
  }

  @Override
  public String summary() {
    return "Write deterministic synthetic green, yellow and FHVHV trips (Parquet and gzip CSV)";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    SampleData.Spec spec = spec(o);
    Paths.requireWritableDirectory("output", o.getOutput());
    Instant start = Instant.now();
    SampleData.Report report =
        SampleData.generate(spec, out, dev.tripflow.io.output.OutputMode.parse(o.getMode()));
    if (report == null) {
      return 0;
    }
    out.printf(
        Locale.ROOT,
        "generate finished in %.1f s%n",
        Duration.between(start, Instant.now()).toMillis() / 1000.0);
    report.print(out);
    return 0;
  }

  static SampleData.Spec spec(Options o) {
    if (o.getRows() < 0) {
      throw new UsageException("--rows must be >= 0, not " + o.getRows());
    }
    if (o.getFraction() < 0 || o.getFraction() > 10) {
      throw new UsageException("--fraction must be between 0 and 10, not " + o.getFraction());
    }
    if (o.getYear() < 2009 || o.getYear() > 2100) {
      throw new UsageException("--year must be between 2009 and 2100, not " + o.getYear());
    }
    if (o.getRowsPerFile() < 1) {
      throw new UsageException("--rowsPerFile must be positive, not " + o.getRowsPerFile());
    }
    if (o.getMalformedFraction() < 0 || o.getMalformedFraction() >= 1) {
      throw new UsageException(
          "--malformedFraction must be in [0, 1), not " + o.getMalformedFraction());
    }
    return SampleData.Spec.parse(
        o.getOutput(),
        o.getYear(),
        o.getRows(),
        o.getFraction(),
        o.getFhvhvRows(),
        o.getServices(),
        o.getFormats(),
        o.getSeed(),
        o.getRowsPerFile(),
        o.getMalformedFraction(),
        o.getThreads());
  }
}
