package dev.tripflow.runners.partitioned.shuffle;

import org.apache.beam.sdk.util.WindowedValue;

/**
 * Takes the elements of one collection in one task: a fused operator, a shuffle's writer, or the
 * first operator of a stage a shuffle's read gives its groups to.
 */
public interface Receiver {
  void accept(WindowedValue<?> value);
}
