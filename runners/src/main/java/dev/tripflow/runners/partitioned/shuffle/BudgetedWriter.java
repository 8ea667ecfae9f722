package dev.tripflow.runners.partitioned.shuffle;

import java.util.ArrayList;
import java.util.List;

/**
 * A keyed shuffle's writer for one producer: counts what it holds against the shuffle.budget, in 64
 * KiB steps, and spills its buckets as sorted runs when the shuffle.budget is exceeded.
 */
abstract class BudgetedWriter implements Receiver {
  final Shuffle shuffle;
  final List<Object>[] lists;
  private final List<java.nio.file.Path>[] taskRuns;
  private final long[] counted;
  private final org.apache.beam.sdk.metrics.Counter spilledBytes;
  private long held;
  private long pending;

  BudgetedWriter(
      Shuffle shuffle,
      List<Object>[] lists,
      List<java.nio.file.Path>[] taskRuns,
      long[] counted,
      org.apache.beam.sdk.metrics.Counter spilledBytes) {
    this.shuffle = shuffle;
    this.lists = lists;
    this.taskRuns = taskRuns;
    this.counted = counted;
    this.spilledBytes = spilledBytes;
  }

  /** Counts {@code bytes} more held; spills when the shared shuffle.budget is exceeded. */
  final void held(long bytes) {
    held += bytes;
    pending += bytes;
    // The shared shuffle.budget is updated in 64 KiB steps, not per element.
    if (pending >= 1 << 16) {
      shuffle.budget.add(pending);
      counted[0] += pending;
      pending = 0;
      if (shuffle.budget.over() && held >= Math.min(1 << 20, shuffle.budget.limitBytes / 8 + 1)) {
        spill();
      }
    }
  }

  /** Bucket {@code p}'s records as {@link Keyed} elements. */
  abstract List<Object> records(int p) throws java.io.IOException;

  /** Called once bucket {@code p} was spilled and emptied. */
  void spilled(int p) {}

  /** Writes bucket {@code p} to disk as one sorted run; returns its file. */
  java.nio.file.Path spillBucket(int p) throws java.io.IOException {
    List<Object> records = records(p);
    List<Spill.Entry> entries = new ArrayList<>(records.size());
    for (Object o : records) {
      entries.add(Spill.entry((Keyed) o, shuffle.keyCoder));
    }
    entries.sort(Spill.ORDER);
    return Spill.write(shuffle.budget, entries, shuffle.elementCoder);
  }

  private void spill() {
    try {
      for (int p = 0; p < shuffle.partitions(); p++) {
        if (lists[p].isEmpty()) {
          continue;
        }
        taskRuns[p].add(spillBucket(p));
        lists[p].clear();
        spilled(p);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot spill the shuffle to disk", e);
    }
    spilledBytes.inc(held);
    shuffle.budget.add(-counted[0]);
    counted[0] = 0;
    pending = 0;
    held = 0;
  }
}
