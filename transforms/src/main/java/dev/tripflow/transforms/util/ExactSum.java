package dev.tripflow.transforms.util;

import java.io.Serializable;
import java.util.Arrays;

/**
 * A sum of doubles kept exactly as a short list of non-overlapping partials (Shewchuk's algorithm,
 * as in Python's {@code math.fsum}), rounded once when read.
 *
 * <p>The result is the correctly rounded value of the exact sum, so it does not depend on the order
 * in which values were added or partial sums merged: every runner, with any partitioning, computes
 * bit-identical totals. Money columns usually need two or three partials.
 *
 * <p>Values whose bits all fall between 2^-96 and 2^112 (every money amount, distance or count) are
 * first added exactly into a 192-bit fixed-point accumulator, a few integer operations instead of
 * the partials loop; the accumulator is folded into the partials when the sum is read, merged or
 * coded, so the result is the same exact sum.
 */
public final class ExactSum implements Serializable {
  private static final long serialVersionUID = 1L;

  private double[] partials;
  private int size;

  /** Sum of infinities and NaNs, which the partials cannot hold. */
  private double special;

  private boolean hasSpecial;

  /** Units of the fixed-point accumulator: 2^-SCALE. */
  private static final int SCALE = 96;

  /** Largest shift of a 53-bit mantissa: values below 2^69, leaving 2^120 of headroom. */
  private static final int MAX_SHIFT = 112;

  // The fixed-point accumulator, a two's-complement 192-bit integer in units of 2^-SCALE: its low,
  // middle and high words.
  private final long[] fixed = new long[3];

  private static final double[] NO_PARTIALS = new double[0];

  /** An empty sum; the partials array is allocated only when a value needs it. */
  public ExactSum() {
    this.partials = NO_PARTIALS;
  }

