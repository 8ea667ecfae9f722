package dev.tripflow.pipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.io.output.Manifest;
import dev.tripflow.io.output.OutputMode;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.schema.SchemaFiles;
import dev.tripflow.transforms.model.LinearDurationModel;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
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
 * Optional<OutputPlan> plan = Outputs.prepare(o, out);
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
   * Checks the command's inputs and outputs (every option with a role, except {@code skip}) and
   * marks its directory outputs as this run's.
   *
   * @return the plan, or empty when {@code --mode=ignore} found an existing output (the line saying
   *     so is printed)
   * @throws UsageException for an output the rules refuse, naming the option
   */
  public static Optional<OutputPlan> prepare(PipelineOptions o, PrintStream out, String... skip) {
    OutputPlan plan = plan(o, Set.of(skip));
    FileSystems.setDefaultPipelineOptions(o);
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

  /** The plan of {@code o}'s paths, by their roles. */
  static OutputPlan plan(PipelineOptions o, Set<String> skip) {
    OutputMode mode = o instanceof Options m ? OutputMode.parse(m.getMode()) : OutputMode.OVERWRITE;
    OutputPlan.Builder b = OutputPlan.builder(mode);
    for (Map.Entry<String, Param> e : Roles.of(o).entrySet()) {
      String name = e.getKey();
      Param p = e.getValue();
      if (skip.contains(name) || p.role() == Param.Role.NONE || p.role() == Param.Role.PATH) {
        continue;
      }
      Object value = value(o, name);
      if (value == null) {
        continue;
      }
      switch (p.role()) {
        case INPUT, SIDE_INPUT -> b.input(name, (String) value);
        case NAMED_INPUTS -> {
          for (Object pair : (List<?>) value) {
            String s = pair.toString();
            int eq = s.indexOf('=');
            b.input(name, eq < 0 ? s : s.substring(eq + 1));
          }
        }
        case OUTPUT -> b.output(name, (String) value);
        case OUTPUT_FILE -> b.outputFile(name, (String) value, p.fileKind(), ours(p.fileKind()));
        default -> {}
      }
    }
    return b.build();
  }

  private static Object value(PipelineOptions o, String name) {
    String cap = Character.toUpperCase(name.charAt(0)) + name.substring(1);
    for (Class<?> iface : o.getClass().getInterfaces()) {
      try {
        Method m = iface.getMethod("get" + cap);
        return m.invoke(o);
      } catch (NoSuchMethodException e) {
        // another interface's
      } catch (ReflectiveOperationException e) {
        throw new IllegalStateException("--" + name, e);
      }
    }
    return null;
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
    try {
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
