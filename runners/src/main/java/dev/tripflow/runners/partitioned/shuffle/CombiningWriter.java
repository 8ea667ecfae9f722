package dev.tripflow.runners.partitioned.shuffle;

import dev.tripflow.spi.FlatAccumulators;
import dev.tripflow.spi.PackedKeys;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/**
 * Pre-aggregates a lifted Combine within the task, one accumulator per key (and window) in a {@link
 * KeyTable}; {@link #flush} writes them to the shuffle, one {@link PartialBatch} per partition.
 */
public final class CombiningWriter implements Receiver {
  /**
   * The keys a task pre-aggregates before it writes them out (--preAggregationKeys). Keys arriving
   * in random order hit a table of millions of slots at random; a bounded one keeps the keys of the
   * data's current stretch in the processor's caches (docs/benchmarks.md has the measurements).
   */
  private final int maxKeys;

  // What this writer's partials spilled to disk.
  private final org.apache.beam.sdk.metrics.Counter spilledBytes;

  private final Shuffle shuffle;
  private final long task;
  private final Coder<Object> keyCoder;
  private final Combine.CombineFn<Object, Object, Object> fn;
  private final TimestampCombiner timestampCombiner;
  private final boolean stamped;
  // The accumulators' coder, or null: partials are then written as objects, not encoded.
  private final Coder<Object> accumulatorCoder;
  // Whether an element outside the global window was seen (its partials are written as objects).
  private boolean windowed;
  // Keyed by the structural key alone in the global window, else by key and window.
  private final KeyTable table = new KeyTable();
  private List<Object>[] lists;
  // Elements of the global window held back to be added to the table together (see drain).
  private static final int BATCH = 256;
  private final WindowedValue<?>[] pendingValues = new WindowedValue<?>[BATCH];
  private final Object[] pendingKeys = new Object[BATCH];
  private final int[] pendingHashes = new int[BATCH];
  private int pending;
  // What the reads ahead returned, kept so that they are not optimised away.
  long touched;
  // The step's metrics container, current while the CombineFn runs: set per batch of elements,
  // not per element (two thread-local accesses per element were a twentieth of a read's time).
  private final CurrentMetrics metrics;
  // Unboxed pre-aggregation, when the key coder packs keys into longs and the CombineFn has flat
  // accumulators (and partials are encoded, in the global window): keys that pack, with their
  // state, in one array of longs; null otherwise. Elements of a key whose flat state could not
  // hold an input go on in the object table.
  private final PackedKeys<Object> packer;
  private final FlatAccumulators<Object, Object> flatFn;
  private final FlatTable flat;
  // Whether the partials stay flat up to the merge (the CombineFn merges flat accumulators): they
  // are then written as their longs, and packed keys are partitioned by bucketOfPacked.
  private final boolean flatPartials;
  private final WindowedValue<?>[] flatValues;
  private final long[] flatKeys;
  private final int[] flatHashes;
  private int pendingFlat;

  /**
   * The pre-aggregation of producer {@code task} into {@code shuffle}: up to {@code maxKeys} keys
   * held, partials encoded with {@code accumulatorCoder} when it is not null.
   */
  public CombiningWriter(
      Shuffle shuffle,
      long task,
      int maxKeys,
      Coder<Object> keyCoder,
      Combine.CombineFn<Object, Object, Object> fn,
      Coder<Object> accumulatorCoder,
      TimestampCombiner timestampCombiner,
      org.apache.beam.sdk.metrics.MetricsContainer metrics,
      org.apache.beam.sdk.metrics.Counter spilledBytes) {
    this.shuffle = shuffle;
    this.spilledBytes = spilledBytes;
    this.maxKeys = maxKeys;
    this.metrics = new CurrentMetrics(metrics);
    this.task = task;
    this.keyCoder = keyCoder;
    this.fn = fn;
    this.accumulatorCoder = accumulatorCoder;
    this.timestampCombiner = timestampCombiner;
    this.stamped = timestampCombiner != TimestampCombiner.END_OF_WINDOW;
    boolean unboxed =
        keyCoder instanceof PackedKeys
            && fn instanceof FlatAccumulators
            && accumulatorCoder != null
            && !stamped;
    this.packer = unboxed ? (PackedKeys<Object>) keyCoder : null;
    this.flatFn = unboxed ? (FlatAccumulators<Object, Object>) fn : null;
    this.flat = unboxed ? new FlatTable(flatFn.flatWidth()) : null;
    this.flatPartials = unboxed && flatFn.mergesFlat();
    this.flatValues = unboxed ? new WindowedValue<?>[BATCH] : null;
    this.flatKeys = unboxed ? new long[BATCH] : null;
    this.flatHashes = unboxed ? new int[BATCH] : null;
  }

