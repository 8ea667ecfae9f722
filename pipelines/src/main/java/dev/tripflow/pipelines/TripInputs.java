package dev.tripflow.pipelines;

import dev.tripflow.io.parquet.ParquetRows;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSummary;
import dev.tripflow.transforms.NormalizeTrips;
import dev.tripflow.transforms.TaxiSchemas;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * The green and yellow trip inputs that several pipelines share: options, defaults to the sample
 * data, checks before the run, and the read + normalise steps.
 */
public final class TripInputs {
  private TripInputs() {}

  /** Options naming the green and yellow Parquet inputs. */
  public interface Options extends PipelineOptions {
    @Description(
        "Green trips: Parquet file or glob, local or gs:// (default: the sample data under"
            + " --sampleData, generated on first use)")
    String getInputGreen();

    void setInputGreen(String value);

    @Description("Yellow trips: Parquet file or glob, local or gs:// (default: the sample data)")
    String getInputYellow();

    void setInputYellow(String value);

    @Description("Directory of the sample data used when no input is given")
    @Default.String("data")
    String getSampleData();

    void setSampleData(String value);
  }

  /**
   * Fills in the sample data for inputs not given (generating it on first use) and checks that
   * every input matches files.
   */
  static void resolve(Options o, PrintStream out) throws Exception {
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
    o.setInputGreen(Paths.directoryAsGlob(o.getInputGreen()));
    o.setInputYellow(Paths.directoryAsGlob(o.getInputYellow()));
    Paths.requireMatches(o, "inputGreen", o.getInputGreen());
    Paths.requireMatches(o, "inputYellow", o.getInputYellow());
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
    String title = Character.toUpperCase(service.charAt(0)) + service.substring(1);
    List<String> common = new ArrayList<>(columns);
    common.remove("service_type");
    return p.apply(
            "Read" + title,
            ParquetRows.read(glob, NormalizeTrips.sourceSchema(service, common))
                .withRowsReadCounter(RunSummary.NAMESPACE, "rows_read_" + service))
        .apply("Normalize" + title, NormalizeTrips.of(service).withColumns(common));
  }
}
