package dev.tripflow.runners.partitioned.shuffle;

import org.apache.beam.sdk.coders.Coder;

/** A key's values in a compact partition, decoded as they are iterated (any number of times). */
final class GroupValues implements Iterable<Object> {
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
