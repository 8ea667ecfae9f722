package dev.tripflow.runners.partitioned.shuffle;

import java.util.Arrays;

/**
 * Finds the first record of each key among encoded records, comparing keys by their bytes: a
 * GroupByKey's key coder is deterministic, so equal keys encode alike and distinct keys do not. The
 * table is primitive arrays, so a merge or grouping of millions of keys holds no object per key:
 * decoded keys and groups held until the end were copied by the garbage collector from generation
 * to generation.
 *
 * <p>A slot is two adjacent longs: the key's bytes packed (keys of up to 8 bytes, first byte
 * lowest), and its hash, length and first record. A probe of a short key reads one stretch of
 * sixteen bytes (a cache miss, where parallel arrays of hashes, lengths, offsets and records cost
 * one each: a merge's keys come in random order). Longer keys are compared by their bytes, which
 * side arrays locate. Slots are probed linearly from the bytes' mixed hash; a zero second word
 * marks an empty slot.
 */
final class ByteKeys {
  // Keys longer than this are compared by their bytes.
  private static final int SHORT = 8;
  // The length part of a slot's tag: 0 to 8 for short keys, LONG for longer ones.
  private static final int LONG = 15;

  // Per slot: [2s] the packed key, [2s + 1] tag (hash with the length in its low 4 bits) << 32 |
  // (first record + 1).
  private final long[] slots;
  // Where a long key's bytes are, by slot; null until the first long key.
  private byte[][] keyBytes;
  private int[] keyFrom;
  private int[] keyTo;
  private final int mask;

  /** A table for up to {@code n} distinct keys. */
  ByteKeys(int n) {
    int capacity = 16;
    while (capacity * 0.6 < n) {
      capacity <<= 1;
    }
    slots = new long[2 * capacity];
    mask = capacity - 1;
  }

  /**
   * The first record of the key in {@code bytes[from, to)}, or -1 when it is new: record {@code
   * record} is then its first. The bytes must stay as they are while the table is in use.
   */
  int firstOf(int record, byte[] bytes, int from, int to) {
    int h = hash(bytes, from, to);
    int length = to - from;
    boolean isShort = length <= SHORT;
    long p = isShort ? pack(bytes, from, to) : 0L;
    int tag = (h & ~0xF) | (isShort ? length : LONG);
    int slot = h & mask;
    while (true) {
      long meta = slots[2 * slot + 1];
      if (meta == 0) {
        slots[2 * slot] = p;
        slots[2 * slot + 1] = ((long) tag << 32) | (record + 1L);
        if (!isShort) {
          remember(slot, bytes, from, to);
        }
        return -1;
      }
      if ((int) (meta >>> 32) == tag
          && (isShort
              ? slots[2 * slot] == p
              : Arrays.equals(keyBytes[slot], keyFrom[slot], keyTo[slot], bytes, from, to))) {
        return (int) meta - 1;
      }
      slot = (slot + 1) & mask;
    }
  }

  private void remember(int slot, byte[] bytes, int from, int to) {
    if (keyBytes == null) {
      int capacity = mask + 1;
      keyBytes = new byte[capacity][];
      keyFrom = new int[capacity];
      keyTo = new int[capacity];
    }
    keyBytes[slot] = bytes;
    keyFrom[slot] = from;
    keyTo[slot] = to;
  }

  /** The at most 8 bytes {@code b[from, to)} as a long, first byte lowest. */
  private static long pack(byte[] b, int from, int to) {
    long p = 0;
    for (int i = to - 1; i >= from; i--) {
      p = (p << 8) | (b[i] & 0xFF);
    }
    return p;
  }

  /** A hash of {@code b[from, to)}, mixed, never 0. */
  static int hash(byte[] b, int from, int to) {
    int h = 0x811C9DC5;
    for (int i = from; i < to; i++) {
      h = (h ^ b[i]) * 0x01000193;
    }
    h ^= h >>> 16;
    h *= 0x85EBCA6B;
    h ^= h >>> 13;
    return h == 0 ? 1 : h;
  }
}
