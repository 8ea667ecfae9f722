package dev.tripflow.runners.partitioned.shuffle;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/** Writes a compact shuffle's records into chunks. */
final class CompactWriter extends BudgetedWriter {
  /** The most bytes of records a compact chunk takes before the next chunk is started. */
  private static final int CHUNK_BYTES = 1 << 20;

  /** A bucket's first chunk: small, as most buckets of small shuffles stay. */
  private static final int FIRST_CHUNK_BYTES = 1 << 16;

  private final Chunk[] current;
  private final Bytes.Out scratch = new Bytes.Out(256);

  CompactWriter(
      Shuffle shuffle,
      List<Object>[] lists,
      List<java.nio.file.Path>[] taskRuns,
      long[] counted,
      org.apache.beam.sdk.metrics.Counter spilledBytes) {
    super(shuffle, lists, taskRuns, counted, spilledBytes);
    this.current = new Chunk[shuffle.partitions()];
  }

  private final Bytes.Out record = new Bytes.Out(256);

  @Override
  public void accept(WindowedValue<?> v) {
    @SuppressWarnings("unchecked")
    KV<Object, Object> kv = (KV<Object, Object>) v.getValue();
    Object key = kv.getKey();
    int p = shuffle.bucketOf(RowKey.structural(shuffle.keyCoder, key));
    try {
      record.reset();
      scratch.reset();
      shuffle.keyCoder.encode(key, scratch);
      org.apache.beam.sdk.util.VarInt.encode(scratch.size(), record);
      record.write(scratch.array(), 0, scratch.size());
      record.writeLong(v.getTimestamp().getMillis());
      scratch.reset();
      shuffle.valueCoder.encode(kv.getValue(), scratch);
      org.apache.beam.sdk.util.VarInt.encode(scratch.size(), record);
      record.write(scratch.array(), 0, scratch.size());
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot encode a shuffle record with "
              + shuffle.keyCoder
              + " and "
              + shuffle.valueCoder
              + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
          e);
    }
    Chunk c = current[p];
    if (c == null || !c.fits(record.size())) {
      // Chunks are allocated whole and counted at their capacity: the heap holds what the
      // shuffle.budget counts (a chunk grown by doubling held up to twice what it counted).
      int capacity = Math.max(c == null ? FIRST_CHUNK_BYTES : CHUNK_BYTES, record.size());
      c = new Chunk(capacity);
      current[p] = c;
      lists[p].add(c);
      c.bytes.write(record.array(), 0, record.size());
      c.count++;
      held(capacity); // last: it may spill the bucket, this record with it
      return;
    }
    c.bytes.write(record.array(), 0, record.size());
    c.count++;
  }

  @Override
  List<Object> records(int p) throws java.io.IOException {
    return shuffle.decodeChunks(lists[p]);
  }

  @Override
  java.nio.file.Path spillBucket(int p) throws java.io.IOException {
    List<Chunk> chunks = new ArrayList<>();
    lists[p].forEach(o -> chunks.add((Chunk) o));
    return CompactRuns.write(shuffle.budget, chunks);
  }

  @Override
  void spilled(int p) {
    current[p] = null;
  }
}
