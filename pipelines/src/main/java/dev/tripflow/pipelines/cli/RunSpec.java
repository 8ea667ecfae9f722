package dev.tripflow.pipelines.cli;

import com.google.auto.value.AutoValue;
import dev.tripflow.pipelines.schedule.Period;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * One command line resolved for a run, which is all a command reads: options with every local path
 * absolute, path templates filled for the run's period, values the command derives (the sample
 * data, a side output beside the main one) added, and what the checks need to know: the options the
 * user gave, the periods, each path option's role. Built once by {@link ResolveOptions}.
 */
@AutoValue
public abstract class RunSpec {
  /** The command word, e.g. {@code revenue-report}. */
  public abstract String command();

  /**
   * The resolved command line the options were parsed from; a {@code --perPeriod} range keeps its
   * templates, filled per period by {@link ResolveOptions#forPeriod}.
   */
  public abstract List<String> args();

  /** The options the user gave (on the command line or in {@code --paramsFile}). */
  public abstract Set<String> given();

  /** The run's periods in order; empty when it names none. */
  public abstract List<Period> periods();

  /** Whether the run is a {@code --perPeriod} range: one run per period. */
  public abstract boolean split();

  /** The options that hold paths, resolved, in declaration order. */
  public abstract List<PathOption> paths();

  abstract PipelineOptions pipelineOptions();

  /** The parsed options, as the Beam options a pipeline is created with. */
  public PipelineOptions options() {
    return pipelineOptions();
  }

  /** The parsed options as {@code type}, the command's options interface. */
  public <T extends PipelineOptions> T options(Class<T> type) {
    return pipelineOptions().as(type);
  }

  /** Whether the user gave option {@code name}. */
  public boolean given(String name) {
    return given().contains(name);
  }

  /** The resolved path option {@code name}, when it has a value. */
  public Optional<PathOption> path(String name) {
    return paths().stream().filter(p -> p.name().equals(name)).findFirst();
  }

  static RunSpec of(
      String command,
      List<String> args,
      Set<String> given,
      List<Period> periods,
      boolean split,
      List<PathOption> paths,
      PipelineOptions options) {
    return new AutoValue_RunSpec(
        command,
        List.copyOf(args),
        Set.copyOf(given),
        List.copyOf(periods),
        split,
        List.copyOf(paths),
        options);
  }
}
