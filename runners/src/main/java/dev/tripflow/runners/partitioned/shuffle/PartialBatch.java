package dev.tripflow.runners.partitioned.shuffle;

/**
 * The partial aggregates one producer wrote to one partition, as parallel arrays: the compared key
 * (the structural key, or a {@link KeyWindow} outside the global window) with its table hash, the
 * caller's key, and the accumulator (or a {@link Stamped} one).
 */
final class PartialBatch {
  final int[] hashes;
  final Object[] keys;
  final Object[] originals;
  final Object[] values;
  int size;

  // The same entries encoded instead (keys and accumulators by their coders, one after the
  // other), when the writer can: a fraction of the objects' memory.
  final byte[] encoded;
  // Where entry i's key ends (ends[2i]) and the entry ends (ends[2i + 1]) in encoded; it starts
  // where entry i - 1 ends. The merge compares keys by these bytes, decoding none it need not.
  final int[] ends;

  PartialBatch(int n) {
    hashes = new int[n];
    keys = new Object[n];
    originals = new Object[n];
    values = new Object[n];
    encoded = null;
    ends = null;
    flat = null;
    stride = 0;
  }

  PartialBatch(byte[] encoded, int[] ends, int n) {
    hashes = null;
    keys = null;
    originals = null;
    values = null;
    this.encoded = encoded;
    this.ends = ends;
    size = n;
    flat = null;
    stride = 0;
  }

  // The same entries flat instead ({@link FlatAccumulators} whose CombineFn merges flat): entry i
  // is its packed key at flat[i * stride] and its flat accumulator in the longs after it.
  final long[] flat;
  final int stride;

  PartialBatch(long[] flat, int stride, int n) {
    hashes = null;
    keys = null;
    originals = null;
    values = null;
    encoded = null;
    ends = null;
    this.flat = flat;
    this.stride = stride;
    size = n;
  }

  int start(int i) {
    return i == 0 ? 0 : ends[2 * i - 1];
  }
}
