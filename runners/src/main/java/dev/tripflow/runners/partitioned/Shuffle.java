package dev.tripflow.runners.partitioned;

import dev.tripflow.spi.FlatAccumulators;
import dev.tripflow.spi.PackedKeys;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The shuffle in front of one step: every producer task writes its elements into one bucket per
 * partition, chosen by the hash of the key's structural value (its encoding where the key's equals
 * is not the coder's); the step's task {@code p} then reads bucket {@code p} of every producer.
 */
final class Shuffle {
  private final int partitions;
  private final Map<Long, List<Object>[]> buckets = new java.util.TreeMap<>();
  // Spilling, for keyed shuffles (GroupByKey, stateful ParDo).
  private Spill.Budget budget;
  private Coder<Object> keyCoder;
  private Coder<WindowedValue<KV<Object, Object>>> elementCoder;
  private final Map<Long, List<java.nio.file.Path>[]> runs = new HashMap<>();

  /** Per producer, the bytes its writer has counted in the budget (written by that writer only). */
  private final Map<Long, long[]> memoryBytes = new HashMap<>();

  /**
   * A shuffle into {@code partitions} buckets. Producers are identified by a number (stage and task
   * of the writer), so several stages may feed one shuffle (a Flatten of inputs from several stages
   * in front of a GroupByKey).
   */
  Shuffle(int partitions) {
    this.partitions = partitions;
  }

  /** The producer id of task {@code task} of stage {@code stage}. */
  static long producer(int stage, int task) {
    return ((long) stage << 32) | task;
  }

  /** Makes this a keyed shuffle that spills sorted runs when the budget is exceeded. */
  Shuffle keyed(
      Spill.Budget budget,
      Coder<Object> keyCoder,
      Coder<WindowedValue<KV<Object, Object>>> elementCoder) {
    this.budget = budget;
    this.keyCoder = keyCoder;
    this.elementCoder = elementCoder;
    return this;
  }

  // A GroupByKey of the global window keeps its records encoded (see compact), with this coder.
  private Coder<Object> valueCoder;

  /**
   * Makes this keyed shuffle keep its records encoded in byte chunks instead of as objects: for a
   * GroupByKey in the global window with the default trigger. A million records held as objects are
   * some fifteen million objects that every young collection of the heap copies until they are
   * tenured (the hourly revenue's join and its single-file write spent seconds there); as chunks of
   * a megabyte they are a few arrays, and the grouping reads values only as they are iterated.
   */
  Shuffle compact(Coder<Object> valueCoder) {
    this.valueCoder = ShuffleCoders.inMemory(valueCoder);
    return this;
  }

  /** Whether this shuffle keeps its records encoded ({@link #compact}). */
  boolean isCompact() {
    return valueCoder != null;
  }

  int partitions() {
    return partitions;
  }

  /**
   * The value a key is grouped and hashed by: the coder's structural value, except for a Row of
   * plain field values (strings, numbers, booleans, java.time values), which is compared by its
   * values directly. (Row's own equals and hashCode convert logical-type fields such as timestamps
   * to their base rows on every call, which would dominate a shuffle keyed by such rows.)
   */
  static Object structural(Coder<Object> keyCoder, Object key) {
    if (key instanceof org.apache.beam.sdk.values.Row row) {
      List<Object> values = row.getValues();
      boolean plain = true;
      for (Object v : values) {
        if (!(v == null
            || v instanceof String
            || v instanceof Long
            || v instanceof Integer
            || v instanceof Short
            || v instanceof Byte
            || v instanceof Double
            || v instanceof Float
            || v instanceof Boolean
            || v instanceof java.math.BigDecimal
            || v instanceof java.time.temporal.Temporal)) {
          plain = false;
          break;
        }
      }
      if (plain) {
        return new RowKey(values);
      }
    }
    return keyCoder.structuralValue(key);
  }

  /**
   * A Row key compared by its field values (all keys of one shuffle share a schema), its hash
   * computed once.
   */
  static final class RowKey {
    private final Object[] values;
    private final int hash;

    RowKey(List<Object> values) {
      this.values = values.toArray();
      long h = 1;
      for (Object v : this.values) {
        h = h * 0x9E3779B97F4A7C15L + valueBits(v);
      }
      // murmur3's 64-bit finaliser: every input bit reaches the 32 bits kept
      h ^= h >>> 33;
      h *= 0xff51afd7ed558ccdL;
      h ^= h >>> 33;
      h *= 0xc4ceb9fe1a85ec53L;
      h ^= h >>> 33;
      this.hash = (int) h;
    }

    /**
     * A value's bits for hashing. Date-times are hashed by their position in time: their own
     * hashCode gives the hours of one year only a few thousand distinct values, so (hour, zone)
     * keys would collide by the hundred thousand and the hash maps of the shuffle would degrade to
     * trees.
     */
    private static long valueBits(Object v) {
      if (v == null) {
        return 0;
      }
      if (v instanceof java.time.LocalDateTime t) {
        return t.toLocalDate().toEpochDay() * 86_400_000_000_000L + t.toLocalTime().toNanoOfDay();
      }
      if (v instanceof java.time.LocalDate d) {
        return d.toEpochDay();
      }
      if (v instanceof Long l) {
        return l;
      }
      return v.hashCode();
    }

    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      if (this == o) {
        return true;
      }
      if (!(o instanceof RowKey other) || other.hash != hash) {
        return false;
      }
      return java.util.Arrays.equals(values, other.values);
    }

