package dev.tripflow.runners.partitioned;

import java.util.List;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.apache.beam.sdk.runners.PipelineRunnerRegistrar;

/** Registers the {@link PartitionedRunner} so {@code --runner=PartitionedRunner} selects it. */
public final class PartitionedRunnerRegistrar {
  private PartitionedRunnerRegistrar() {}

  /** The runner. */
  public static final class Runner implements PipelineRunnerRegistrar {
    @Override
    public Iterable<Class<? extends PipelineRunner<?>>> getPipelineRunners() {
      return List.of(PartitionedRunner.class);
    }
  }

  /** Its options, and {@code --verbose}, which every runner's progress reads. */
  public static final class Options implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(PartitionedPipelineOptions.class, ProgressOptions.class);
    }
  }
}
