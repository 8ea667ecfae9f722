package dev.tripflow.runners.partitioned.shuffle;

import org.joda.time.Instant;

/**
 * A partial aggregate with the timestamp its elements combine to, for timestamp combiners other
 * than the end of the window (where the timestamp follows from the window and is not kept).
 */
final class Stamped {
  Object accumulator;
  Instant timestamp;

  Stamped(Object accumulator, Instant timestamp) {
    this.accumulator = accumulator;
    this.timestamp = timestamp;
  }
}