  @Override
  public void accept(WindowedValue<?> v) {
    @SuppressWarnings("unchecked")
    KV<Object, Object> kv = (KV<Object, Object>) v.getValue();
    Object key = kv.getKey();
    boolean global =
        v.getWindows().size() == 1
            && v.getWindows().iterator().next()
                instanceof org.apache.beam.sdk.transforms.windowing.GlobalWindow;
    if (global && packer != null) {
      long packed = packer.pack(key);
      if (packed != PackedKeys.NOT_PACKED) {
        int i = pendingFlat++;
        flatValues[i] = v;
        flatKeys[i] = packed;
        flatHashes[i] = FlatTable.hash(packed);
        if (pendingFlat == BATCH) {
          drain();
        }
        return;
      }
    }
    Object structural = RowKey.structural(keyCoder, key);
    if (global) {
      int i = pending++;
      pendingValues[i] = v;
      pendingKeys[i] = structural;
      pendingHashes[i] = KeyTable.hash(structural);
      if (pending == BATCH) {
        drain();
      }
      return;
    }
    for (BoundedWindow window : v.getWindows()) {
      Object mapKey =
          window instanceof org.apache.beam.sdk.transforms.windowing.GlobalWindow
              ? structural
              : new KeyWindow(structural, window);
      windowed |= mapKey != structural;
      org.apache.beam.sdk.metrics.MetricsContainer previous = metrics.enter();
      try {
        add(v, kv, window, mapKey, KeyTable.hash(mapKey));
      } finally {
        metrics.exit(previous);
      }
    }
  }

  /**
   * Adds the elements held back to the table: first reading the slots they hash to, all of them
   * before any is updated, so that their cache misses overlap instead of each waiting for its own.
   */
  private void drain() {
    org.apache.beam.sdk.metrics.MetricsContainer previous = metrics.enter();
    try {
      addPending();
      if (flat != null) {
        addPendingFlat();
      }
    } finally {
      metrics.exit(previous);
    }
  }

  /** {@link #addPending} for the elements of packed keys, into the flat table. */
  private void addPendingFlat() {
    int n = pendingFlat;
    long touched = 0;
    for (int i = 0; i < n; i++) {
      touched += flat.touch(flatHashes[i]);
    }
    this.touched += touched;
    pendingFlat = 0;
    for (int i = 0; i < n; i++) {
      WindowedValue<?> v = flatValues[i];
      flatValues[i] = null;
      @SuppressWarnings("unchecked")
      KV<Object, Object> kv = (KV<Object, Object>) v.getValue();
      int slot = flat.slot(flatKeys[i], flatHashes[i]);
      if (flat.boxed(slot)) {
        Object mapKey = RowKey.structural(keyCoder, kv.getKey());
        add(v, kv, GlobalWindow.INSTANCE, mapKey, KeyTable.hash(mapKey));
        continue;
      }
      long[] slab = flat.slab();
      int offset = flat.offset(slot);
      if (!flatFn.addFlat(slab, offset, kv.getValue())) {
        // The flat state cannot hold this input: the key goes on as an object from here.
        Object mapKey = RowKey.structural(keyCoder, kv.getKey());
        int hash = KeyTable.hash(mapKey);
        int objectSlot = -table.slot(mapKey, hash) - 1;
        table.setOriginal(objectSlot, kv.getKey());
        table.setValue(objectSlot, flatFn.fromFlat(slab, offset));
        flat.box(slot);
        add(v, kv, GlobalWindow.INSTANCE, mapKey, hash);
      }
      if (flat.size() + table.size() >= maxKeys) {
        writeOut();
      }
    }
  }

