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
 */
public final class ExactSum implements Serializable {
  private static final long serialVersionUID = 1L;

  private double[] partials;
  private int size;

  /** Sum of infinities and NaNs, which the partials cannot hold. */
  private double special;

  private boolean hasSpecial;

  public ExactSum() {
    this.partials = new double[4];
  }

  /** Adds one value. */
  public void add(double x) {
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
      partials = p = Arrays.copyOf(p, p.length * 2);
    }
    p[kept++] = x;
    size = kept;
  }

  /** Adds everything another sum holds. */
  public void addAll(ExactSum other) {
    for (int i = 0; i < other.size; i++) {
      add(other.partials[i]);
    }
    if (other.hasSpecial) {
      add(other.special);
    }
  }

  /** The exact sum rounded to the nearest double (ties to even). */
  public double value() {
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

  /** Number of partials held (for coders). */
  public int partialCount() {
    return size;
  }

  /** The i-th partial (for coders). */
  public double partial(int i) {
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
