package dev.tripflow.transforms.util;

import static org.junit.Assert.assertEquals;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.Test;

public class ExactSumTest {

  private static double exact(List<Double> xs) {
    BigDecimal sum = BigDecimal.ZERO;
    for (double x : xs) {
      sum = sum.add(new BigDecimal(x));
    }
    return sum.round(MathContext.DECIMAL128).doubleValue();
  }

  /** The sum equals the exact (BigDecimal) sum rounded once, whatever the order of the values. */
  @Test
  public void equalsCorrectlyRoundedSumInAnyOrder() {
    Random random = new Random(7);
    for (int trial = 0; trial < 200; trial++) {
      List<Double> xs = new ArrayList<>();
      int n = 1 + random.nextInt(500);
      for (int i = 0; i < n; i++) {
        double money = Math.round((random.nextDouble() * 200 - 20) * 100) / 100.0;
        xs.add(random.nextInt(10) == 0 ? money * 1e12 : money);
      }
      double expected = exact(xs);
      ExactSum forward = new ExactSum();
      xs.forEach(forward::add);
      Collections.shuffle(xs, random);
      ExactSum left = new ExactSum();
      ExactSum right = new ExactSum();
      for (int i = 0; i < xs.size(); i++) {
        (i % 3 == 0 ? left : right).add(xs.get(i));
      }
      right.addAll(left);
      assertEquals(expected, forward.value(), 0.0);
      assertEquals(expected, right.value(), 0.0);
    }
  }

  /**
   * Sums held in the fixed-point part only are rounded straight from its bits: ties go to the even
   * neighbour, a set bit below the halfway point rounds up, negative sums mirror positive ones;
   * random sums equal the exact (BigDecimal) sum rounded once.
   */
  @Test
  public void fixedPointSumsRoundOnceToNearestEven() {
    double two53 = Math.scalb(1.0, 53);
    assertEquals(two53, sum(two53, 1.0), 0.0);
    assertEquals(two53 + 2, sum(two53, 1.0, Math.scalb(1.0, -40)), 0.0);
    assertEquals(two53 + 4, sum(two53, 3.0), 0.0);
    assertEquals(-two53 - 4, sum(-two53, -3.0), 0.0);
    assertEquals(-two53, sum(-two53, -1.0), 0.0);
    assertEquals(0.0, sum(0.1, -0.1), 0.0);
    assertEquals(Math.scalb(1.0, -44), sum(Math.scalb(1.0, -44)), 0.0);
    Random random = new Random(11);
    for (int trial = 0; trial < 2000; trial++) {
      int n = 1 + random.nextInt(50);
      double[] xs = new double[n];
      BigDecimal exact = BigDecimal.ZERO;
      for (int i = 0; i < n; i++) {
        double x = Math.scalb(random.nextDouble() - 0.3, random.nextInt(100) - 40);
        xs[i] = x;
        exact = exact.add(new BigDecimal(x));
      }
      assertEquals(exact.doubleValue(), sum(xs), 0.0);
    }
  }

  private static double sum(double... xs) {
    ExactSum s = new ExactSum();
    for (double x : xs) {
      s.add(x);
    }
    return s.value();
  }

  /** Plain double addition loses 0.1 + 0.2 - 0.3; the exact sum does not. */
  @Test
  public void cancellationIsExact() {
    ExactSum s = new ExactSum();
    s.add(1e16);
    s.add(1.0);
    s.add(-1e16);
    assertEquals(1.0, s.value(), 0.0);
    ExactSum t = new ExactSum();
    t.add(0.1);
    t.add(0.2);
    t.add(-0.3);
    assertEquals(exact(List.of(0.1, 0.2, -0.3)), t.value(), 0.0);
  }

  /** Infinities and NaN propagate as in plain arithmetic; an empty sum is zero. */
  @Test
  public void specialValues() {
    assertEquals(0.0, new ExactSum().value(), 0.0);
    ExactSum s = new ExactSum();
    s.add(1.0);
    s.add(Double.POSITIVE_INFINITY);
    assertEquals(Double.POSITIVE_INFINITY, s.value(), 0.0);
    s.add(Double.NEGATIVE_INFINITY);
    assertEquals(Double.NaN, s.value(), 0.0);
  }

