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

  @Description(
      "Attempts of a partition task that throws, like spark.task.maxFailures: the task is run again"
          + " from its inputs until it succeeds or this many attempts failed")
  @Default.Integer(4)
  int getMaxTaskAttempts();

  void setMaxTaskAttempts(int value);

  @Description(
      "Memory for shuffle buffers, in MiB, above which a GroupByKey or stateful shuffle spills"
          + " sorted runs to disk; 0 means 40% of the maximum heap")
  @Default.Integer(0)
  int getShuffleMemoryMb();

  void setShuffleMemoryMb(int value);

  @Description("Directory for shuffle spill files (default: java.io.tmpdir); removed after the run")
  String getSpillDirectory();

  void setSpillDirectory(String value);

  @Description(
      "Keys a lifted Combine.perKey pre-aggregates in each task before it writes their partials to"
          + " the shuffle and starts again: a table that fits the processor's caches is faster than"
          + " one of every key (1 to 16777216)")
  @Default.Integer(1 << 18)
  int getPreAggregationKeys();

  void setPreAggregationKeys(int value);

  @Description(
      "Print the physical plan to standard error before running: stages in the order they run,"
          + " the steps fused into each, what each reads (a source, a shuffle and its exchange,"
          + " materialized collections) and where its outputs go")
  @Default.Boolean(false)
  boolean getExplain();

  void setExplain(boolean value);

  /** The most partitions a run may have: each is a thread and a bucket of every shuffle. */
  int MAX_PARTITIONS = 1024;

  /**
   * Checks the options' ranges, before any work.
   *
   * @throws IllegalArgumentException one line naming the option and its range
   */
  static void validate(PipelineOptions options) {
    PartitionedPipelineOptions o = options.as(PartitionedPipelineOptions.class);
    if (o.getPartitions() < 0 || o.getPartitions() > MAX_PARTITIONS) {
      throw new IllegalArgumentException(
          "--partitions="
              + o.getPartitions()
              + ": expected 1 to "
              + MAX_PARTITIONS
              + " (or 0 for the number of cores)");
    }
    if (o.getMaxTaskAttempts() < 1 || o.getMaxTaskAttempts() > 100) {
      throw new IllegalArgumentException(
          "--maxTaskAttempts=" + o.getMaxTaskAttempts() + ": expected 1 to 100");
    }
    if (o.getPreAggregationKeys() < 1 || o.getPreAggregationKeys() > (1 << 24)) {
      throw new IllegalArgumentException(
          "--preAggregationKeys=" + o.getPreAggregationKeys() + ": expected 1 to 16777216");
    }
    if (o.getShuffleMemoryMb() < 0) {
      throw new IllegalArgumentException(
          "--shuffleMemoryMb="
              + o.getShuffleMemoryMb()
              + ": expected a size in MiB (or 0 for 40% of the heap)");
    }
  }

  /** The effective number of partitions: the option, or the number of cores when it is 0. */
  static int effectivePartitions(PipelineOptions options) {
    validate(options);
    int n = options.as(PartitionedPipelineOptions.class).getPartitions();
    return n == 0 ? Runtime.getRuntime().availableProcessors() : n;
  }
}
