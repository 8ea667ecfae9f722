package dev.tripflow.runners.partitioned.shuffle;

import java.util.List;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/** Holds a keyed shuffle's elements as objects. */
final class ObjectWriter extends BudgetedWriter {
  private long count;
  private long estimate = 64;

  ObjectWriter(
      Shuffle shuffle,
      List<Object>[] lists,
      List<java.nio.file.Path>[] taskRuns,
      long[] counted,
      org.apache.beam.sdk.metrics.Counter spilledBytes) {
    super(shuffle, lists, taskRuns, counted, spilledBytes);
  }

  @Override
  public void accept(WindowedValue<?> v) {
    @SuppressWarnings("unchecked")
    WindowedValue<KV<Object, Object>> kv = (WindowedValue<KV<Object, Object>>) v;
    Object structural = RowKey.structural(shuffle.keyCoder, kv.getValue().getKey());
    lists[shuffle.bucketOf(structural)].add(new Keyed(structural, kv));
    if ((count++ & 63) == 0) {
      try {
        // Decoded elements take several times their encoding: an (hour, zone) join element of
        // about 45 bytes encoded is about 330 bytes of objects (the record, windowed value, KV,
        // key, union value, row, its values list and boxed values). Counting four times the
        // encoding makes the shuffle.budget spill before the heap runs out rather than after.
        estimate =
            64
                + 4L
                    * org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(
                            shuffle.elementCoder, kv)
                        .length;
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }
    held(estimate);
  }

  @Override
  List<Object> records(int p) {
    return lists[p];
  }
}
