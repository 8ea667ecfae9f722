package dev.tripflow.runners.partitioned;

import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.joda.time.Duration;

/** The result of a finished {@link PartitionedRunner} run: its state and its metrics. */
public final class PartitionedPipelineResult implements PipelineResult {
  private final State state;
  private final MetricsContainerStepMap metrics;
  private final long tasksCpuNanos;

  PartitionedPipelineResult(State state, MetricsContainerStepMap metrics, long tasksCpuNanos) {
    this.state = state;
    this.metrics = metrics;
    this.tasksCpuNanos = tasksCpuNanos;
  }

  /**
   * The CPU time the run's tasks used, every attempt of each counted: with the process's own CPU
   * time it tells how much went to the JIT compilers, the collector and start-up instead.
   */
  public Duration tasksCpuTime() {
    return Duration.millis(tasksCpuNanos / 1_000_000);
  }

  @Override
  public State getState() {
    return state;
  }

  @Override
  public State cancel() {
    return state;
  }

  @Override
  public State waitUntilFinish(Duration duration) {
    return state;
  }

  @Override
  public State waitUntilFinish() {
    return state;
  }

  @Override
  public MetricResults metrics() {
    return MetricsContainerStepMap.asMetricResults(metrics, metrics);
  }
}
