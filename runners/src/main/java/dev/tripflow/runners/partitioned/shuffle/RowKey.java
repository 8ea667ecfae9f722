package dev.tripflow.runners.partitioned.shuffle;

import java.util.List;
import org.apache.beam.sdk.coders.Coder;

/**
 * A Row key compared by its field values (all keys of one shuffle share a schema), its hash
 * computed once.
 */
final class RowKey {
  /**
   * The value a key is grouped and hashed by: the coder's structural value, except for a Row of
   * plain field values (strings, numbers, booleans, java.time values), which is compared by its
   * values directly. (Row's own equals and hashCode convert logical-type fields such as timestamps
   * to their base rows on every call, which would dominate a shuffle keyed by such rows.)
   */
  static Object structural(Coder<Object> keyCoder, Object key) {
    if (key instanceof org.apache.beam.sdk.values.Row row) {
      List<Object> values = row.getValues();
      boolean plain = true;
      for (Object v : values) {
        if (!(v == null
            || v instanceof String
            || v instanceof Long
            || v instanceof Integer
            || v instanceof Short
            || v instanceof Byte
            || v instanceof Double
            || v instanceof Float
            || v instanceof Boolean
            || v instanceof java.math.BigDecimal
            || v instanceof java.time.temporal.Temporal)) {
          plain = false;
          break;
        }
      }
      if (plain) {
        return new RowKey(values);
      }
    }
    return keyCoder.structuralValue(key);
  }

  private final Object[] values;
  private final int hash;

  RowKey(List<Object> values) {
    this.values = values.toArray();
    long h = 1;
    for (Object v : this.values) {
      h = h * 0x9E3779B97F4A7C15L + valueBits(v);
    }
    // murmur3's 64-bit finaliser: every input bit reaches the 32 bits kept
    h ^= h >>> 33;
    h *= 0xff51afd7ed558ccdL;
    h ^= h >>> 33;
    h *= 0xc4ceb9fe1a85ec53L;
    h ^= h >>> 33;
    this.hash = (int) h;
  }

  /**
   * A value's bits for hashing. Date-times are hashed by their position in time: their own hashCode
   * gives the hours of one year only a few thousand distinct values, so (hour, zone) keys would
   * collide by the hundred thousand and the hash maps of the shuffle would degrade to trees.
   */
  private static long valueBits(Object v) {
    if (v == null) {
      return 0;
    }
    if (v instanceof java.time.LocalDateTime t) {
      return t.toLocalDate().toEpochDay() * 86_400_000_000_000L + t.toLocalTime().toNanoOfDay();
    }
    if (v instanceof java.time.LocalDate d) {
      return d.toEpochDay();
    }
    if (v instanceof Long l) {
      return l;
    }
    return v.hashCode();
  }

  @Override
  public int hashCode() {
    return hash;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof RowKey other) || other.hash != hash) {
      return false;
    }
    return java.util.Arrays.equals(values, other.values);
  }

  @Override
  public String toString() {
    return java.util.Arrays.toString(values);
  }
}
