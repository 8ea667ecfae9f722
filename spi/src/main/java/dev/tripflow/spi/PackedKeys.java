package dev.tripflow.spi;

/**
 * A key coder whose keys also have an exact form as one {@code long}. A runner may then keep such
 * keys unboxed (no key object read per lookup, none kept per key): tripflow's PartitionedRunner
 * does so for lifted combines whose CombineFn is also {@link FlatAccumulators}. Runners that do not
 * know this interface ignore it.
 *
 * <p>Implemented by the {@code Coder<K>} of the keys. The packed form must be injective on what the
 * coder tells apart: two keys pack to the same long exactly when the coder encodes them to the same
 * bytes, and {@code unpack(pack(k))} encodes as {@code k} does. A key without such a form (a value
 * out of the packed range, say) packs to {@link #NOT_PACKED}, and the runner handles it as an
 * object.
 *
 * <pre>{@code
 * final class HourZoneCoder extends AtomicCoder<HourZone> implements PackedKeys<HourZone> {
 *   public long pack(HourZone k) { return k.hour() << 21 | k.zone() << 1 | 1; } // when in range
 *   public HourZone unpack(long p) { return new HourZone(p >> 21, (p & 0x1FFFFF) >>> 1); }
 * }
 * }</pre>
 */
public interface PackedKeys<K> {
  /** The answer of {@link #pack} for a key without a packed form; never a packed key. */
  long NOT_PACKED = Long.MIN_VALUE;

  /** The key's packed form, or {@link #NOT_PACKED}. */
  long pack(K key);

  /** The key of a packed form that {@link #pack} returned. */
  K unpack(long packed);
}