  private void addPending() {
    int n = pending;
    int touched = 0;
    for (int i = 0; i < n; i++) {
      touched += table.touch(pendingHashes[i]);
    }
    this.touched += touched;
    pending = 0;
    for (int i = 0; i < n; i++) {
      WindowedValue<?> v = pendingValues[i];
      pendingValues[i] = null;
      Object mapKey = pendingKeys[i];
      pendingKeys[i] = null;
      @SuppressWarnings("unchecked")
      KV<Object, Object> kv = (KV<Object, Object>) v.getValue();
      add(
          v,
          kv,
          org.apache.beam.sdk.transforms.windowing.GlobalWindow.INSTANCE,
          mapKey,
          pendingHashes[i]);
    }
  }

  private void add(
      WindowedValue<?> v, KV<Object, Object> kv, BoundedWindow window, Object mapKey, int hash) {
    int slot = table.slot(mapKey, hash);
    if (slot < 0) {
      slot = -slot - 1;
      table.setOriginal(slot, kv.getKey());
      Object acc = fn.addInput(fn.createAccumulator(), kv.getValue());
      table.setValue(
          slot,
          stamped ? new Stamped(acc, timestampCombiner.assign(window, v.getTimestamp())) : acc);
      if (table.size() >= maxKeys) {
        writeOut();
      }
    } else if (stamped) {
      Stamped s = (Stamped) table.valueAt(slot);
      s.accumulator = fn.addInput(s.accumulator, kv.getValue());
      s.timestamp =
          timestampCombiner.combine(
              s.timestamp, timestampCombiner.assign(window, v.getTimestamp()));
    } else {
      table.setValue(slot, fn.addInput(table.valueAt(slot), kv.getValue()));
    }
  }

  /** Adds the elements held back and writes every partial aggregate out: the end of a task. */
  public void flush() {
    drain();
    org.apache.beam.sdk.metrics.MetricsContainer previous = metrics.enter();
    try {
      writeOut();
    } finally {
      metrics.exit(previous);
    }
  }

  /**
   * Writes the partial aggregates held to the shuffle and empties the table: at the end of the
   * task, and whenever the table reaches {@link #maxKeys} keys (the merge combines a key's partials
   * from several flushes as it does those of several tasks).
   */
  private void writeOut() {
    if (lists == null) {
      lists = shuffle.open(task);
    }
    if (flat != null && flat.size() > 0) {
      flushFlat();
    }
    int[] counts = new int[shuffle.partitions()];
    int[] buckets = new int[table.capacity()];
    for (int s = 0; s < table.capacity(); s++) {
      if (table.used(s)) {
        buckets[s] = bucketOf(s);
        counts[buckets[s]]++;
      }
    }
    if (table.size() == 0) {
      return;
    }
    if (accumulatorCoder != null && !stamped && !windowed) {
      flushEncoded(counts, buckets);
      return;
    }
    PartialBatch[] batches = new PartialBatch[shuffle.partitions()];
    for (int p = 0; p < batches.length; p++) {
      if (counts[p] > 0) {
        batches[p] = new PartialBatch(counts[p]);
        lists[p].add(batches[p]);
        spilledBytes.inc(shuffle.held(task, 64 + 160L * counts[p]));
      }
    }
    for (int s = 0; s < table.capacity(); s++) {
      if (table.used(s)) {
        PartialBatch b = batches[buckets[s]];
        int i = b.size++;
        b.hashes[i] = table.hashAt(s);
        b.keys[i] = table.keyAt(s);
        b.originals[i] = table.originalAt(s);
        b.values[i] = table.valueAt(s);
      }
    }
    table.clear();
  }

  /**
   * The partition of the object table's slot {@code s}: where the flat partials go for a key that
   * packs (it was boxed here, and may be flat in another task's table), else by its structural key.
   */
  private int bucketOf(int s) {
    Object mapKey = table.keyAt(s);
    if (flatPartials && !(mapKey instanceof KeyWindow)) {
      long packed = packer.pack(table.originalAt(s));
      if (packed != PackedKeys.NOT_PACKED) {
        return shuffle.bucketOfPacked(packed);
      }
    }
    return shuffle.bucketOf(KeyWindow.structuralOf(mapKey));
  }

