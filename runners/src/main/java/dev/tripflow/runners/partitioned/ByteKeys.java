package dev.tripflow.runners.partitioned;

import java.util.Arrays;

/**
 * Finds the first record of each key among encoded records, comparing keys by their bytes: a
 * GroupByKey's key coder is deterministic, so equal keys encode alike and distinct keys do not. The
 * table is primitive arrays (per slot the key's hash, where its bytes are and its first record), so
 * a merge or grouping of millions of keys holds no object per key: decoded keys and groups held
 * until the end were copied by the garbage collector from generation to generation.
 *
 * <p>Slots are probed linearly from the bytes' mixed hash; a hash of 0 marks an empty slot.
 */
final class ByteKeys {
  private final int[] hashes;
  private final int[] firsts;
  private final byte[][] keyBytes;
  private final int[] keyFrom;
  private final int[] keyTo;
  // A key of at most 8 bytes packed into a long: compared without reading its bytes again (which
  // lie at random in the records: a cache miss per comparison).
  private final long[] packed;
  private final int mask;

  /** A table for up to {@code n} distinct keys. */
  ByteKeys(int n) {
    int capacity = 16;
    while (capacity * 0.6 < n) {
      capacity <<= 1;
    }
    hashes = new int[capacity];
    firsts = new int[capacity];
    keyBytes = new byte[capacity][];
    keyFrom = new int[capacity];
    keyTo = new int[capacity];
    packed = new long[capacity];
    mask = capacity - 1;
  }

  /**
   * The first record of the key in {@code bytes[from, to)}, or -1 when it is new: record {@code
   * record} is then its first. The bytes must stay as they are while the table is in use.
   */
  int firstOf(int record, byte[] bytes, int from, int to) {
    int h = hash(bytes, from, to);
    int length = to - from;
    boolean isShort = length <= 8;
    long p = isShort ? pack(bytes, from, to) : 0L;
    int slot = h & mask;
    while (true) {
      int sh = hashes[slot];
      if (sh == 0) {
        hashes[slot] = h;
        firsts[slot] = record;
        keyBytes[slot] = bytes;
        keyFrom[slot] = from;
        keyTo[slot] = to;
        packed[slot] = p;
        return -1;
      }
      if (sh == h
          && keyTo[slot] - keyFrom[slot] == length
          && (isShort
              ? packed[slot] == p
              : Arrays.equals(keyBytes[slot], keyFrom[slot], keyTo[slot], bytes, from, to))) {
        return firsts[slot];
      }
      slot = (slot + 1) & mask;
    }
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
