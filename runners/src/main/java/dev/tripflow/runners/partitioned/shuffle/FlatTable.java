package dev.tripflow.runners.partitioned.shuffle;

import dev.tripflow.spi.PackedKeys;
import java.util.Arrays;

/**
 * A lifted combine's partial aggregates of packed keys ({@link PackedKeys}) held unboxed in one
 * array of longs: slot {@code i} holds its key at {@code slab[i * stride]} and its flat accumulator
 * ({@link dev.tripflow.spi.FlatAccumulators}) in the {@code width} longs after it. A lookup reads
 * one stretch of memory (a cache line or two) where a table of objects reads the slot, the key
 * object, the accumulator and its arrays, each a miss when keys come in random order; and a million
 * keys are one array, not millions of objects for the garbage collector to copy.
 *
 * <p>Slots are probed linearly from the key's mixed hash; {@link PackedKeys#NOT_PACKED} marks an
 * empty slot (it is never a key). A slot can be marked boxed: its key's accumulator then lives as
 * an object elsewhere (an input the flat form could not hold), and its flat state is unused.
 */
final class FlatTable {
  private static final long EMPTY = PackedKeys.NOT_PACKED;
  private static final int MIN_CAPACITY = 1024;

  private final int width;
  private final int stride;
  private long[] slab;
  private long[] boxed;
  private int mask;
  private int size;
  private int resizeAt;

  /** A table whose accumulators take {@code width} longs. */
  FlatTable(int width) {
    this.width = width;
    this.stride = width + 1;
    allocate(MIN_CAPACITY);
  }

  private void allocate(int capacity) {
    slab = new long[capacity * stride];
    for (int i = 0; i < slab.length; i += stride) {
      slab[i] = EMPTY;
    }
    boxed = new long[(capacity + 63) >>> 6];
    mask = capacity - 1;
    resizeAt = capacity >>> 1;
  }

  /** The table's hash of a packed key: every bit mixed in (packed keys are structured). */
  static int hash(long key) {
    long h = key * 0x9E3779B97F4A7C15L;
    h ^= h >>> 29;
    h *= 0xBF58476D1CE4E5B9L;
    return (int) (h ^ (h >>> 32));
  }

  /**
   * The slot of {@code key} ({@code hash} is {@link #hash(long) hash(key)}), inserting it with an
   * all-zero accumulator when absent.
   */
  int slot(long key, int hash) {
    int i = hash & mask;
    while (true) {
      long k = slab[i * stride];
      if (k == key) {
        return i;
      }
      if (k == EMPTY) {
        if (size >= resizeAt) {
          grow();
          return slot(key, hash);
        }
        slab[i * stride] = key;
        size++;
        return i;
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Reads the first slot of {@code hash}, its first and last word (a slot may straddle two cache
   * lines). Called for a batch of keys before they are looked up, it has the processor fetch their
   * memory at once rather than one miss after another.
   */
  long touch(int hash) {
    int at = (hash & mask) * stride;
    return slab[at] + slab[at + stride - 1];
  }

  /** The array holding the accumulators. */
  long[] slab() {
    return slab;
  }

  /** Where a slot's accumulator starts in {@link #slab()}. */
  int offset(int slot) {
    return slot * stride + 1;
  }

  int size() {
    return size;
  }

  int capacity() {
    return mask + 1;
  }

  boolean used(int slot) {
    return slab[slot * stride] != EMPTY;
  }

  long keyAt(int slot) {
    return slab[slot * stride];
  }

  boolean boxed(int slot) {
    return (boxed[slot >>> 6] & (1L << slot)) != 0;
  }

  /** Marks a slot whose accumulator now lives as an object. */
  void box(int slot) {
    boxed[slot >>> 6] |= 1L << slot;
  }

  private void grow() {
    long[] old = slab;
    long[] oldBoxed = boxed;
    int oldCapacity = capacity();
    allocate(oldCapacity << 1);
    for (int j = 0; j < oldCapacity; j++) {
      long key = old[j * stride];
      if (key == EMPTY) {
        continue;
      }
      int i = hash(key) & mask;
      while (slab[i * stride] != EMPTY) {
        i = (i + 1) & mask;
      }
      System.arraycopy(old, j * stride, slab, i * stride, stride);
      if ((oldBoxed[j >>> 6] & (1L << j)) != 0) {
        box(i);
      }
    }
  }

  /** Empties the table, keeping its capacity. */
  void clear() {
    Arrays.fill(slab, 0L);
    for (int i = 0; i < slab.length; i += stride) {
      slab[i] = EMPTY;
    }
    Arrays.fill(boxed, 0L);
    size = 0;
  }

  int width() {
    return width;
  }
}