  /** Adds one value. */
  public void add(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) ((bits >>> 52) & 0x7ff);
    if (e != 0 && e != 0x7ff) {
      int shift = e - 1075 + SCALE;
      if (shift >= 0 && shift <= MAX_SHIFT) {
        addFixed(fixed, 0, (bits & 0xFFFFFFFFFFFFFL) | 0x10000000000000L, shift, bits < 0);
        return;
      }
    } else if ((bits & Long.MAX_VALUE) == 0
        && size > 0
        && Double.doubleToRawLongBits(partials[size - 1]) != Long.MIN_VALUE) {
      // Adding a zero to partials that do not sum to -0.0 changes nothing (free fares, no tolls).
      return;
    }
    addPartial(x);
  }

  /**
   * Adds {@code x} to a fixed-point sum kept outside any ExactSum, in the words {@code s[off]}
   * (low), {@code s[off + 1]} and {@code s[off + 2]} (high) of the caller's array, when that can
   * hold it exactly. Returns false, changing nothing, for a value it cannot hold (an infinity, NaN,
   * negative zero, a subnormal, or a magnitude of 2^69 and above or below 2^-44): the caller adds
   * that one to an ExactSum instead. Adding +0.0 changes nothing. {@link #fixedValue} rounds such a
   * sum and {@link #addFixedState} adds it to an ExactSum.
   */
  public static boolean addFixed(long[] s, int off, double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) ((bits >>> 52) & 0x7ff);
    if (e != 0 && e != 0x7ff) {
      int shift = e - 1075 + SCALE;
      if (shift >= 0 && shift <= MAX_SHIFT) {
        addFixed(s, off, (bits & 0xFFFFFFFFFFFFFL) | 0x10000000000000L, shift, bits < 0);
        return true;
      }
      return false;
    }
    return bits == 0;
  }

  /** Whether {@link #addFixed(long[], int, double)} can hold {@code x} (and so returns true). */
  public static boolean fitsFixed(double x) {
    long bits = Double.doubleToRawLongBits(x);
    int e = (int) ((bits >>> 52) & 0x7ff);
    if (e != 0 && e != 0x7ff) {
      int shift = e - 1075 + SCALE;
      return shift >= 0 && shift <= MAX_SHIFT;
    }
    return bits == 0;
  }

  /** Adds the fixed-point sum {@code from[fromOff..+2]} to {@code into[intoOff..+2]}. */
  public static void addFixedTo(long[] into, int intoOff, long[] from, int fromOff) {
    add192(into, intoOff, from[fromOff + 2], from[fromOff + 1], from[fromOff]);
  }

  /** The fixed-point sum {@code s[off..off+2]} rounded to the nearest double (ties to even). */
  public static double fixedValue(long[] s, int off) {
    return fixedToDouble(s[off + 2], s[off + 1], s[off]);
  }

  /** Adds a fixed-point sum kept outside ({@link #addFixed(long[], int, double)}) to this one. */
  public void addFixedState(long[] s, int off) {
    addFixedTo(fixed, 0, s, off);
  }

  /** Adds or subtracts {@code m << shift} to the fixed-point sum in {@code s[off..off+2]}. */
  private static void addFixed(long[] s, int off, long m, int shift, boolean negative) {
    long l0;
    long l1;
    long l2;
    if (shift < 64) {
      l0 = m << shift;
      l1 = shift == 0 ? 0 : m >>> (64 - shift);
      l2 = 0;
    } else if (shift < 128) {
      int s2 = shift - 64;
      l0 = 0;
      l1 = m << s2;
      l2 = s2 == 0 ? 0 : m >>> (64 - s2);
    } else {
      l0 = 0;
      l1 = 0;
      l2 = m << (shift - 128);
    }
    if (negative) {
      // subtract: add the two's complement of (l2, l1, l0)
      l0 = ~l0;
      l1 = ~l1;
      l2 = ~l2;
      l0 += 1;
      if (l0 == 0) {
        l1 += 1;
        if (l1 == 0) {
          l2 += 1;
        }
      }
    }
    add192(s, off, l2, l1, l0);
  }

  /** Adds the 192-bit two's-complement integer (l2, l1, l0) to the sum in {@code s[off..off+2]}. */
  private static void add192(long[] s, int off, long l2, long l1, long l0) {
    long lo = s[off];
    long mid = s[off + 1];
    long n0 = lo + l0;
    long c0 = Long.compareUnsigned(n0, lo) < 0 ? 1 : 0;
    long n1 = mid + l1;
    long c1 = Long.compareUnsigned(n1, mid) < 0 ? 1 : 0;
    long n1c = n1 + c0;
    if (c0 == 1 && n1c == 0) {
      c1 = 1;
    }
    s[off] = n0;
    s[off + 1] = n1c;
    s[off + 2] += l2 + c1;
  }

  /** Moves the fixed-point accumulator into the partials, exactly, in 52-bit pieces. */
  private void foldFixed() {
    long lo = fixed[0];
    long mid = fixed[1];
    long hi = fixed[2];
    if (lo == 0 && mid == 0 && hi == 0) {
      return;
    }
    java.math.BigInteger v =
        java.math.BigInteger.valueOf(hi)
            .shiftLeft(64)
            .or(new java.math.BigInteger(Long.toUnsignedString(mid)))
            .shiftLeft(64)
            .or(new java.math.BigInteger(Long.toUnsignedString(lo)));
    java.util.Arrays.fill(fixed, 0L);
    boolean negative = v.signum() < 0;
    java.math.BigInteger a = v.abs();
    java.math.BigInteger mask =
        java.math.BigInteger.ONE.shiftLeft(52).subtract(java.math.BigInteger.ONE);
    for (int exp = -SCALE; a.signum() != 0; exp += 52) {
      long piece = a.and(mask).longValue();
      if (piece != 0) {
        double d = Math.scalb((double) piece, exp);
        addPartial(negative ? -d : d);
      }
      a = a.shiftRight(52);
    }
  }

  private void addPartial(double x) {
    if (!Double.isFinite(x)) {
      special = hasSpecial ? special + x : x;
      hasSpecial = true;
      return;
    }
    int kept = 0;
    double[] p = partials;
    for (int j = 0; j < size; j++) {
      double y = p[j];
      if (Math.abs(x) < Math.abs(y)) {
        double t = x;
        x = y;
        y = t;
      }
      double hi = x + y;
      double lo = y - (hi - x);
      if (lo != 0.0) {
        p[kept++] = lo;
      }
      x = hi;
    }
    if (kept == p.length) {
      partials = p = Arrays.copyOf(p, Math.max(4, p.length * 2));
    }
    p[kept++] = x;
    size = kept;
  }

  /** Adds everything another sum holds. */
  public void addAll(ExactSum other) {
    addFixedTo(fixed, 0, other.fixed, 0);
    for (int i = 0; i < other.size; i++) {
      add(other.partials[i]);
    }
    if (other.hasSpecial) {
      add(other.special);
    }
  }

  /** The exact sum rounded to the nearest double (ties to even). */
  public double value() {
    if (size == 0 && !hasSpecial) {
      // Only the fixed-point part is held (the common case): round it directly.
      return fixedValue(fixed, 0);
    }
    foldFixed();
    if (hasSpecial) {
      return special;
    }
    if (size == 0) {
      return 0.0;
    }
    int k = size - 1;
    double hi = partials[k];
    double lo = 0.0;
    while (k > 0) {
      double x = hi;
      double y = partials[--k];
      hi = x + y;
      double yr = hi - x;
      lo = y - yr;
      if (lo != 0.0) {
        break;
      }
    }
    // Round half-even correctly when the remaining partials push past the halfway point.
    if (k > 0 && ((lo < 0.0 && partials[k - 1] < 0.0) || (lo > 0.0 && partials[k - 1] > 0.0))) {
      double y = lo * 2.0;
      double x = hi + y;
      double yr = x - hi;
      if (y == yr) {
        hi = x;
      }
    }
    return hi;
  }

  /**
   * The 192-bit two's-complement integer (hi, mid, lo) times 2^-SCALE, rounded to the nearest
   * double, ties to even. The result is always a normal double (its magnitude is at least
   * 2^-SCALE), so scaling the rounded 53-bit significand is exact.
   */
  static double fixedToDouble(long hi, long mid, long lo) {
    boolean negative = hi < 0;
    if (negative) {
      lo = ~lo;
      mid = ~mid;
      hi = ~hi;
      lo += 1;
      if (lo == 0) {
        mid += 1;
        if (mid == 0) {
          hi += 1;
        }
      }
    }
    // The magnitude, read as unsigned (-2^191 negates to itself, 2^191 unsigned).
    int top;
    if (hi != 0) {
      top = 191 - Long.numberOfLeadingZeros(hi);
    } else if (mid != 0) {
      top = 127 - Long.numberOfLeadingZeros(mid);
    } else if (lo != 0) {
      top = 63 - Long.numberOfLeadingZeros(lo);
    } else {
      return 0.0;
    }
    double d;
    if (top <= 52) {
      d = Math.scalb((double) lo, -SCALE);
    } else {
      int drop = top - 52;
      long m = bitsFrom(hi, mid, lo, drop) & ((1L << 53) - 1);
      boolean round = (bitsFrom(hi, mid, lo, drop - 1) & 1) != 0;
      if (round && ((m & 1) != 0 || anyBelow(hi, mid, lo, drop - 1))) {
        m++;
        if (m == 1L << 53) {
          m >>>= 1;
          drop++;
        }
      }
      d = Math.scalb((double) m, drop - SCALE);
    }
    return negative ? -d : d;
  }

  /** The 64 bits of (hi, mid, lo) from bit {@code from} (0..191) up. */
  private static long bitsFrom(long hi, long mid, long lo, int from) {
    if (from >= 128) {
      return hi >>> (from - 128);
    }
    if (from >= 64) {
      int s = from - 64;
      return s == 0 ? mid : (mid >>> s) | (hi << (64 - s));
    }
    return from == 0 ? lo : (lo >>> from) | (mid << (64 - from));
  }

  /** Whether any of the bits of (hi, mid, lo) below bit {@code n} is set. */
  private static boolean anyBelow(long hi, long mid, long lo, int n) {
    if (n <= 0) {
      return false;
    }
    if (n < 64) {
      return (lo & ((1L << n) - 1)) != 0;
    }
    if (lo != 0) {
      return true;
    }
    if (n < 128) {
      int k = n - 64;
      return k > 0 && (mid & ((1L << k) - 1)) != 0;
    }
    if (mid != 0) {
      return true;
    }
    int k = n - 128;
    return k > 0 && (hi & ((1L << k) - 1)) != 0;
  }

  /** Number of partials held (for coders). */
  public int partialCount() {
    foldFixed();
    return size;
  }

  /** The i-th partial (for coders). */
  public double partial(int i) {
    foldFixed();
    return partials[i];
  }

  /** Whether an infinity or NaN was added. */
  public boolean hasSpecial() {
    return hasSpecial;
  }

  /** The sum of the infinities and NaNs added. */
  public double special() {
    return special;
  }

  /** Rebuilds a sum from its coded state. */
  public static ExactSum fromState(
      double[] partials, int size, boolean hasSpecial, double special) {
    ExactSum s = new ExactSum();
    s.partials = Arrays.copyOf(partials, Math.max(4, size));
    s.size = size;
    s.hasSpecial = hasSpecial;
    s.special = special;
    return s;
  }
}
