package dev.tripflow.runners.partitioned.shuffle;

import dev.tripflow.spi.PackedKeys;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The shuffle in front of one step: every producer task writes its elements into one bucket per
 * partition, chosen by the hash of the key's structural value (its encoding where the key's equals
 * is not the coder's); the step's task {@code p} then reads bucket {@code p} of every producer.
 */
public final class Shuffle {
  private final int partitions;
  private final Map<Long, List<Object>[]> buckets = new java.util.TreeMap<>();
  // Spilling, for keyed shuffles (GroupByKey, stateful ParDo).
  Spill.Budget budget;
  Coder<Object> keyCoder;
  Coder<WindowedValue<KV<Object, Object>>> elementCoder;
  private final Map<Long, List<java.nio.file.Path>[]> runs = new HashMap<>();

  /** Per producer, the bytes its writer has counted in the budget (written by that writer only). */
  private final Map<Long, long[]> memoryBytes = new HashMap<>();

  /**
   * A shuffle into {@code partitions} buckets. Producers are identified by a number (stage and task
   * of the writer), so several stages may feed one shuffle (a Flatten of inputs from several stages
   * in front of a GroupByKey).
   */
  public Shuffle(int partitions) {
    this.partitions = partitions;
  }

  /** The producer id of task {@code task} of stage {@code stage}. */
  public static long producer(int stage, int task) {
    return ((long) stage << 32) | task;
  }

  /** Makes this a keyed shuffle that spills sorted runs when the budget is exceeded. */
  public Shuffle keyed(
      Spill.Budget budget,
      Coder<Object> keyCoder,
      Coder<WindowedValue<KV<Object, Object>>> elementCoder) {
    this.budget = budget;
    this.keyCoder = keyCoder;
    this.elementCoder = elementCoder;
    return this;
  }

  // A GroupByKey of the global window keeps its records encoded (see compact), with this coder.
  Coder<Object> valueCoder;

  /**
   * Makes this keyed shuffle keep its records encoded in byte chunks instead of as objects (for a
   * GroupByKey in the global window with the default trigger), so the collector copies a few arrays
   * instead of millions of objects and values are decoded only as the grouping iterates them.
   */
  public Shuffle compact(Coder<Object> valueCoder) {
    this.valueCoder = ShuffleCoders.inMemory(valueCoder);
    return this;
  }

  /** Whether this shuffle keeps its records encoded ({@link #compact}). */
  public boolean isCompact() {
    return valueCoder != null;
  }

