package dev.tripflow.runners.partitioned;

import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.Combine;
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
final class Shuffle {
  private final int partitions;
  private final List<Object>[][] buckets;

  @SuppressWarnings("unchecked")
  Shuffle(int producerTasks, int partitions) {
    this.partitions = partitions;
    this.buckets = new List[producerTasks][];
  }

  int partitions() {
    return partitions;
  }

  /** The bucket a structural key belongs to. */
  int bucketOf(Object structuralKey) {
    return Math.floorMod(Objects.hashCode(structuralKey), partitions);
  }

  /** Producer task {@code task}'s buckets, one list per partition. */
  @SuppressWarnings("unchecked")
  List<Object>[] open(int task) {
    List<Object>[] lists = new List[partitions];
    for (int i = 0; i < partitions; i++) {
      lists[i] = new ArrayList<>();
    }
    buckets[task] = lists;
    return lists;
  }

  /** Every record written to partition {@code p}, producer by producer. */
  List<Object> read(int p) {
    List<Object> all = new ArrayList<>();
    for (List<Object>[] producer : buckets) {
      if (producer != null) {
        all.addAll(producer[p]);
      }
    }
    return all;
  }

  /** An element with its key's structural value, as written for a GroupByKey or stateful step. */
  record Keyed(Object structuralKey, WindowedValue<KV<Object, Object>> value) {}

  /** A key in a window. */
  record KeyWindow(Object structuralKey, BoundedWindow window) {}

  /** A partial aggregate of a lifted Combine, per key and window. */
  static final class Partial {
    final Object key;
    final BoundedWindow window;
    Object accumulator;
    Instant timestamp;

    Partial(Object key, BoundedWindow window, Object accumulator, Instant timestamp) {
      this.key = key;
      this.window = window;
      this.accumulator = accumulator;
      this.timestamp = timestamp;
    }
  }

  /** Writes key-hashed elements. */
  static Operators.Receiver keyedWriter(Shuffle shuffle, int task, Coder<Object> keyCoder) {
    List<Object>[] lists = shuffle.open(task);
    return v -> {
      @SuppressWarnings("unchecked")
      WindowedValue<KV<Object, Object>> kv = (WindowedValue<KV<Object, Object>>) v;
      Object structural = keyCoder.structuralValue(kv.getValue().getKey());
      lists[shuffle.bucketOf(structural)].add(new Keyed(structural, kv));
    };
  }

  /** Pre-aggregates a lifted Combine within the task; {@link #flush} writes the partials. */
  static final class CombiningWriter implements Operators.Receiver {
    private final Shuffle shuffle;
    private final int task;
    private final Coder<Object> keyCoder;
    private final Combine.CombineFn<Object, Object, Object> fn;
    private final TimestampCombiner timestampCombiner;
    private final Map<KeyWindow, Partial> partials = new HashMap<>();

    CombiningWriter(
        Shuffle shuffle,
        int task,
        Coder<Object> keyCoder,
        Combine.CombineFn<Object, Object, Object> fn,
        TimestampCombiner timestampCombiner) {
      this.shuffle = shuffle;
      this.task = task;
      this.keyCoder = keyCoder;
      this.fn = fn;
      this.timestampCombiner = timestampCombiner;
    }

    @Override
    public void accept(WindowedValue<?> v) {
      @SuppressWarnings("unchecked")
      KV<Object, Object> kv = (KV<Object, Object>) v.getValue();
      Object structural = keyCoder.structuralValue(kv.getKey());
      for (BoundedWindow window : v.getWindows()) {
        KeyWindow kw = new KeyWindow(structural, window);
        Instant ts = timestampCombiner.assign(window, v.getTimestamp());
        Partial p = partials.get(kw);
        if (p == null) {
          p = new Partial(kv.getKey(), window, fn.createAccumulator(), ts);
          partials.put(kw, p);
        } else {
          p.timestamp = timestampCombiner.combine(p.timestamp, ts);
        }
        p.accumulator = fn.addInput(p.accumulator, kv.getValue());
      }
    }

