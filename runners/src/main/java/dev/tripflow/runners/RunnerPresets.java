package dev.tripflow.runners;

import dev.tripflow.runners.partitioned.PartitionedPipelineOptions;
import dev.tripflow.runners.partitioned.PartitionedRunner;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Runner defaults tripflow applies to every command: which runner runs when {@code --runner} is not
 * given, and each runner's settings for batch jobs, applied only where the user set nothing.
 */
public final class RunnerPresets {
  private RunnerPresets() {}

  /** The runner used when the command line names none. */
  public static Class<? extends PipelineRunner<?>> defaultRunner() {
    return PartitionedRunner.class;
  }

  /**
   * The batch presets of {@code runner} as command-line options, for the options the user did not
   * give ({@code given}): the DirectRunner's immutability and encodability checks, which copy and
   * encode every element for testing purposes, are off for production runs.
   */
  public static List<String> defaults(Class<?> runner, Set<String> given) {
    List<String> args = new ArrayList<>();
    // by name: the engines' job jars run without the DirectRunner
    if (runner.getName().equals("org.apache.beam.runners.direct.DirectRunner")) {
      for (String check : List.of("enforceImmutability", "enforceEncodability")) {
        if (!given.contains(check)) {
          args.add("--" + check + "=false");
        }
      }
    }
    return args;
  }

  /**
   * Checks the selected runner's own option ranges (the PartitionedRunner's {@code --partitions} 1
   * to 1024, ...), so a wrong value stops the command before any work.
   *
   * @throws IllegalArgumentException naming the option
   */
  public static void validate(PipelineOptions options) {
    if (options.getRunner() == PartitionedRunner.class) {
      PartitionedPipelineOptions.validate(options);
    }
  }
}
