package dev.tripflow.runners.partitioned.shuffle;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/**
 * Deals a rebalanced collection's elements to a stage's tasks as each asks for the next, so that
 * uneven elements (files of a few thousand rows and of a million) keep every task busy until the
 * end, where a fixed share per partition leaves one task reading alone. A task's attempt first
 * takes again what its failed attempts took, so a retry sees the same elements and none is lost.
 */
public final class Dealer {
  private final Shuffle shuffle;
  private final java.util.concurrent.atomic.AtomicInteger next =
      new java.util.concurrent.atomic.AtomicInteger();
  private final List<Integer>[] taken;
  private List<Object> all;

  @SuppressWarnings("unchecked")
  public Dealer(Shuffle shuffle, int tasks) {
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
      for (int p = 0; p < shuffle.partitions(); p++) {
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
   * Files (the matched files a file read rebalances) are dealt largest first, so that the last ones
   * the tasks take are small and the tasks finish together; a big file taken last would keep one
   * task busy while the others wait. Files of one size go in the order of their paths. Other
   * elements keep their order.
   */
  public static void largestFirst(List<Object> elements) {
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
  public void deal(int task, Receiver out) {
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
   * The size of the work an element stands for, or null when it does not tell one: a matched file,
   * or an element that tells its size ({@link dev.tripflow.spi.SizedElement}, such as a file's
   * range of row groups).
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