    @Override
    public String toString() {
      return java.util.Arrays.toString(values);
    }
  }

  /** The bucket a structural key belongs to. */
  int bucketOf(Object structuralKey) {
    return Math.floorMod(Objects.hashCode(structuralKey), partitions);
  }

  /**
   * The partition of a packed key ({@link PackedKeys}) of a combine whose partials stay flat, for
   * its flat and its object partials alike. Its own mix of the bits, not {@link FlatTable#hash}:
   * keys of one partition would otherwise share the low bits a flat table's slots are chosen by.
   */
  int bucketOfPacked(long packed) {
    long h = packed ^ (packed >>> 33);
    h *= 0xFF51AFD7ED558CCDL;
    h ^= h >>> 33;
    h *= 0xC4CEB9FE1A85EC53L;
    h ^= h >>> 33;
    return Math.floorMod((int) h, partitions);
  }

  /** Producer task {@code task}'s buckets, one list per partition (dropping a failed attempt's). */
  @SuppressWarnings("unchecked")
  synchronized List<Object>[] open(long task) {
    discard(task);
    List<Object>[] lists = new List[partitions];
    for (int i = 0; i < partitions; i++) {
      lists[i] = new ArrayList<>();
    }
    buckets.put(task, lists);
    return lists;
  }

  private synchronized void discard(long task) {
    long[] counted = memoryBytes.remove(task);
    if (budget != null && counted != null && counted[0] != 0) {
      budget.add(-counted[0]);
    }
    List<java.nio.file.Path>[] taskRuns = runs.remove(task);
    if (taskRuns != null) {
      for (List<java.nio.file.Path> files : taskRuns) {
        for (java.nio.file.Path f : files) {
          try {
            java.nio.file.Files.deleteIfExists(f);
          } catch (java.io.IOException e) {
            // removed with the run's spill directory at the end
          }
        }
      }
    }
    buckets.remove(task);
  }

  /** The run files open while a spilled compact shuffle is read. */
  private final CompactRuns.Reading reading = new CompactRuns.Reading();

  /** Runs written when a spilled partition is read (its records still in memory then). */
  private final List<java.nio.file.Path> extraRuns = new ArrayList<>();

  /** Frees the memory and the spill files of every producer, once the shuffle was read. */
  synchronized void release() {
    try {
      reading.close();
      for (java.nio.file.Path f : extraRuns) {
        java.nio.file.Files.deleteIfExists(f);
      }
    } catch (java.io.IOException e) {
      // the files go with the run's spill directory
    }
    extraRuns.clear();
    for (Long t : new ArrayList<>(buckets.keySet())) {
      discard(t);
    }
    for (Long t : new ArrayList<>(runs.keySet())) {
      discard(t);
    }
  }

  /** Every record written to partition {@code p}, producer by producer. */
  List<Object> read(int p) {
    List<Object> all = new ArrayList<>();
    for (List<Object>[] producer : buckets.values()) {
      if (producer != null) {
        all.addAll(producer[p]);
      }
    }
    return all;
  }

  /**
   * Deals a rebalanced collection's elements to a stage's tasks as each asks for the next, so that
   * uneven elements (files of a few thousand rows and of a million) keep every task busy until the
   * end, where a fixed share per partition leaves one task reading alone. A task's attempt first
   * takes again what its failed attempts took, so a retry sees the same elements and none is lost.
   */
  static final class Dealer {
    private final Shuffle shuffle;
    private final java.util.concurrent.atomic.AtomicInteger next =
        new java.util.concurrent.atomic.AtomicInteger();
    private final List<Integer>[] taken;
    private List<Object> all;

    @SuppressWarnings("unchecked")
    Dealer(Shuffle shuffle, int tasks) {
      this.shuffle = shuffle;
      this.taken = new List[tasks];
      for (int t = 0; t < tasks; t++) {
        taken[t] = new ArrayList<>();
      }
    }

    private synchronized List<Object> all() {
      if (all == null) {
        // Partition by partition in turn, one element of each: the order the elements were dealt
        // round-robin in, so that tasks take them in the order they came (files are then put
        // largest first).
        List<List<Object>> parts = new ArrayList<>();
        int longest = 0;
        for (int p = 0; p < shuffle.partitions; p++) {
          List<Object> part = shuffle.read(p);
          parts.add(part);
          longest = Math.max(longest, part.size());
        }
        all = new ArrayList<>();
        for (int i = 0; i < longest; i++) {
          for (List<Object> part : parts) {
            if (i < part.size()) {
              all.add(part.get(i));
            }
          }
        }
        largestFirst(all);
      }
      return all;
    }

    /**
     * Files (the matched files a file read rebalances) are dealt largest first, so that the last
     * ones the tasks take are small and the tasks finish together; a big file taken last would keep
     * one task busy while the others wait. Files of one size go in the order of their paths. Other
     * elements keep their order.
     */
    static void largestFirst(List<Object> elements) {
      List<Sized> sizes = new ArrayList<>();
      for (Object e : elements) {
        Sized s = sizeOf(((WindowedValue<?>) e).getValue());
        if (s == null) {
          return;
        }
        sizes.add(s);
      }
      Integer[] order = new Integer[sizes.size()];
      for (int i = 0; i < order.length; i++) {
        order[i] = i;
      }
      java.util.Arrays.sort(
          order,
          (a, b) -> {
            int bySize = Long.compare(sizes.get(b).bytes(), sizes.get(a).bytes());
            return bySize != 0 ? bySize : sizes.get(a).name().compareTo(sizes.get(b).name());
          });
      List<Object> sorted = new ArrayList<>(elements.size());
      for (Integer i : order) {
        sorted.add(elements.get(i));
      }
      for (int i = 0; i < sorted.size(); i++) {
        elements.set(i, sorted.get(i));
      }
    }

    /** Gives task {@code task} what its earlier attempts took, then elements until none is left. */
    void deal(int task, Operators.Receiver out) {
      List<Object> elements = all();
      List<Integer> mine = taken[task];
      for (int i = 0; i < mine.size(); i++) {
        out.accept((WindowedValue<?>) elements.get(mine.get(i)));
      }
      while (true) {
        int i = next.getAndIncrement();
        if (i >= elements.size()) {
          return;
        }
        mine.add(i);
        out.accept((WindowedValue<?>) elements.get(i));
      }
    }

    /** A piece of work's size and name, which orders pieces of one size. */
    private record Sized(long bytes, String name) {}

    /**
     * The size of the work an element stands for, or null when it does not tell one: a matched
     * file, or an element that tells its size ({@link dev.tripflow.spi.SizedElement}, such as a
     * file's range of row groups).
     */
    private static Sized sizeOf(Object value) {
      if (value instanceof KV<?, ?> kv) {
        value = kv.getValue();
      }
      if (value instanceof org.apache.beam.sdk.io.fs.MatchResult.Metadata m) {
        return new Sized(m.sizeBytes(), m.resourceId().toString());
      }
      if (value instanceof org.apache.beam.sdk.io.FileIO.ReadableFile f) {
        return new Sized(f.getMetadata().sizeBytes(), f.getMetadata().resourceId().toString());
      }
      if (value instanceof dev.tripflow.spi.SizedElement sized) {
        return new Sized(sized.sizeBytes(), String.valueOf(value));
      }
      return null;
    }
  }

  /** An element with its key's structural value, as written for a GroupByKey or stateful step. */
  record Keyed(Object structuralKey, WindowedValue<KV<Object, Object>> value) {}

  /** A key in a window. */
  record KeyWindow(Object structuralKey, BoundedWindow window) {}

  /**
   * A partial aggregate with the timestamp its elements combine to, for timestamp combiners other
   * than the end of the window (where the timestamp follows from the window and is not kept).
   */
  static final class Stamped {
    Object accumulator;
    Instant timestamp;

    Stamped(Object accumulator, Instant timestamp) {
      this.accumulator = accumulator;
      this.timestamp = timestamp;
    }
  }

  /**
   * The partial aggregates one producer wrote to one partition, as parallel arrays: the compared
   * key (the structural key, or a {@link KeyWindow} outside the global window) with its table hash,
   * the caller's key, and the accumulator (or a {@link Stamped} one).
   */
  static final class PartialBatch {
    final int[] hashes;
    final Object[] keys;
    final Object[] originals;
    final Object[] values;
    int size;

    // The same entries encoded instead (keys and accumulators by their coders, one after the
    // other), when the writer can: a fraction of the objects' memory.
    final byte[] encoded;
    // Where entry i's key ends (ends[2i]) and the entry ends (ends[2i + 1]) in encoded; it starts
    // where entry i - 1 ends. The merge compares keys by these bytes, decoding none it need not.
    final int[] ends;

    PartialBatch(int n) {
      hashes = new int[n];
      keys = new Object[n];
      originals = new Object[n];
      values = new Object[n];
      encoded = null;
      ends = null;
      flat = null;
      stride = 0;
    }

    PartialBatch(byte[] encoded, int[] ends, int n) {
      hashes = null;
      keys = null;
      originals = null;
      values = null;
      this.encoded = encoded;
      this.ends = ends;
      size = n;
      flat = null;
      stride = 0;
    }

    // The same entries flat instead ({@link FlatAccumulators} whose CombineFn merges flat): entry i
    // is its packed key at flat[i * stride] and its flat accumulator in the longs after it.
    final long[] flat;
    final int stride;

    PartialBatch(long[] flat, int stride, int n) {
      hashes = null;
      keys = null;
      originals = null;
      values = null;
      encoded = null;
      ends = null;
      this.flat = flat;
      this.stride = stride;
      size = n;
    }

    int start(int i) {
      return i == 0 ? 0 : ends[2 * i - 1];
    }
  }

  /** Writes key-hashed elements of producer task {@code task}, spilling over the budget. */
  Operators.Receiver keyedWriter(long task, org.apache.beam.sdk.metrics.Counter spilledBytes) {
    List<Object>[] lists = open(task);
    @SuppressWarnings("unchecked")
    List<java.nio.file.Path>[] taskRuns = new List[partitions];
    for (int i = 0; i < partitions; i++) {
      taskRuns[i] = new ArrayList<>();
    }
    long[] counted = new long[1];
    synchronized (this) {
      runs.put(task, taskRuns);
      memoryBytes.put(task, counted);
    }
    if (valueCoder != null) {
      return new CompactWriter(lists, taskRuns, counted, spilledBytes);
    }
    return new ObjectWriter(lists, taskRuns, counted, spilledBytes);
  }

  /**
   * A keyed shuffle's writer for one producer: counts what it holds against the budget, in 64 KiB
   * steps, and spills its buckets as sorted runs when the budget is exceeded.
   */
  private abstract class BudgetedWriter implements Operators.Receiver {
    final List<Object>[] lists;
    private final List<java.nio.file.Path>[] taskRuns;
    private final long[] counted;
    private final org.apache.beam.sdk.metrics.Counter spilledBytes;
    private long held;
    private long pending;

    BudgetedWriter(
        List<Object>[] lists,
        List<java.nio.file.Path>[] taskRuns,
        long[] counted,
        org.apache.beam.sdk.metrics.Counter spilledBytes) {
      this.lists = lists;
      this.taskRuns = taskRuns;
      this.counted = counted;
      this.spilledBytes = spilledBytes;
    }

    /** Counts {@code bytes} more held; spills when the shared budget is exceeded. */
    final void held(long bytes) {
      held += bytes;
      pending += bytes;
      // The shared budget is updated in 64 KiB steps, not per element.
      if (pending >= 1 << 16) {
        budget.add(pending);
        counted[0] += pending;
        pending = 0;
        if (budget.over() && held >= Math.min(1 << 20, budget.limitBytes / 8 + 1)) {
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
        entries.add(Spill.entry((Keyed) o, keyCoder));
      }
      entries.sort(Spill.ORDER);
      return Spill.write(budget, entries, elementCoder);
    }

    private void spill() {
      try {
        for (int p = 0; p < partitions; p++) {
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
      budget.add(-counted[0]);
      counted[0] = 0;
      pending = 0;
      held = 0;
    }
  }

  /** Holds a keyed shuffle's elements as objects. */
  private final class ObjectWriter extends BudgetedWriter {
    private long count;
    private long estimate = 64;

    ObjectWriter(
        List<Object>[] lists,
        List<java.nio.file.Path>[] taskRuns,
        long[] counted,
        org.apache.beam.sdk.metrics.Counter spilledBytes) {
      super(lists, taskRuns, counted, spilledBytes);
    }

    @Override
    public void accept(WindowedValue<?> v) {
      @SuppressWarnings("unchecked")
      WindowedValue<KV<Object, Object>> kv = (WindowedValue<KV<Object, Object>>) v;
      Object structural = structural(keyCoder, kv.getValue().getKey());
      lists[bucketOf(structural)].add(new Keyed(structural, kv));
      if ((count++ & 63) == 0) {
        try {
          // Decoded elements take several times their encoding: an (hour, zone) join element of
          // about 45 bytes encoded is about 330 bytes of objects (the record, windowed value, KV,
          // key, union value, row, its values list and boxed values). Counting four times the
          // encoding makes the budget spill before the heap runs out rather than after.
          estimate =
              64
                  + 4L
                      * org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(elementCoder, kv)
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

  /** The key groups of partition {@code p}: from memory, or merged with its spilled runs. */
  KeyGroups keyGroups(int p) throws java.io.IOException {
    List<Object> records = read(p);
    if (valueCoder != null) {
      records = decodeChunks(records);
    }
    List<java.nio.file.Path> files = new ArrayList<>();
    synchronized (this) {
      for (List<java.nio.file.Path>[] taskRuns : runs.values()) {
        files.addAll(taskRuns[p]);
      }
    }
    if (files.isEmpty()) {
      return new KeyGroups(groupByKey(records), List.of());
    }
    List<Spill.Entry> memory = new ArrayList<>(records.size());
    for (Object o : records) {
      memory.add(Spill.entry((Keyed) o, keyCoder));
    }
    memory.sort(Spill.ORDER);
    List<java.util.Iterator<Spill.Entry>> sources = new ArrayList<>();
    sources.add(memory.iterator());
    List<Spill.RunReader> readers = new ArrayList<>();
    for (java.nio.file.Path f : files) {
      Spill.RunReader r = new Spill.RunReader(f, elementCoder);
      readers.add(r);
      sources.add(r);
    }
    return new KeyGroups(Spill.mergeByKey(sources), readers);
  }

  /** The most bytes of records a compact chunk takes before the next chunk is started. */
  private static final int CHUNK_BYTES = 1 << 20;

  /**
   * Encoded records of one bucket of a {@link #compact} shuffle. A record is the key's length (a
   * varint) and the key (key coder), the timestamp's milliseconds (eight bytes), the value's length
   * (a varint) and the value (value coder); the window is the global one. (The key's length lets
   * the grouping find a key's bytes without decoding it.)
   */
  static final class Chunk {
    final Bytes.Out bytes;
    int count;

    /** A chunk of {@code capacity} bytes, allocated at once: it is counted at its capacity. */
    Chunk(int capacity) {
      bytes = new Bytes.Out(capacity);
    }

    boolean fits(int length) {
      return bytes.array().length - bytes.size() >= length;
    }
  }

  /** A bucket's first chunk: small, as most buckets of small shuffles stay. */
  private static final int FIRST_CHUNK_BYTES = 1 << 16;

  /** Writes a compact shuffle's records into chunks. */
  private final class CompactWriter extends BudgetedWriter {
    private final Chunk[] current;
    private final Bytes.Out scratch = new Bytes.Out(256);

    CompactWriter(
        List<Object>[] lists,
        List<java.nio.file.Path>[] taskRuns,
        long[] counted,
        org.apache.beam.sdk.metrics.Counter spilledBytes) {
      super(lists, taskRuns, counted, spilledBytes);
      this.current = new Chunk[partitions];
    }

    private final Bytes.Out record = new Bytes.Out(256);

    @Override
    public void accept(WindowedValue<?> v) {
      @SuppressWarnings("unchecked")
      KV<Object, Object> kv = (KV<Object, Object>) v.getValue();
      Object key = kv.getKey();
      int p = bucketOf(structural(keyCoder, key));
      try {
        record.reset();
        scratch.reset();
        keyCoder.encode(key, scratch);
        org.apache.beam.sdk.util.VarInt.encode(scratch.size(), record);
        record.write(scratch.array(), 0, scratch.size());
        record.writeLong(v.getTimestamp().getMillis());
        scratch.reset();
        valueCoder.encode(kv.getValue(), scratch);
        org.apache.beam.sdk.util.VarInt.encode(scratch.size(), record);
        record.write(scratch.array(), 0, scratch.size());
      } catch (java.io.IOException | RuntimeException e) {
        throw new IllegalStateException(
            "cannot encode a shuffle record with "
                + keyCoder
                + " and "
                + valueCoder
                + ": "
                + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
            e);
      }
      Chunk c = current[p];
      if (c == null || !c.fits(record.size())) {
        // Chunks are allocated whole and counted at their capacity: the heap holds what the
        // budget counts (a chunk grown by doubling held up to twice what it counted).
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
      return decodeChunks(lists[p]);
    }

    @Override
    java.nio.file.Path spillBucket(int p) throws java.io.IOException {
      List<Chunk> chunks = new ArrayList<>();
      lists[p].forEach(o -> chunks.add((Chunk) o));
      return CompactRuns.write(budget, chunks);
    }

    @Override
    void spilled(int p) {
      current[p] = null;
    }
  }

  /** A compact shuffle's chunks as the object writer's records ({@link Keyed}). */
  private List<Object> decodeChunks(List<Object> chunks) throws java.io.IOException {
    List<Object> records = new ArrayList<>();
    for (Object o : chunks) {
      Chunk c = (Chunk) o;
      Bytes.In in = new Bytes.In(c.bytes.array(), 0, c.bytes.size());
      for (int i = 0; i < c.count; i++) {
        org.apache.beam.sdk.util.VarInt.decodeInt(in);
        Object key = keyCoder.decode(in);
        Instant ts = new Instant(in.readLong());
        org.apache.beam.sdk.util.VarInt.decodeInt(in);
        Object value = valueCoder.decode(in);
        records.add(
            new Keyed(
                structural(keyCoder, key),
                WindowedValue.of(
                    KV.of(key, value),
                    ts,
                    org.apache.beam.sdk.transforms.windowing.GlobalWindow.INSTANCE,
                    org.apache.beam.sdk.transforms.windowing.PaneInfo.NO_FIRING)));
      }
    }
    return records;
  }

  /**
   * Groups partition {@code p} of a {@link #compact} shuffle and gives {@code out} each key's group
   * (keys in the order their first records were written); a group's values are decoded from the
   * chunks each time they are iterated. Returns false, doing nothing, when the partition has
   * spilled runs (then {@link #keyGroups} merges them).
   */
  boolean emitGroups(int p, TimestampCombiner combiner, Operators.Receiver out)
      throws java.io.IOException {
    List<java.nio.file.Path> files = new ArrayList<>();
    synchronized (this) {
      for (List<java.nio.file.Path>[] taskRuns : runs.values()) {
        files.addAll(taskRuns[p]);
      }
    }
    if (!files.isEmpty()) {
      // Spilled: what is still in memory becomes one more run, and the groups are read from the
      // runs with a key's values never all in memory.
      List<Chunk> rest = new ArrayList<>();
      read(p).forEach(o -> rest.add((Chunk) o));
      if (!rest.isEmpty()) {
        java.nio.file.Path last = CompactRuns.write(budget, rest);
        synchronized (this) {
          extraRuns.add(last);
        }
        files.add(last);
      }
      CompactRuns.emitGroups(files, reading, keyCoder, valueCoder, combiner, out);
      return true;
    }
    List<Object> list = read(p);
    Chunk[] chunks = list.toArray(new Chunk[0]);
    int n = 0;
    for (Chunk c : chunks) {
      n += c.count;
    }
    // Record i: in chunks[chunkOf[i]], its key from start[i] to keyEnd[i], its value from
    // offset[i]; next[i] is its key's next record, or -1. Keys are found by their bytes, and
    // decoded to objects only as their groups are given out.
    int[] chunkOf = new int[n];
    int[] start = new int[n];
    int[] keyEnd = new int[n];
    int[] offset = new int[n];
    int[] next = new int[n];
    // Per group, at its first record: its last record, and its elements' combined timestamp.
    int[] tail = new int[n];
    boolean[] first = new boolean[n];
    boolean endOfWindow = combiner == TimestampCombiner.END_OF_WINDOW;
    long[] timestamps = endOfWindow ? null : new long[n];
    ByteKeys keys = new ByteKeys(n);
    BoundedWindow global = org.apache.beam.sdk.transforms.windowing.GlobalWindow.INSTANCE;
    int id = 0;
    for (int ci = 0; ci < chunks.length; ci++) {
      Chunk c = chunks[ci];
      byte[] bytes = c.bytes.array();
      Bytes.In in = new Bytes.In(bytes, 0, c.bytes.size());
      for (int i = 0; i < c.count; i++, id++) {
        int keyLength = org.apache.beam.sdk.util.VarInt.decodeInt(in);
        int from = in.position();
        in.skip(keyLength);
        int to = from + keyLength;
        long ts = in.readLong();
        int length = org.apache.beam.sdk.util.VarInt.decodeInt(in);
        chunkOf[id] = ci;
        start[id] = from;
        keyEnd[id] = to;
        offset[id] = in.position();
        next[id] = -1;
        in.skip(length);
        int head = keys.firstOf(id, bytes, from, to);
        if (head < 0) {
          first[id] = true;
          tail[id] = id;
          if (!endOfWindow) {
            timestamps[id] = combiner.assign(global, new Instant(ts)).getMillis();
          }
        } else {
          next[tail[head]] = id;
          tail[head] = id;
          if (!endOfWindow) {
            timestamps[head] =
                combiner
                    .combine(
                        new Instant(timestamps[head]), combiner.assign(global, new Instant(ts)))
                    .getMillis();
          }
        }
      }
    }
    keys = null;
    tail = null;
    Instant endOfGlobal = global.maxTimestamp();
    for (int r = 0; r < n; r++) {
      if (!first[r]) {
        continue;
      }
      Chunk c = chunks[chunkOf[r]];
      Object key = keyCoder.decode(new Bytes.In(c.bytes.array(), start[r], keyEnd[r]));
      Iterable<Object> values = new GroupValues(valueCoder, chunks, chunkOf, offset, next, r);
      out.accept(
          WindowedValue.of(
              KV.of(key, values),
              endOfWindow ? endOfGlobal : new Instant(timestamps[r]),
              global,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    return true;
  }

  /** A key's values in a compact partition, decoded as they are iterated (any number of times). */
  private static final class GroupValues implements Iterable<Object> {
    private final Coder<Object> coder;
    private final Chunk[] chunks;
    private final int[] chunkOf;
    private final int[] offset;
    private final int[] next;
    private final int head;

    GroupValues(
        Coder<Object> coder, Chunk[] chunks, int[] chunkOf, int[] offset, int[] next, int head) {
      this.coder = coder;
      this.chunks = chunks;
      this.chunkOf = chunkOf;
      this.offset = offset;
      this.next = next;
      this.head = head;
    }

    @Override
    public java.util.Iterator<Object> iterator() {
      return new java.util.Iterator<>() {
        private int at = head;

        @Override
        public boolean hasNext() {
          return at >= 0;
        }

        @Override
        public Object next() {
          if (at < 0) {
            throw new java.util.NoSuchElementException();
          }
          Chunk c = chunks[chunkOf[at]];
          Bytes.In in = new Bytes.In(c.bytes.array(), offset[at], c.bytes.size());
          at = next[at];
          try {
            return coder.decode(in);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException("cannot decode a shuffle record", e);
          }
        }
      };
    }

    @Override
    public String toString() {
      StringBuilder b = new StringBuilder("[");
      for (Object v : this) {
        b.append(b.length() > 1 ? ", " : "").append(v);
      }
      return b.append(']').toString();
    }
  }

  /** One partition's elements, a key at a time. */
  static final class KeyGroups implements AutoCloseable {
    final java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups;
    private final List<Spill.RunReader> readers;

    KeyGroups(
        java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups,
        List<Spill.RunReader> readers) {
      this.groups = groups;
      this.readers = readers;
    }

    @Override
    public void close() throws java.io.IOException {
      for (Spill.RunReader r : readers) {
        r.close();
      }
    }
  }

  /**
   * Pre-aggregates a lifted Combine within the task, one accumulator per key (and window) in a
   * {@link KeyTable}; {@link #flush} writes them to the shuffle, one {@link PartialBatch} per
   * partition.
   */
  static final class CombiningWriter implements Operators.Receiver {
    /**
     * The keys a task pre-aggregates before it writes them out. Keys arriving in random order hit a
     * table of millions of slots at random; a bounded one keeps the keys of the data's current
     * stretch (about a month of hours and zones) in the processor's caches: the hourly revenue at
     * the real volume took 0.87 times as long with 2^18 keys as without a bound, and 1.16 times as
     * long with 2^16 as with 2^18 (-Dtripflow.combineKeys=N sets it).
     */
    static int maxKeys = Integer.getInteger("tripflow.combineKeys", 1 << 18);

    /**
     * Whether keys that pack into longs pre-aggregate unboxed when the CombineFn allows it ({@code
     * -Dtripflow.flatCombine=false}: as objects, to compare).
     */
    static final boolean FLAT =
        Boolean.parseBoolean(System.getProperty("tripflow.flatCombine", "true"));

    /**
     * Whether unboxed partials stay flat up to the merge when the CombineFn merges flat ({@code
     * -Dtripflow.flatPartials=false}: encoded as accumulators, to compare).
     */
    static final boolean FLAT_PARTIALS =
        Boolean.parseBoolean(System.getProperty("tripflow.flatPartials", "true"));

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

    CombiningWriter(
        Shuffle shuffle,
        long task,
        Coder<Object> keyCoder,
        Combine.CombineFn<Object, Object, Object> fn,
        Coder<Object> accumulatorCoder,
        TimestampCombiner timestampCombiner,
        org.apache.beam.sdk.metrics.MetricsContainer metrics) {
      this.shuffle = shuffle;
      this.metrics = new CurrentMetrics(metrics);
      this.task = task;
      this.keyCoder = keyCoder;
      this.fn = fn;
      this.accumulatorCoder = accumulatorCoder;
      this.timestampCombiner = timestampCombiner;
      this.stamped = timestampCombiner != TimestampCombiner.END_OF_WINDOW;
      boolean unboxed =
          FLAT
              && keyCoder instanceof PackedKeys
              && fn instanceof FlatAccumulators
              && accumulatorCoder != null
              && !stamped;
      this.packer = unboxed ? (PackedKeys<Object>) keyCoder : null;
      this.flatFn = unboxed ? (FlatAccumulators<Object, Object>) fn : null;
      this.flat = unboxed ? new FlatTable(flatFn.flatWidth()) : null;
      this.flatPartials = unboxed && FLAT_PARTIALS && flatFn.mergesFlat();
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
      Object structural = structural(keyCoder, key);
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
     * before any is updated, so that their cache misses overlap (one element after another, each
     * waits for its own; the hourly revenue's yellow stage spent half its time there).
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
          Object mapKey = structural(keyCoder, kv.getKey());
          add(v, kv, GlobalWindow.INSTANCE, mapKey, KeyTable.hash(mapKey));
          continue;
        }
        long[] slab = flat.slab();
        int offset = flat.offset(slot);
        if (!flatFn.addFlat(slab, offset, kv.getValue())) {
          // The flat state cannot hold this input: the key goes on as an object from here.
          Object mapKey = structural(keyCoder, kv.getKey());
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
    void flush() {
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
     * task, and whenever the table reaches {@link #maxKeys} keys (the merge combines a key's
     * partials from several flushes as it does those of several tasks).
     */
    private void writeOut() {
      if (lists == null) {
        lists = shuffle.open(task);
      }
      if (flat != null && flat.size() > 0) {
        flushFlat();
      }
      int[] counts = new int[shuffle.partitions];
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
      PartialBatch[] batches = new PartialBatch[shuffle.partitions];
      for (int p = 0; p < batches.length; p++) {
        if (counts[p] > 0) {
          batches[p] = new PartialBatch(counts[p]);
          lists[p].add(batches[p]);
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
     * packs (it was boxed here, and may be flat in another task's table), else by its structural
     * key.
     */
    private int bucketOf(int s) {
      Object mapKey = table.keyAt(s);
      if (flatPartials && !(mapKey instanceof KeyWindow)) {
        long packed = packer.pack(table.originalAt(s));
        if (packed != PackedKeys.NOT_PACKED) {
          return shuffle.bucketOfPacked(packed);
        }
      }
      return shuffle.bucketOf(structuralOf(mapKey));
    }

    /**
     * Writes the flat table's partials (those not boxed) as they are, a packed key and its flat
     * accumulator per entry, an array of longs per partition; or encoded where the CombineFn does
     * not merge flat.
     */
    private void flushFlat() {
      if (!flatPartials) {
        flushFlatEncoded();
        return;
      }
      int stride = flat.width() + 1;
      int[] counts = new int[shuffle.partitions];
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
        }
      }
      flat.clear();
    }

    /**
     * Writes the flat table's partials (those not boxed) encoded, as {@link #flushEncoded} writes
     * the object table's: a key is made from its packed form, an accumulator from its flat one,
     * both only here.
     */
    private void flushFlatEncoded() {
      int[] counts = new int[shuffle.partitions];
      int[] buckets = new int[flat.capacity()];
      Object[] keys = new Object[flat.capacity()];
      for (int s = 0; s < flat.capacity(); s++) {
        if (flat.used(s) && !flat.boxed(s)) {
          keys[s] = packer.unpack(flat.keyAt(s));
          buckets[s] = shuffle.bucketOf(structural(keyCoder, keys[s]));
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
            lists[p].add(new PartialBatch(outs[p].toArray(), ends[p], counts[p]));
          }
        }
      }
    }
  }

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

  private static Object structuralOf(Object mapKey) {
    return mapKey instanceof KeyWindow kw ? kw.structuralKey() : mapKey;
  }

  /**
   * Merges the partial aggregates written to one partition and gives each key's (and window's)
   * output to {@code out}.
   */
  static void mergePartials(
      List<Object> batches,
      Coder<Object> keyCoder,
      Coder<Object> accumulatorCoder,
      Combine.CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner,
      Operators.Receiver out) {
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
      Operators.Receiver out) {
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
  private static void emitGlobal(Operators.Receiver out, Object key, Object output) {
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
      Operators.Receiver out) {
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
        Object structural = structural(keyCoder, key);
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

  /** The one window every element is in, or null when they are in several. */
  private static BoundedWindow singleWindow(List<WindowedValue<KV<Object, Object>>> elements) {
    BoundedWindow only = null;
    for (WindowedValue<KV<Object, Object>> wv : elements) {
      java.util.Collection<? extends BoundedWindow> windows = wv.getWindows();
      if (windows.size() != 1) {
        return null;
      }
      BoundedWindow w = windows.iterator().next();
      if (only == null) {
        only = w;
      } else if (!only.equals(w)) {
        return null;
      }
    }
    return only;
  }

  /** Groups one key's elements by window (non-merging windows, default trigger). */
  static List<WindowedValue<KV<Object, Iterable<Object>>>> groupByWindow(
      Object key, List<WindowedValue<KV<Object, Object>>> elements, TimestampCombiner combiner) {
    final class Group {
      final BoundedWindow window;
      final List<Object> values = new ArrayList<>();
      Instant timestamp;

      Group(BoundedWindow window) {
        this.window = window;
      }
    }
    BoundedWindow only = singleWindow(elements);
    if (only != null) {
      List<Object> values = new ArrayList<>(elements.size());
      Instant timestamp = null;
      for (WindowedValue<KV<Object, Object>> wv : elements) {
        values.add(wv.getValue().getValue());
        Instant ts = combiner.assign(only, wv.getTimestamp());
        timestamp = timestamp == null ? ts : combiner.combine(timestamp, ts);
      }
      return List.of(
          WindowedValue.of(
              KV.of(key, Collections.unmodifiableList(values)),
              timestamp,
              only,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    Map<BoundedWindow, Group> groups = new java.util.LinkedHashMap<>();
    for (WindowedValue<KV<Object, Object>> wv : elements) {
      for (BoundedWindow window : wv.getWindows()) {
        Group g = groups.computeIfAbsent(window, Group::new);
        g.values.add(wv.getValue().getValue());
        Instant ts = combiner.assign(window, wv.getTimestamp());
        g.timestamp = g.timestamp == null ? ts : combiner.combine(g.timestamp, ts);
      }
    }
    List<WindowedValue<KV<Object, Iterable<Object>>>> out = new ArrayList<>(groups.size());
    for (Group g : groups.values()) {
      out.add(
          WindowedValue.of(
              KV.of(key, Collections.unmodifiableList(g.values)),
              g.timestamp,
              g.window,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    return out;
  }

  /**
   * Groups one partition's elements by key only, keeping each key's elements in arrival order; the
   * keys come in the order of a {@link KeyTable}'s slots.
   */
  @SuppressWarnings("unchecked")
  static java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groupByKey(
      List<Object> records) {
    KeyTable table = new KeyTable(records.size() / 4);
    for (Object r : records) {
      Keyed k = (Keyed) r;
      Object structural = k.structuralKey();
      int slot = table.slot(structural, KeyTable.hash(structural));
      if (slot < 0) {
        slot = -slot - 1;
        table.setOriginal(slot, k.value().getValue().getKey());
        table.setValue(slot, k.value());
      } else {
        Object held = table.valueAt(slot);
        if (held instanceof ArrayList<?> list) {
          ((ArrayList<Object>) list).add(k.value());
        } else {
          ArrayList<Object> list = new ArrayList<>(4);
          list.add(held);
          list.add(k.value());
          table.setValue(slot, list);
        }
      }
    }
    return new java.util.Iterator<>() {
      private int next = advance(0);

      private int advance(int from) {
        int s = from;
        while (s < table.capacity() && !table.used(s)) {
          s++;
        }
        return s;
      }

      @Override
      public boolean hasNext() {
        return next < table.capacity();
      }

      @Override
      public KV<Object, List<WindowedValue<KV<Object, Object>>>> next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        int s = next;
        next = advance(s + 1);
        Object held = table.valueAt(s);
        table.setValue(s, null);
        List<WindowedValue<KV<Object, Object>>> values =
            held instanceof ArrayList<?> list
                ? (List<WindowedValue<KV<Object, Object>>>) list
                : List.of((WindowedValue<KV<Object, Object>>) held);
        return KV.of(table.originalAt(s), values);
      }
    };
  }
}
