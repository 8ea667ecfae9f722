package dev.tripflow.runners.partitioned.shuffle;

import dev.tripflow.spi.FlatAccumulators;
import dev.tripflow.spi.PackedKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The merge side of a lifted Combine: a partition's partial aggregates (objects, encoded or flat)
 * merged per key (and window) into each key's output.
 */
public final class PartialMerge {
  private PartialMerge() {}

  /**
   * Merges two accumulators. The written partials stay as they are (a retried task reads them
   * again, and a CombineFn may merge into its first argument), so the first merge of a key starts
   * from a fresh accumulator; later merges of that key reuse the result.
   */
  private static Object mergeInto(
      Combine.CombineFn<Object, Object, Object> fn, boolean owned, Object mine, Object theirs) {
    return owned
        ? fn.mergeAccumulators(java.util.Arrays.asList(mine, theirs))
        : fn.mergeAccumulators(java.util.Arrays.asList(fn.createAccumulator(), mine, theirs));
  }

  /**
   * Merges the partial aggregates written to one partition and gives each key's (and window's)
   * output to {@code out}.
   */
  public static void mergePartials(
      List<Object> batches,
      Coder<Object> keyCoder,
      Coder<Object> accumulatorCoder,
      Combine.CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      Receiver out) {
    int total = 0;
    int flatBatches = 0;
    for (Object o : batches) {
      total += ((PartialBatch) o).size;
      flatBatches += ((PartialBatch) o).flat != null ? 1 : 0;
    }
    if (flatBatches > 0 && flatBatches == batches.size()) {
      mergeFlat(batches, total, keyCoder, fn, out);
      return;
    }
    if (flatBatches > 0) {
      // Some key was boxed in some task: the flat partials are encoded like the boxed key's, and
      // all are merged by their keys' bytes (a packed key's bytes are its key's).
      batches = encodeFlat(batches, keyCoder, accumulatorCoder, fn);
    }
    boolean allEncoded = true;
    for (Object o : batches) {
      allEncoded &= ((PartialBatch) o).encoded != null;
    }
    boolean stamped = timestampCombiner != TimestampCombiner.END_OF_WINDOW;
    if (allEncoded && !stamped) {
      mergeEncodedBytes(batches, total, keyCoder, accumulatorCoder, fn, out);
      return;
    }
    KeyTable table = new KeyTable(total);
    for (Object o : batches) {
      PartialBatch b = (PartialBatch) o;
      if (b.encoded != null) {
        mergeEncoded(b, keyCoder, accumulatorCoder, fn, table);
        continue;
      }
      for (int i = 0; i < b.size; i++) {
        int slot = table.slot(b.keys[i], b.hashes[i]);
        if (slot < 0) {
          slot = -slot - 1;
          table.setOriginal(slot, b.originals[i]);
          table.setValue(slot, b.values[i]);
        } else if (stamped) {
          Stamped mine = (Stamped) table.valueAt(slot);
          Stamped theirs = (Stamped) b.values[i];
          Object merged = mergeInto(fn, table.owned(slot), mine.accumulator, theirs.accumulator);
          table.setValue(
              slot,
              new Stamped(merged, timestampCombiner.combine(mine.timestamp, theirs.timestamp)));
          table.own(slot);
        } else {
          table.setValue(slot, mergeInto(fn, table.owned(slot), table.valueAt(slot), b.values[i]));
          table.own(slot);
        }
      }
    }
    for (int s = 0; s < table.capacity(); s++) {
      if (!table.used(s)) {
        continue;
      }
      Object mapKey = table.keyAt(s);
      BoundedWindow window =
          mapKey instanceof KeyWindow kw
              ? kw.window()
              : org.apache.beam.sdk.transforms.windowing.GlobalWindow.INSTANCE;
      Object value = table.valueAt(s);
      Object acc = stamped ? ((Stamped) value).accumulator : value;
      Instant ts = stamped ? ((Stamped) value).timestamp : window.maxTimestamp();
      out.accept(
          WindowedValue.of(
              KV.of(table.originalAt(s), fn.extractOutput(acc)),
              ts,
              window,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
      // Let the merged state go as the outputs are made.
      table.setValue(s, null);
    }
  }

  /** The batches with each flat one encoded by the key and accumulator coders. */
  @SuppressWarnings("unchecked")
  private static List<Object> encodeFlat(
      List<Object> batches,
      Coder<Object> keyCoder,
      Coder<Object> accumulatorCoder,
      Combine.CombineFn<Object, Object, Object> fn) {
    PackedKeys<Object> packer = (PackedKeys<Object>) keyCoder;
    FlatAccumulators<Object, Object> flatFn = (FlatAccumulators<Object, Object>) fn;
    List<Object> encoded = new ArrayList<>(batches.size());
    for (Object o : batches) {
      PartialBatch b = (PartialBatch) o;
      if (b.flat == null) {
        encoded.add(b);
        continue;
      }
      Bytes.Out out = new Bytes.Out(b.size * 32);
      int[] ends = new int[2 * b.size];
      try {
        for (int i = 0; i < b.size; i++) {
          int at = i * b.stride;
          keyCoder.encode(packer.unpack(b.flat[at]), out);
          ends[2 * i] = out.size();
          accumulatorCoder.encode(flatFn.fromFlat(b.flat, at + 1), out);
          ends[2 * i + 1] = out.size();
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot encode a partial aggregate", e);
      }
      encoded.add(new PartialBatch(out.toArray(), ends, b.size));
    }
    return encoded;
  }

  /** Sub-buckets of a flat merge hold about this many partials, or fewer (at most 4096 of them). */
  static final int FLAT_MERGE_RUN = 8192;

  /**
   * Merges flat partials (global window, end-of-window timestamps) without making an object per
   * partial: the partials are first sorted into sub-buckets by the top bits of their keys' hashes,
   * then each sub-bucket is merged in a flat table small enough to stay in the processor's caches
   * (one table of all keys is a cache miss per partial; on two cores at once, more than one), its
   * keys' outputs given, and the table emptied for the next. A key whose flat merge is refused goes
   * on as the CombineFn's accumulator.
   */
  @SuppressWarnings("unchecked")
  private static void mergeFlat(
      List<Object> list,
      int total,
      Coder<Object> keyCoder,
      Combine.CombineFn<Object, Object, Object> fn,
      Receiver out) {
    PackedKeys<Object> packer = (PackedKeys<Object>) keyCoder;
    FlatAccumulators<Object, Object> flatFn = (FlatAccumulators<Object, Object>) fn;
    PartialBatch[] batches = list.toArray(new PartialBatch[0]);
    int stride = batches[0].stride;
    int bits = 0;
    while (bits < 12 && (total >>> bits) > FLAT_MERGE_RUN) {
      bits++;
    }
    int shift = 32 - bits;
    // Counting sort of (batch, entry) references by sub-bucket, stable: a sub-bucket reads its
    // batches front to back.
    int[] starts = new int[(1 << bits) + 1];
    for (PartialBatch b : batches) {
      for (int i = 0; i < b.size; i++) {
        starts[subBucket(b.flat[i * stride], shift) + 1]++;
      }
    }
    for (int r = 0; r < (1 << bits); r++) {
      starts[r + 1] += starts[r];
    }
    long[] refs = new long[total];
    int[] fill = java.util.Arrays.copyOf(starts, 1 << bits);
    for (int bi = 0; bi < batches.length; bi++) {
      long[] f = batches[bi].flat;
      for (int i = 0; i < batches[bi].size; i++) {
        refs[fill[subBucket(f[i * stride], shift)]++] = ((long) bi << 32) | i;
      }
    }
    FlatTable table = new FlatTable(stride - 1);
    Map<Long, Object> boxed = new HashMap<>();
    for (int r = 0; r < (1 << bits); r++) {
      for (int j = starts[r]; j < starts[r + 1]; j++) {
        PartialBatch b = batches[(int) (refs[j] >>> 32)];
        int at = (int) refs[j] * stride;
        long key = b.flat[at];
        int slot = table.slot(key, FlatTable.hash(key));
        if (table.boxed(slot)) {
          Object acc = boxed.get(key);
          boxed.put(
              key,
              fn.mergeAccumulators(java.util.Arrays.asList(acc, flatFn.fromFlat(b.flat, at + 1))));
        } else if (!flatFn.mergeFlat(table.slab(), table.offset(slot), b.flat, at + 1)) {
          boxed.put(
              key,
              fn.mergeAccumulators(
                  java.util.Arrays.asList(
                      flatFn.fromFlat(table.slab(), table.offset(slot)),
                      flatFn.fromFlat(b.flat, at + 1))));
          table.box(slot);
        }
      }
      for (int s = 0; s < table.capacity(); s++) {
        if (!table.used(s)) {
          continue;
        }
        long key = table.keyAt(s);
        Object acc =
            table.boxed(s) ? boxed.get(key) : flatFn.fromFlat(table.slab(), table.offset(s));
        emitGlobal(out, packer.unpack(key), fn.extractOutput(acc));
      }
      if (table.size() > 0) {
        table.clear();
        boxed.clear();
      }
    }
  }

  /** Gives a merged key's output in the global window: at its end, its only pane. */
  private static void emitGlobal(Receiver out, Object key, Object output) {
    out.accept(
        WindowedValue.of(
            KV.of(key, output),
            GlobalWindow.INSTANCE.maxTimestamp(),
            GlobalWindow.INSTANCE,
            org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
  }

  private static int subBucket(long packed, int shift) {
    return shift == 32 ? 0 : FlatTable.hash(packed) >>> shift;
  }

  /**
   * Merges encoded partials (global window, end-of-window timestamps) by their keys' bytes ({@link
   * ByteKeys}); a key and its accumulators are decoded only as its output is made: with a million
   * keys, decoding them all into a table first kept a million keys and accumulators alive at once.
   */
  private static void mergeEncodedBytes(
      List<Object> list,
      int total,
      Coder<Object> keyCoder,
      Coder<Object> accumulatorCoder,
      Combine.CombineFn<Object, Object, Object> fn,
      Receiver out) {
    PartialBatch[] batches = list.toArray(new PartialBatch[0]);
    // Entry e is entry e - base[b] of batch b, for the last b with base[b] <= e.
    int[] base = new int[batches.length];
    int[] batchOf = new int[total];
    // The next entry of the same key, -1 at the last; -2 marks an entry that is not its key's
    // first (outputs are made at first entries, read in the order they were written).
    int[] next = new int[total];
    ByteKeys keys = new ByteKeys(total);
    int e = 0;
    for (int b = 0; b < batches.length; b++) {
      PartialBatch batch = batches[b];
      base[b] = e;
      for (int i = 0; i < batch.size; i++, e++) {
        batchOf[e] = b;
        int head = keys.firstOf(e, batch.encoded, batch.start(i), batch.ends[2 * i]);
        if (head < 0) {
          next[e] = -1;
        } else {
          // After the key's first entry; chained ones are marked -2 by the walk below.
          next[e] = next[head];
          next[head] = e;
        }
      }
    }
    keys = null;
    try {
      // Entries in the order they were written (the batches' bytes read front to back); a key's
      // later entries follow its first one's chain and are marked -2 as they are merged.
      int first = 0;
      for (PartialBatch batch : batches) {
        Bytes.In in = new Bytes.In(batch.encoded);
        for (int i = 0; i < batch.size; i++, first++) {
          if (next[first] == -2) {
            in.skip(batch.ends[2 * i + 1] - batch.start(i));
            continue;
          }
          Object key = keyCoder.decode(in);
          Object acc = accumulatorCoder.decode(in);
          if (next[first] >= 0) {
            // Decoded accumulators are the merge's own: the CombineFn may merge into the first.
            List<Object> accs = new ArrayList<>();
            accs.add(acc);
            for (int o = next[first]; o >= 0; ) {
              PartialBatch ob = batches[batchOf[o]];
              int oi = o - base[batchOf[o]];
              accs.add(
                  accumulatorCoder.decode(
                      new Bytes.In(ob.encoded, ob.ends[2 * oi], ob.ends[2 * oi + 1])));
              int after = next[o];
              next[o] = -2;
              o = after;
            }
            acc = fn.mergeAccumulators(accs);
          }
          emitGlobal(out, key, fn.extractOutput(acc));
        }
      }
    } catch (java.io.IOException ex) {
      throw new java.io.UncheckedIOException("cannot decode a partial aggregate", ex);
    }
  }

  /** Merges an encoded batch's partials (global window, end-of-window timestamps) into a table. */
  private static void mergeEncoded(
      PartialBatch b,
      Coder<Object> keyCoder,
      Coder<Object> accumulatorCoder,
      Combine.CombineFn<Object, Object, Object> fn,
      KeyTable table) {
    Bytes.In in = new Bytes.In(b.encoded);
    try {
      for (int i = 0; i < b.size; i++) {
        Object key = keyCoder.decode(in);
        // A decoded accumulator is the merge's own: it may be merged into.
        Object acc = accumulatorCoder.decode(in);
        Object structural = RowKey.structural(keyCoder, key);
        int slot = table.slot(structural, KeyTable.hash(structural));
        if (slot < 0) {
          slot = -slot - 1;
          table.setOriginal(slot, key);
          table.setValue(slot, acc);
        } else {
          table.setValue(slot, mergeInto(fn, table.owned(slot), table.valueAt(slot), acc));
        }
        table.own(slot);
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot decode a partial aggregate", e);
    }
  }
}