    void flush() {
      List<Object>[] lists = shuffle.open(task);
      for (Map.Entry<KeyWindow, Partial> e : partials.entrySet()) {
        lists[shuffle.bucketOf(e.getKey().structuralKey())].add(
            new Object[] {e.getKey(), e.getValue()});
      }
      partials.clear();
    }
  }

  /** Merges the partials of one partition and extracts each key's output. */
  static List<WindowedValue<KV<Object, Object>>> mergePartials(
      List<Object> records,
      Combine.CombineFn<Object, Object, Object> fn,
      TimestampCombiner timestampCombiner) {
    Map<KeyWindow, List<Partial>> groups = new java.util.LinkedHashMap<>();
    for (Object r : records) {
      Object[] pair = (Object[]) r;
      groups.computeIfAbsent((KeyWindow) pair[0], k -> new ArrayList<>(2)).add((Partial) pair[1]);
    }
    List<WindowedValue<KV<Object, Object>>> out = new ArrayList<>(groups.size());
    for (List<Partial> parts : groups.values()) {
      Partial first = parts.get(0);
      Object acc;
      Instant ts = first.timestamp;
      if (parts.size() == 1) {
        acc = first.accumulator;
      } else {
        List<Object> accs = new ArrayList<>(parts.size());
        for (Partial p : parts) {
          accs.add(p.accumulator);
          ts = timestampCombiner.combine(ts, p.timestamp);
        }
        acc = fn.mergeAccumulators(accs);
      }
      out.add(
          WindowedValue.of(
              KV.of(first.key, fn.extractOutput(acc)),
              ts,
              first.window,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    return out;
  }

  /** Groups one partition's elements by key and window (non-merging windows, default trigger). */
  static List<WindowedValue<KV<Object, Iterable<Object>>>> groupByKeyAndWindow(
      List<Object> records, TimestampCombiner timestampCombiner) {
    final class Group {
      final Object key;
      final BoundedWindow window;
      final List<Object> values = new ArrayList<>();
      Instant timestamp;

      Group(Object key, BoundedWindow window) {
        this.key = key;
        this.window = window;
      }
    }
    Map<KeyWindow, Group> groups = new java.util.LinkedHashMap<>();
    for (Object r : records) {
      Keyed k = (Keyed) r;
      WindowedValue<KV<Object, Object>> wv = k.value();
      for (BoundedWindow window : wv.getWindows()) {
        Group g =
            groups.computeIfAbsent(
                new KeyWindow(k.structuralKey(), window),
                kw -> new Group(wv.getValue().getKey(), window));
        g.values.add(wv.getValue().getValue());
        Instant ts = timestampCombiner.assign(window, wv.getTimestamp());
        g.timestamp = g.timestamp == null ? ts : timestampCombiner.combine(g.timestamp, ts);
      }
    }
    List<WindowedValue<KV<Object, Iterable<Object>>>> out = new ArrayList<>(groups.size());
    for (Group g : groups.values()) {
      out.add(
          WindowedValue.of(
              KV.of(g.key, Collections.unmodifiableList(g.values)),
              g.timestamp,
              g.window,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    return out;
  }

  /** Groups one partition's elements by key only, keeping each key's elements in arrival order. */
  static Map<Object, KV<Object, List<WindowedValue<KV<Object, Object>>>>> groupByKey(
      List<Object> records) {
    Map<Object, KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups =
        new java.util.LinkedHashMap<>();
    for (Object r : records) {
      Keyed k = (Keyed) r;
      groups
          .computeIfAbsent(
              k.structuralKey(), s -> KV.of(k.value().getValue().getKey(), new ArrayList<>()))
          .getValue()
          .add(k.value());
    }
    return groups;
  }
}