  /**
   * Writes the flat table's partials (those not boxed) as they are, a packed key and its flat
   * accumulator per entry, an array of longs per partition; or encoded where the CombineFn does not
   * merge flat.
   */
  private void flushFlat() {
    if (!flatPartials) {
      flushFlatEncoded();
      return;
    }
    int stride = flat.width() + 1;
    int[] counts = new int[shuffle.partitions()];
    int[] buckets = new int[flat.capacity()];
    for (int s = 0; s < flat.capacity(); s++) {
      if (flat.used(s) && !flat.boxed(s)) {
        buckets[s] = shuffle.bucketOfPacked(flat.keyAt(s));
        counts[buckets[s]]++;
      }
    }
    long[][] outs = new long[counts.length][];
    int[] written = new int[counts.length];
    for (int p = 0; p < counts.length; p++) {
      if (counts[p] > 0) {
        outs[p] = new long[counts[p] * stride];
      }
    }
    long[] slab = flat.slab();
    for (int s = 0; s < flat.capacity(); s++) {
      if (flat.used(s) && !flat.boxed(s)) {
        int p = buckets[s];
        System.arraycopy(slab, flat.offset(s) - 1, outs[p], written[p]++ * stride, stride);
      }
    }
    for (int p = 0; p < counts.length; p++) {
      if (counts[p] > 0) {
        lists[p].add(new PartialBatch(outs[p], stride, counts[p]));
        spilledBytes.inc(shuffle.held(task, 64 + 8L * outs[p].length));
      }
    }
    flat.clear();
  }

  /**
   * Writes the flat table's partials (those not boxed) encoded, as {@link #flushEncoded} writes the
   * object table's: a key is made from its packed form, an accumulator from its flat one, both only
   * here.
   */
  private void flushFlatEncoded() {
    int[] counts = new int[shuffle.partitions()];
    int[] buckets = new int[flat.capacity()];
    Object[] keys = new Object[flat.capacity()];
    for (int s = 0; s < flat.capacity(); s++) {
      if (flat.used(s) && !flat.boxed(s)) {
        keys[s] = packer.unpack(flat.keyAt(s));
        buckets[s] = shuffle.bucketOf(RowKey.structural(keyCoder, keys[s]));
        counts[buckets[s]]++;
      }
    }
    EncodedBatches batches = new EncodedBatches(counts);
    long[] slab = flat.slab();
    for (int s = 0; s < flat.capacity(); s++) {
      if (keys[s] != null) {
        batches.put(buckets[s], keys[s], flatFn.fromFlat(slab, flat.offset(s)));
      }
    }
    batches.addTo(lists);
    flat.clear();
  }

  /** Writes the partials of the global window encoded, one array per partition. */
  private void flushEncoded(int[] counts, int[] buckets) {
    EncodedBatches batches = new EncodedBatches(counts);
    for (int s = 0; s < table.capacity(); s++) {
      if (table.used(s)) {
        batches.put(buckets[s], table.originalAt(s), table.valueAt(s));
      }
    }
    batches.addTo(lists);
    table.clear();
  }

  /** One flush's partials encoded by the key and accumulator coders, an array per partition. */
  private final class EncodedBatches {
    private final int[] counts;
    private final Bytes.Out[] outs;
    // Per partition and partial: where its key ends, where its accumulator ends.
    private final int[][] ends;
    private final int[] written;

    EncodedBatches(int[] counts) {
      this.counts = counts;
      outs = new Bytes.Out[counts.length];
      ends = new int[counts.length][];
      written = new int[counts.length];
      for (int p = 0; p < counts.length; p++) {
        if (counts[p] > 0) {
          outs[p] = new Bytes.Out(counts[p] * 32);
          ends[p] = new int[2 * counts[p]];
        }
      }
    }

    void put(int p, Object key, Object accumulator) {
      Bytes.Out out = outs[p];
      int i = written[p]++;
      try {
        keyCoder.encode(key, out);
        ends[p][2 * i] = out.size();
        accumulatorCoder.encode(accumulator, out);
        ends[p][2 * i + 1] = out.size();
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException("cannot encode a partial aggregate", e);
      }
    }

    void addTo(List<Object>[] lists) {
      for (int p = 0; p < outs.length; p++) {
        if (outs[p] != null) {
          byte[] encoded = outs[p].toArray();
          lists[p].add(new PartialBatch(encoded, ends[p], counts[p]));
          spilledBytes.inc(shuffle.held(task, 64 + encoded.length + 4L * ends[p].length));
        }
      }
    }
  }
}
