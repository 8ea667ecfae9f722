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
  // What is dealt: single elements when every buffer stayed in memory (files then sorted largest
  // first), else pieces of a buffer of up to a block each, read from disk by the task taking one.
  private List<Object> elements;
  private List<Piece> pieces;

  /** Elements {@code from} to {@code to} of a buffer. */
  private record Piece(ElementBuffer buffer, long from, long to) {}

  @SuppressWarnings("unchecked")
  public Dealer(Shuffle shuffle, int tasks) {
    this.shuffle = shuffle;
    this.taken = new List[tasks];
    for (int t = 0; t < tasks; t++) {
      taken[t] = new ArrayList<>();
    }
  }

  /** Prepares what is dealt, once; returns how many things. */
  private synchronized int prepare() {
    if (elements == null && pieces == null) {
      List<ElementBuffer> buffers = shuffle.buffers();
      boolean spilled = false;
      for (ElementBuffer b : buffers) {
        spilled |= b.spilledBytes() > 0;
      }
      if (!spilled) {
        // In the order the producers made them; files are then put largest first.
        List<Object> all = new ArrayList<>();
        for (ElementBuffer b : buffers) {
          b.forEach(0, b.size(), all::add);
        }
        largestFirst(all);
        elements = all;
      } else {
        pieces = new ArrayList<>();
        for (ElementBuffer b : buffers) {
          for (long from = 0; from < b.size(); from += ElementBuffer.BLOCK) {
            pieces.add(new Piece(b, from, Math.min(b.size(), from + ElementBuffer.BLOCK)));
          }
        }
      }
    }
    return elements != null ? elements.size() : pieces.size();
  }

  private void give(int i, Receiver out) {
    if (elements != null) {
      out.accept((WindowedValue<?>) elements.get(i));
    } else {
      Piece p = pieces.get(i);
      p.buffer().forEach(p.from(), p.to(), out::accept);
    }
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

  /** Gives task {@code task} what its earlier attempts took, then more until none is left. */
  public void deal(int task, Receiver out) {
    int count = prepare();
    List<Integer> mine = taken[task];
    for (int i = 0; i < mine.size(); i++) {
      give(mine.get(i), out);
    }
    while (true) {
      int i = next.getAndIncrement();
      if (i >= count) {
        return;
      }
      mine.add(i);
      give(i, out);
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
