package dev.tripflow.runners.partitioned.shuffle;

import java.util.Arrays;

/**
 * An open-addressing hash table from keys to one value each, held in parallel arrays: a slot costs
 * an int, two references and (when the caller's key differs from the one compared) a third, instead
 * of a map entry object per key. The shuffle's lifted combines keep their partial aggregates in it
 * and its group-by-key keeps its groups; with millions of keys (an hour and zone each) the entry
 * objects of a {@code HashMap} were most of the heap and a cache miss more per lookup.
 *
 * <p>Slots are probed linearly from the key's mixed hash; a hash of 0 marks an empty slot, so
 * stored hashes are never 0. Iteration ({@link #capacity}, {@link #used}) is in slot order, which
 * depends only on the keys inserted and their order.
 */
final class KeyTable {
  private static final int MIN_CAPACITY = 16;
  // Stands for a null caller's key (a Void key's structural value is not null).
  private static final Object NULL_KEY = new Object();

  private int[] hashes;
  private Object[] keys;
  private Object[] values;
  // The caller's key where it is not the compared key itself (a structural value); else null.
  private Object[] originals;
  // Which values the table's user made itself (see own); null until the first.
  private boolean[] owned;
  private int size;
  private int mask;
  private int resizeAt;

  KeyTable() {
    this(MIN_CAPACITY);
  }

  KeyTable(int expected) {
    int capacity = MIN_CAPACITY;
    while (capacity * 0.6 < expected) {
      capacity <<= 1;
    }
    allocate(capacity);
  }

  private void allocate(int capacity) {
    hashes = new int[capacity];
    keys = new Object[capacity];
    values = new Object[capacity];
    mask = capacity - 1;
    resizeAt = (int) (capacity * 0.6);
  }

  /** The table's hash of a key: its hashCode, mixed so that every bit counts, never 0. */
  static int hash(Object key) {
    int h = key.hashCode() * 0x9E3779B9;
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    return h == 0 ? 1 : h;
  }

  /**
   * The slot of {@code key}, inserting it (with a null value) when absent; {@code hash} is {@link
   * #hash(Object) hash(key)}. A new slot's index is returned as {@code -(slot + 1)}.
   */
  int slot(Object key, int hash) {
    int i = hash & mask;
    while (true) {
      int h = hashes[i];
      if (h == 0) {
        if (size >= resizeAt) {
          grow();
          return slot(key, hash);
        }
        hashes[i] = hash;
        keys[i] = key;
        size++;
        return -(i + 1);
      }
      if (h == hash) {
        Object k = keys[i];
        if (k == key || k.equals(key)) {
          return i;
        }
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * Reads the first slot of {@code hash} and the headers of the key and value it holds, and returns
   * a number made of them. Called for a batch of keys before they are looked up, it has the
   * processor fetch their memory all at once (the loads of different keys do not wait on each
   * other) instead of one cache miss after another.
   */
  int touch(int hash) {
    int i = hash & mask;
    Object k = keys[i];
    Object v = values[i];
    return hashes[i]
        + (k != null && k.getClass() == Object.class ? 1 : 0)
        + (v != null && v.getClass() == Object.class ? 1 : 0);
  }

  private void grow() {
    int[] oldHashes = hashes;
    Object[] oldKeys = keys;
    Object[] oldValues = values;
    Object[] oldOriginals = originals;
    boolean[] oldOwned = owned;
    allocate(oldHashes.length << 1);
    originals = oldOriginals == null ? null : new Object[hashes.length];
    owned = oldOwned == null ? null : new boolean[hashes.length];
    for (int j = 0; j < oldHashes.length; j++) {
      int h = oldHashes[j];
      if (h == 0) {
        continue;
      }
      int i = h & mask;
      while (hashes[i] != 0) {
        i = (i + 1) & mask;
      }
      hashes[i] = h;
      keys[i] = oldKeys[j];
      values[i] = oldValues[j];
      if (oldOriginals != null) {
        originals[i] = oldOriginals[j];
      }
      if (oldOwned != null) {
        owned[i] = oldOwned[j];
      }
    }
  }

  int size() {
    return size;
  }

  /** The number of slots; a slot is in use when {@link #used} says so. */
  int capacity() {
    return hashes.length;
  }

  boolean used(int slot) {
    return hashes[slot] != 0;
  }

  int hashAt(int slot) {
    return hashes[slot];
  }

  /** The compared key of a slot. */
  Object keyAt(int slot) {
    return keys[slot];
  }

  /** The caller's key of a slot: the one given to {@link #setOriginal}, else the compared key. */
  Object originalAt(int slot) {
    Object o = originals == null ? null : originals[slot];
    return o == null ? keys[slot] : o == NULL_KEY ? null : o;
  }

  /** Records the caller's key of a slot whose compared key is a structural value of it. */
  void setOriginal(int slot, Object original) {
    if (original == keys[slot]) {
      return;
    }
    if (originals == null) {
      originals = new Object[hashes.length];
    }
    originals[slot] = original == null ? NULL_KEY : original;
  }

  Object valueAt(int slot) {
    return values[slot];
  }

  void setValue(int slot, Object value) {
    values[slot] = value;
  }

  /** Marks a slot's value as made by the table's user, not shared with anything else. */
  void own(int slot) {
    if (owned == null) {
      owned = new boolean[hashes.length];
    }
    owned[slot] = true;
  }

  boolean owned(int slot) {
    return owned != null && owned[slot];
  }

  /** Empties the table, keeping its capacity. */
  void clear() {
    Arrays.fill(hashes, 0);
    Arrays.fill(keys, null);
    Arrays.fill(values, null);
    if (originals != null) {
      Arrays.fill(originals, null);
    }
    owned = null;
    size = 0;
  }
}