  public int partitions() {
    return partitions;
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

  /** Elements written whole per producer (a reshuffle's), in the order of the producers. */
  private final Map<Long, ElementBuffer> elementBuffers = new java.util.TreeMap<>();

  /**
   * Producer task {@code task}'s buffer of elements (dropping a failed attempt's), for a shuffle
   * whose reader takes every element, whatever its partition: a reshuffle's.
   */
  public synchronized ElementBuffer openBuffer(
      long task, Spill.Budget budget, Coder<WindowedValue<?>> coder, String name) {
    discard(task);
    ElementBuffer buffer = new ElementBuffer(budget, coder, name);
    elementBuffers.put(task, buffer);
    return buffer;
  }

  /** The element buffers written, in the order of their producers. */
  public synchronized List<ElementBuffer> buffers() {
    return new ArrayList<>(elementBuffers.values());
  }

  /**
   * Makes what this shuffle holds count against {@code budget} (a combine's partials: held until
   * the merge, not spilled, but counted so that the buffers that can spill do so earlier).
   */
  public Shuffle budgeted(Spill.Budget budget) {
    this.budget = budget;
    return this;
  }

  /**
   * Counts {@code bytes} more held for producer {@code task} in the budget, if there is one; over
   * it, writes the producer's encoded and flat partials to disk. Returns the bytes written. Called
   * by the producer's own thread, the only one that changes its buckets.
   */
  long held(long task, long bytes) {
    if (budget == null) {
      return 0;
    }
    long[] counted;
    synchronized (this) {
      counted = memoryBytes.computeIfAbsent(task, t -> new long[1]);
      counted[0] += bytes;
    }
    budget.add(bytes);
    if (!budget.over() || counted[0] < Math.min(1 << 20, budget.limitBytes / 8 + 1)) {
      return 0;
    }
    List<Object>[] lists;
    synchronized (this) {
      lists = buckets.get(task);
    }
    long freed = 0;
    try {
      java.nio.file.Path file = budget.newFile();
      synchronized (this) {
        partialFiles.computeIfAbsent(task, t -> new ArrayList<>()).add(file);
      }
      try (java.io.DataOutputStream out =
          new java.io.DataOutputStream(
              new java.io.BufferedOutputStream(
                  java.nio.file.Files.newOutputStream(file), 1 << 16))) {
        for (List<Object> bucket : lists) {
          for (int i = 0; i < bucket.size(); i++) {
            if (bucket.get(i) instanceof PartialBatch b && SpilledBatch.spillable(b)) {
              bucket.set(i, SpilledBatch.write(b, out, file, out.size()));
              freed += SpilledBatch.bytes(b);
            }
          }
        }
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot spill a combine's partials to disk", e);
    }
    synchronized (this) {
      counted[0] -= freed;
    }
    budget.add(-freed);
    return freed;
  }

  /** Per producer, the files its spilled partials are in. */
  private final Map<Long, List<java.nio.file.Path>> partialFiles = new HashMap<>();

  /** Producer task {@code task}'s buckets, one list per partition (dropping a failed attempt's). */
  @SuppressWarnings("unchecked")
  public synchronized List<Object>[] open(long task) {
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
    for (java.nio.file.Path f : partialFiles.getOrDefault(task, List.of())) {
      try {
        java.nio.file.Files.deleteIfExists(f);
      } catch (java.io.IOException e) {
        // removed with the run's spill directory at the end
      }
    }
    partialFiles.remove(task);
    ElementBuffer buffer = elementBuffers.remove(task);
    if (buffer != null) {
      buffer.release();
    }
  }

  /** The run files open while a spilled compact shuffle is read. */
  private final CompactRuns.Reading reading = new CompactRuns.Reading();

  /** Runs written when a spilled partition is read (its records still in memory then). */
  private final List<java.nio.file.Path> extraRuns = new ArrayList<>();

  /** Frees the memory and the spill files of every producer, once the shuffle was read. */
  public synchronized void release() {
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
    for (Long t : new ArrayList<>(elementBuffers.keySet())) {
      discard(t);
    }
  }

  /** Every record written to partition {@code p}, producer by producer. */
  public List<Object> read(int p) {
    List<Object> all = new ArrayList<>();
    for (List<Object>[] producer : buckets.values()) {
      if (producer != null) {
        for (Object o : producer[p]) {
          all.add(o instanceof SpilledBatch s ? s.load() : o);
        }
      }
    }
    return all;
  }

  /** Writes key-hashed elements of producer task {@code task}, spilling over the budget. */
  public Receiver keyedWriter(long task, org.apache.beam.sdk.metrics.Counter spilledBytes) {
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
      return new CompactWriter(this, lists, taskRuns, counted, spilledBytes);
    }
    return new ObjectWriter(this, lists, taskRuns, counted, spilledBytes);
  }

  /** The key groups of partition {@code p}: from memory, or merged with its spilled runs. */
  public KeyGroups keyGroups(int p) throws java.io.IOException {
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
      return new KeyGroups(WindowGroups.groupByKey(records), List.of());
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

  /** A compact shuffle's chunks as the object writer's records ({@link Keyed}). */
  List<Object> decodeChunks(List<Object> chunks) throws java.io.IOException {
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
                RowKey.structural(keyCoder, key),
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
  public boolean emitGroups(int p, TimestampCombiner combiner, Receiver out)
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
}
