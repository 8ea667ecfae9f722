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

  @Description(
      "Serve a live web UI of the run on 127.0.0.1 (stage graph, partitions, timeline, metrics,"
          + " options); false turns it off")
  @Default.InstanceFactory(UiDefaults.Enabled.class)
  boolean getUi();

  void setUi(boolean value);

  @Description("Port of the web UI; when it is taken, the next free one (0: any free port)")
  @Default.Integer(4040)
  int getUiPort();

  void setUiPort(int value);

  @Description(
      "Seconds the web UI stays up after the run ends (0: it stops with the run; tripflow history"
          + " serves the run afterwards)")
  @Default.Integer(0)
  int getUiWaitSeconds();

  void setUiWaitSeconds(int value);

  @Description(
      "Directory of the runs' event logs (JSON lines, one file per run), which tripflow history"
          + " serves; default ~/.tripflow/history; none writes no event log")
  @Default.InstanceFactory(UiDefaults.EventLogDir.class)
  String getEventLogDir();

  void setEventLogDir(String value);

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
    if (o.getUiPort() < 0 || o.getUiPort() > 65535) {
      throw new IllegalArgumentException(
          "--uiPort="
              + o.getUiPort()
              + ": expected a port from 1 to 65535 (or 0 for any free one)");
    }
    if (o.getUiWaitSeconds() < 0) {
      throw new IllegalArgumentException(
          "--uiWaitSeconds=" + o.getUiWaitSeconds() + ": expected 0 or more seconds");
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
