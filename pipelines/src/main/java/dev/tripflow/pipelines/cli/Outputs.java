package dev.tripflow.pipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.io.output.Manifest;
import dev.tripflow.io.output.OutputMode;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.schema.SchemaFiles;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.transforms.model.LinearDurationModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A command's outputs, from its options' {@link Param#role roles}: the {@code --mode} option, the
 * checks before any work ({@link OutputPlan}), and the run that commits them together.
 *
 * <pre>{@code
 * Optional<OutputPlan> plan = Outputs.prepare(run, out);
 * if (plan.isEmpty()) return 0;               // --mode=ignore and an output exists
 * rows.apply(ParquetRows.write(o.getOutput()).in(plan.get().group()));
 * PipelineResult result = Outputs.run(pipeline, plan.get());
 * long written = Outputs.rows(o.getOutput()); // from the committed manifest
 * }</pre>
 */
public final class Outputs {
  private Outputs() {}

  private static final Logger LOG = LoggerFactory.getLogger(Outputs.class);

  /** The option of every command that writes. */
  public interface Options extends PipelineOptions {
    @Description(
        "What to do when an output exists: overwrite (replace it, only if it is empty or"
            + " tripflow wrote it), errorIfExists (refuse) or ignore (write nothing)")
    @Default.String("overwrite")
    @Param(
        label = "Save mode",
        example = "errorIfExists",
        regex = "^(overwrite|errorIfExists|ignore)$",
        form = "overwrite, errorIfExists or ignore")
    String getMode();

    void setMode(String value);
  }

  /**
   * Checks the run's inputs and outputs (every path option, except {@code skip}) and marks its
   * directory outputs as this run's.
   *
   * @return the plan, or empty when {@code --mode=ignore} found an existing output (the line saying
   *     so is printed)
   * @throws UsageException for an output the rules refuse, naming the option
   */
  public static Optional<OutputPlan> prepare(RunSpec run, PrintStream out, String... skip) {
    OutputPlan plan = plan(run, Set.of(skip));
    FileSystems.setDefaultPipelineOptions(run.options());
    Optional<String> skipped;
    try {
      skipped = plan.prepare();
    } catch (OutputPlan.RefusedException e) {
      throw new UsageException(e.getMessage());
    } catch (IOException e) {
      throw new UsageException("cannot check the outputs: " + e.getMessage());
    }
    if (skipped.isPresent()) {
      out.println(skipped.get());
      return Optional.empty();
    }
    return Optional.of(plan);
  }

  /** The plan of the run's paths, by their roles. */
  static OutputPlan plan(RunSpec run, Set<String> skip) {
    PipelineOptions o = run.options();
    OutputMode mode = o instanceof Options m ? OutputMode.parse(m.getMode()) : OutputMode.OVERWRITE;
    OutputPlan.Builder b = OutputPlan.builder(mode);
    for (PathOption path : run.paths()) {
      String name = path.name();
      if (skip.contains(name)) {
        continue;
      }
      for (String value : path.values()) {
        switch (path.role()) {
          case INPUT, PERIOD_INPUTS, SIDE_INPUT -> b.input(name, value);
          case NAMED_INPUTS -> {
            int eq = value.indexOf('=');
            b.input(name, eq < 0 ? value : value.substring(eq + 1));
          }
          case OUTPUT -> b.output(name, value);
          case OUTPUT_FILE -> b.outputFile(name, value, path.fileKind(), ours(path.fileKind()));
          default -> {}
        }
      }
    }
    return b.build();
  }

  /** Whether a file's bytes are a {@code kind} tripflow writes (so overwrite may replace it). */
  static Predicate<byte[]> ours(String kind) {
    return switch (kind) {
      case "duration model" ->
          bytes -> {
            try {
              LinearDurationModel.fromJson(new ByteArrayInputStream(bytes), "existing");
              return true;
            } catch (RuntimeException e) {
              return false;
            }
          };
      case "schema file" ->
          bytes -> {
            try {
              SchemaFiles.parse(new String(bytes, StandardCharsets.UTF_8), "existing");
              return true;
            } catch (RuntimeException e) {
              return false;
            }
          };
      case "template spec" ->
          bytes -> {
            if (new String(bytes, StandardCharsets.UTF_8).startsWith("| option |")) {
              return true; // the markdown form
            }
            try {
              JsonNode n = new ObjectMapper().readTree(bytes);
              return n != null && n.has("name") && n.path("parameters").isArray();
            } catch (IOException e) {
              return false;
            }
          };
      default -> throw new IllegalArgumentException("no such file kind: " + kind);
    };
  }

  /**
   * Adds the commit of the plan's outputs to the pipeline, runs it and waits; after a failure, the
   * staging is removed (or a decided commit finished) before the failure is thrown on.
   */
  public static PipelineResult run(Pipeline pipeline, OutputPlan plan) {
    if (!plan.directories().isEmpty()) {
      plan.group().commit(pipeline);
    }
    try (RunProgress progress = RunProgress.start(pipeline.getOptions())) {
      PipelineResult result = pipeline.run();
      if (detached(result)) {
        // Submitted through Flink's REST API: the job commits its outputs as its last step, and
        // its status cannot be followed from here.
        return result;
      }
      PipelineResult.State state = result.waitUntilFinish();
      if (state != null && state != PipelineResult.State.DONE) {
        throw new IllegalStateException("the job ended " + state + ", not DONE");
      }
      return result;
    } catch (RuntimeException | Error e) {
      try {
        plan.abort();
      } catch (IOException | RuntimeException cleanup) {
        LOG.warn("could not clean up after the failed run: {}", cleanup.toString());
      }
      throw e;
    }
  }

  /**
   * Whether the runner handed the job to a cluster without following it: Flink's detached result,
   * as a command run by the REST API's {@code /jars/:id/run} gets (by name: Flink is optional).
   */
  public static boolean detached(PipelineResult result) {
    return result != null
        && result
            .getClass()
            .getName()
            .equals("org.apache.beam.runners.flink.FlinkDetachedRunnerResult");
  }

  /** The rows of a committed output, from its manifest. */
  public static long rows(String output) throws IOException {
    return Manifest.require(OutputPlan.normalize(output)).rows();
  }
}
