package dev.tripflow.runners.partitioned;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/** Options of the {@link PartitionedRunner}. */
public interface PartitionedPipelineOptions extends PipelineOptions {
  @Description(
      "Partitions per stage and threads of the PartitionedRunner, like Spark's local[N];"
          + " 0 means the number of cores")
  @Default.Integer(0)
  int getPartitions();

  void setPartitions(int value);

  /** The effective number of partitions: the option, or the number of cores when it is 0. */
  static int effectivePartitions(PipelineOptions options) {
    int n = options.as(PartitionedPipelineOptions.class).getPartitions();
    if (n < 0) {
      throw new IllegalArgumentException("--partitions must be >= 0, not " + n);
    }
    return n == 0 ? Runtime.getRuntime().availableProcessors() : n;
  }
}