  /** State rebuilt from its parts (as coders do) gives the same value and keeps adding exactly. */
  @Test
  public void roundTripsThroughState() {
    ExactSum s = new ExactSum();
    for (double x : new double[] {1e20, 3.14, -1e20, 2.71, 1e-7}) {
      s.add(x);
    }
    double[] parts = new double[s.partialCount()];
    for (int i = 0; i < parts.length; i++) {
      parts[i] = s.partial(i);
    }
    ExactSum copy = ExactSum.fromState(parts, parts.length, false, 0.0);
    assertEquals(s.value(), copy.value(), 0.0);
    copy.add(1.0);
    assertEquals(exact(List.of(1e20, 3.14, -1e20, 2.71, 1e-7, 1.0)), copy.value(), 0.0);
  }

  /**
   * Values on both sides of the fixed-point range (tiny, huge, subnormal, money, cancelling pairs),
   * added in any order, merged, and passed through the coded state midway, still give the exactly
   * rounded sum.
   */
  @Test
  public void fixedPointAndPartialsTogether() {
    Random random = new Random(11);
    for (int trial = 0; trial < 300; trial++) {
      List<Double> xs = new ArrayList<>();
      int n = 1 + random.nextInt(300);
      for (int i = 0; i < n; i++) {
        double x;
        switch (random.nextInt(8)) {
          case 0 -> x = Math.scalb(random.nextDouble(), -60 - random.nextInt(40));
          case 1 -> x = Math.scalb(random.nextDouble(), 60 + random.nextInt(40));
          case 2 -> x = Double.MIN_VALUE * random.nextInt(1000);
          case 3 -> x = Math.scalb(1.0, 68) * (1 + random.nextDouble());
          default -> x = Math.round((random.nextDouble() * 400 - 200) * 100) / 100.0;
        }
        if (random.nextBoolean()) {
          x = -x;
        }
        xs.add(x);
        if (random.nextInt(20) == 0) {
          xs.add(-x);
        }
      }
      BigDecimal exact = BigDecimal.ZERO;
      for (double x : xs) {
        exact = exact.add(new BigDecimal(x));
      }
      double expected = exact.doubleValue();
      Collections.shuffle(xs, random);
      ExactSum a = new ExactSum();
      ExactSum b = new ExactSum();
      for (int i = 0; i < xs.size(); i++) {
        (random.nextBoolean() ? a : b).add(xs.get(i));
        if (i == xs.size() / 2) {
          double[] p = new double[a.partialCount()];
          for (int k = 0; k < p.length; k++) {
            p[k] = a.partial(k);
          }
          a = ExactSum.fromState(p, p.length, a.hasSpecial(), a.special());
        }
      }
      a.addAll(b);
      assertEquals("trial " + trial, expected, a.value(), 0.0);
    }
  }

  /** Zeros (free fares, no tolls) change nothing, and signed zeros sum as IEEE doubles do. */
  @Test
  public void zerosKeepTheSumAndItsSign() {
    double[][] cases = {
      {-0.0},
      {-0.0, -0.0},
      {-0.0, 0.0},
      {0.0, -0.0},
      {1.5, 0.0, -1.5},
      {0.0, 2.25, -0.0, 0.0},
      {-0.0, 1e-300, -0.0},
      {3.0, -0.0}
    };
    for (double[] values : cases) {
      ExactSum s = new ExactSum();
      double plain = values[0];
      s.add(values[0]);
      for (int i = 1; i < values.length; i++) {
        s.add(values[i]);
        plain += values[i];
      }
      assertEquals(
          java.util.Arrays.toString(values),
          Double.doubleToRawLongBits(plain),
          Double.doubleToRawLongBits(s.value()));
    }
  }
}
