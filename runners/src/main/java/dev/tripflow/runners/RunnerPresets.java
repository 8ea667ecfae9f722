package dev.tripflow.runners;

import dev.tripflow.runners.partitioned.PartitionedPipelineOptions;
import dev.tripflow.runners.partitioned.PartitionedRunner;
import java.util.Set;
import org.apache.beam.runners.direct.DirectOptions;
import org.apache.beam.runners.direct.DirectRunner;
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
   * Applies the batch presets of the selected runner. {@code explicitOptions} holds the option
   * names the user gave on the command line; those are never overridden.
   *
   * <p>PartitionedRunner: its options' ranges are checked ({@code --partitions} 1 to 1024), so a
   * wrong value stops the command before any work.
   *
   * <p>DirectRunner: the immutability and encodability checks, which copy and encode every element
   * for testing purposes, are turned off for production runs.
   */
  public static void apply(PipelineOptions options, Set<String> explicitOptions) {
    if (options.getRunner() == PartitionedRunner.class) {
      PartitionedPipelineOptions.validate(options);
    }
    if (options.getRunner() == DirectRunner.class) {
      DirectOptions direct = options.as(DirectOptions.class);
      if (!explicitOptions.contains("enforceImmutability")) {
        direct.setEnforceImmutability(false);
      }
      if (!explicitOptions.contains("enforceEncodability")) {
        direct.setEnforceEncodability(false);
      }
    }
  }
}
