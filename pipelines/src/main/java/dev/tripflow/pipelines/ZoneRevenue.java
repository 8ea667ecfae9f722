package dev.tripflow.pipelines;

import dev.tripflow.io.csv.CsvRows;
import dev.tripflow.io.csv.FailOnTooManyBadRecords;
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
import dev.tripflow.transforms.EnrichWithZones;
import dev.tripflow.transforms.TaxiSchemas;
import dev.tripflow.transforms.ZoneLookup;
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
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;

/**
 * Adds the zone's borough, name and service zone to revenue rows through a broadcast join with the
 * zone lookup (a map side input); rows whose zone is unknown go to a separate output.
 *
 * <pre>{@code
 * tripflow zone-revenue --input='data/report/hourly/total/*.parquet' --output=data/report/hourly/zones
 * }</pre>
 */
public final class ZoneRevenue {
  private ZoneRevenue() {}

  /** Options of {@code tripflow zone-revenue}. */
  public interface Options extends Outputs.Options {
    @Description("Parquet rows with an integer zone column, e.g. the hourly-revenue output")
    @Default.String("data/report/hourly/total/*.parquet")
    @Param(
        label = "Input",
        example = "data/report/hourly/total/*.parquet",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.INPUT)
    String getInput();

    void setInput(String value);

    @Description(
        "Zone lookup CSV (LocationID,Borough,Zone,service_zone); default: the bundled 265 zones")
    @Param(
        label = "Zone lookup",
        example = "taxi_zone_lookup.csv",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.SIDE_INPUT)
    String getZones();

    void setZones(String value);

    @Description("The input column holding the zone id")
    @Default.String("zone")
    @Param(
        label = "Zone column",
        example = "revenue_zone",
        regex = "^[A-Za-z_][A-Za-z0-9_]*$",
        form = "a column name")
    String getZoneColumn();

    void setZoneColumn(String value);

    @Description("Output directory of the enriched rows, replaced atomically")
    @Default.String("data/report/hourly/zones")
    @Param(
        label = "Output",
        example = "data/report/hourly/zones",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getOutput();

    void setOutput(String value);

    @Description(
        "Output directory of rows whose zone is not in the lookup; default <output>-unmatched")
    @Param(
        label = "Unmatched output",
        example = "data/report/hourly/zones-unmatched",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT)
    String getUnmatchedOutput();

    void setUnmatchedOutput(String value);
  }

  /** Builds the graph; returns matched and unmatched rows. */
  static PCollectionTuple apply(
      Pipeline p, String input, Schema inputSchema, String zonesCsv, String zoneColumn) {
    PCollection<Row> rows =
        p.apply(
            "ReadRevenue",
            ParquetRows.read(input, inputSchema)
                .withRowsReadCounter(RunSummary.NAMESPACE, "rows_read"));
    PCollection<Row> zones;
    if (zonesCsv == null) {
      zones =
          p.apply("BundledZones", Create.of(ZoneLookup.bundled()).withRowSchema(TaxiSchemas.ZONES));
    } else {
      CsvRows.Result csv =
          p.apply(
              "ReadZones",
              CsvRows.read(zonesCsv, TaxiSchemas.ZONES)
                  .withCounters(RunSummary.NAMESPACE, "zones"));
      // A broken zone file would silently unmatch trips: refuse it instead.
      csv.deadLetters().apply("NoBadZoneLines", FailOnTooManyBadRecords.atMost(0));
      zones = csv.rows();
    }
    return rows.apply("EnrichWithZones", EnrichWithZones.on(zoneColumn, zones));
  }

  /** The {@code zone-revenue} command. */
  static final class Cli implements Command {
    @Override
    public String name() {
      return "zone-revenue";
    }

    @Override
    public String summary() {
      return "Add borough and zone names to revenue rows (broadcast join with the zone lookup)";
    }

    @Override
    public Class<? extends PipelineOptions> optionsClass() {
      return Options.class;
    }

    /** A directory input stands for its Parquet files; unmatched trips go beside the output. */
    @Override
    public Map<String, String> derive(
        PipelineOptions options, List<Period> periods, PrintStream out) {
      Options o = options.as(Options.class);
      Map<String, String> derived = new java.util.LinkedHashMap<>();
      if (o.getInput() != null) {
        derived.put("input", Paths.directoryAsGlob(o.getInput()));
      }
      if (o.getUnmatchedOutput() == null && o.getOutput() != null) {
        derived.put("unmatchedOutput", o.getOutput() + "-unmatched");
      }
      return derived;
    }

    @Override
    public int run(RunSpec run, PrintStream out) throws Exception {
      Options o = run.options(Options.class);
      List<Metadata> files = Paths.requireMatches(o, "input", o.getInput());
      Schema schema;
      try (ParquetRowFileReader r = ParquetRowFileReader.open(files.get(0), null)) {
        schema = r.schema();
      } catch (java.io.IOException | RuntimeException e) {
        throw new UsageException("--input=" + o.getInput() + ": " + e.getMessage());
      }
      if (!schema.hasField(o.getZoneColumn())) {
        throw new UsageException(
            "--zoneColumn="
                + o.getZoneColumn()
                + ": the input has no such column (it has "
                + schema.getFieldNames()
                + ")");
      }
      if (o.getZones() != null) {
        for (Metadata zones : Paths.requireMatches(o, "zones", o.getZones())) {
          try {
            CsvRows.requireHeader(zones.resourceId().toString(), TaxiSchemas.ZONES);
          } catch (IllegalArgumentException | java.io.IOException e) {
            throw new UsageException("--zones=" + o.getZones() + ": " + e.getMessage());
          }
        }
      }
      String unmatchedDir = o.getUnmatchedOutput();
      try {
        ParquetRows.requireColumns(files, schema, dev.tripflow.io.parquet.ColumnMapping.NONE);
      } catch (IllegalArgumentException | java.io.IOException e) {
        throw new UsageException("--input=" + o.getInput() + ": " + e.getMessage());
      }
      Optional<OutputPlan> plan = Outputs.prepare(run, out);
      if (plan.isEmpty()) {
        return 0;
      }

      Instant start = Instant.now();
      Pipeline p = Pipeline.create(o);
      PCollectionTuple result = apply(p, o.getInput(), schema, o.getZones(), o.getZoneColumn());
      result
          .get(EnrichWithZones.MATCHED)
          .apply("WriteEnriched", ParquetRows.write(o.getOutput()).in(plan.get().group()));
      result
          .get(EnrichWithZones.UNMATCHED)
          .apply("WriteUnmatched", ParquetRows.write(unmatchedDir).in(plan.get().group()));
      PipelineResult finished = Outputs.run(p, plan.get());
      new RunSummary(name(), finished)
          .counterLine("rows read", "rows_read", o.getInput())
          .outputLine("rows written", o.getOutput(), o.getOutput())
          .outputLine("unmatched", unmatchedDir, unmatchedDir)
          .print(out, Duration.between(start, Instant.now()), o.getRunner().getSimpleName());
      return 0;
    }
  }
}
