package dev.tripflow.runners.partitioned.shuffle;

/**
 * Encoded records of one bucket of a {@link #compact} shuffle. A record is the key's length (a
 * varint) and the key (key coder), the timestamp's milliseconds (eight bytes), the value's length
 * (a varint) and the value (value coder); the window is the global one. (The key's length lets the
 * grouping find a key's bytes without decoding it.)
 */
final class Chunk {
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
