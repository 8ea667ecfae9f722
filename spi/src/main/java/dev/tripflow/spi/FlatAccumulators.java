package dev.tripflow.spi;

/**
 * A CombineFn whose accumulators also have a flat form: a fixed number of {@code long}s, all zero
 * for an empty accumulator. A runner may then pre-aggregate in one array of longs, a key's state
 * beside its packed key ({@link PackedKeys}), instead of an accumulator object (and its arrays) per
 * key: one cache miss per input instead of several, and no objects for the garbage collector to
 * copy. Runners that do not know this interface ignore it.
 *
 * <p>Implemented by the {@code CombineFn<InputT, AccumT, ?>} itself. For every input, adding it
 * flat and then taking {@link #fromFlat} must give an accumulator equal (in what it outputs and
 * encodes) to {@code addInput} on the accumulator {@code fromFlat} gave before.
 *
 * <pre>{@code
 * // a count and a sum of longs
 * public int flatWidth() { return 2; }
 * public boolean addFlat(long[] s, int off, Long x) { s[off]++; s[off + 1] += x; return true; }
 * public long[] fromFlat(long[] s, int off) { return new long[] {s[off], s[off + 1]}; }
 * public boolean mergesFlat() { return true; }
 * public boolean mergeFlat(long[] s, int off, long[] f, int fOff) {
 *   s[off] += f[fOff]; s[off + 1] += f[fOff + 1]; return true;
 * }
 * }</pre>
 */
public interface FlatAccumulators<InputT, AccumT> {
  /** How many longs a flat accumulator takes. */
  int flatWidth();

  /**
   * Adds {@code input} to the flat accumulator at {@code state[offset, offset + flatWidth())}.
   * Returns false, changing nothing, for an input the flat form cannot hold (the runner then goes
   * on with {@link #fromFlat} and the CombineFn's own {@code addInput}).
   */
  boolean addFlat(long[] state, int offset, InputT input);

  /** The CombineFn's accumulator holding what the flat one at {@code offset} holds. */
  AccumT fromFlat(long[] state, int offset);

  /**
   * Whether {@link #mergeFlat} merges flat accumulators. A runner may then also keep the partial
   * aggregates flat up to the final merge, instead of making and encoding an accumulator per key
   * and partial. False unless overridden.
   */
  default boolean mergesFlat() {
    return false;
  }

  /**
   * Adds the flat accumulator at {@code from[fromOffset, fromOffset + flatWidth())} into the one at
   * {@code state[offset, offset + flatWidth())}: {@link #fromFlat} of the result must equal {@code
   * mergeAccumulators} of the two's {@code fromFlat}. Returns false, changing nothing, where the
   * flat form cannot hold the merge (the runner then merges the CombineFn's accumulators).
   */
  default boolean mergeFlat(long[] state, int offset, long[] from, int fromOffset) {
    return false;
  }
}
