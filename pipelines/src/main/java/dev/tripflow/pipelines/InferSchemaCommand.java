package dev.tripflow.pipelines;

import dev.tripflow.io.schema.SchemaFiles;
import dev.tripflow.io.schema.SchemaInference;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** {@code tripflow infer-schema}: a schema inferred from a sample of a CSV file. */
final class InferSchemaCommand implements Command {

  /** Options of {@code tripflow infer-schema}. */
  public interface Options extends Outputs.Options {
    @Description("CSV file with a header (.gz read transparently); a glob uses its first file")
    @Param(
        label = "CSV input",
        example = "data/raw/green/2020/01/green_tripdata_2020_01.csv.gz",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.INPUT)
    String getInput();

    void setInput(String value);

    @Description("Data lines to sample")
    @Default.Integer(1000)
    @Param(
        label = "Sample lines",
        example = "5000",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 10000000)
    int getSampleRows();

    void setSampleRows(int value);

    @Description("Name of the Java constant in the generated code")
    @Default.String("SCHEMA")
    @Param(
        label = "Constant name",
        example = "GREEN",
        regex = "^[A-Za-z_$][A-Za-z0-9_$]*$",
        form = "a Java identifier")
    String getName();

    void setName(String value);

    @Description("Also write the schema file (for ingest --schemaFile) here")
    @Param(
        label = "Schema file output",
        example = "green.schema",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.OUTPUT_FILE,
        fileKind = "schema file")
    String getSchemaOut();

    void setSchemaOut(String value);
  }

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "infer-schema";
  }

  @Override
  public String summary() {
    return "Infer a schema from a CSV sample: a table, the Java code of the Beam schema, a schema file";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    if (o.getSampleRows() < 1) {
      throw new UsageException("--sampleRows must be at least 1, not " + o.getSampleRows());
    }
    if (!o.getName().matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new UsageException("--name=" + o.getName() + ": not a Java identifier");
    }
    Metadata first =
        Paths.requireMatches(o, "input", o.getInput()).stream()
            .min((a, b) -> a.resourceId().toString().compareTo(b.resourceId().toString()))
            .orElseThrow();
    String file = first.resourceId().toString();
    boolean write =
        o.getSchemaOut() != null && Outputs.prepare(run, out).isPresent(); // else --mode=ignore
    SchemaInference.InferredSchema inferred;
    try {
      inferred = SchemaInference.infer(file, o.getSampleRows());
    } catch (IllegalArgumentException e) {
      throw new UsageException(e.getMessage());
    }
    out.printf(
        "Schema of %s (%d rows sampled%s)%n%n",
        file,
        inferred.sampledRows(),
        inferred.skippedLines() > 0
            ? ", " + inferred.skippedLines() + " lines skipped: wrong field count"
            : "");
    out.println(inferred.toTable());
    out.println(inferred.toJavaCode(o.getName()));
    out.println("Schema file:");
    out.print(SchemaFiles.format(inferred.schema()));
    if (write) {
      Path p = Path.of(o.getSchemaOut());
      Path tmp = p.resolveSibling("." + p.getFileName() + ".tmp");
      Files.writeString(
          tmp,
          "# inferred by tripflow infer-schema from "
              + file
              + "\n"
              + SchemaFiles.format(inferred.schema()),
          StandardCharsets.UTF_8);
      Files.move(tmp, p, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      out.println("\nwrote " + p);
    }
    return 0;
  }
}
