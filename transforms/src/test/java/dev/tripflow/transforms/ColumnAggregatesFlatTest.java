package dev.tripflow.transforms;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.tripflow.transforms.util.ExactSum;
import java.util.SplittableRandom;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

/** The flat accumulators (FlatAccumulators) against the CombineFn's own. */
public class ColumnAggregatesFlatTest {
  private static final Schema IN =
      Schema.builder()
          .addNullableField("x", FieldType.DOUBLE)
          .addNullableField("y", FieldType.DOUBLE)
          .addNullableField("n", FieldType.INT64)
          .build();

  private static final double[] SPECIALS = {
    -0.0,
    1e300,
    -1e300,
    1e-300,
    Double.MIN_VALUE,
    Double.NaN,
    Double.NEGATIVE_INFINITY,
    5e20,
    -12.34
  };

  /** Every kind of aggregate: sums, an average, counts of a column and of rows. */
  private static ColumnAggregates everyKind() {
    return ColumnAggregates.over(IN)
        .sum("x", "sx")
        .avg("y", "ay")
        .count("y", "cy")
        .sum("n", "sn")
        .countAll("rows");
  }

  /**
   * Rows with nulls, negative and fractional values, added flat until a value the flat form cannot
   * hold (which it refuses without changing a word) and then as objects, give the output of adding
   * them all as objects; the longs around the flat accumulator stay as they were.
   */
  @Test
  public void flatThenObjectAddsUpToTheSameOutput() {
    ColumnAggregates fn = everyKind();
    int width = fn.flatWidth();
    assertEquals(1 + 4 + 4 + 1 + 4, width);
    SplittableRandom r = new SplittableRandom(5);
    int refused = 0;
    for (int trial = 0; trial < 300; trial++) {
      long[] slab = new long[width + 6];
      java.util.Arrays.fill(slab, 0, 3, 0x5A5A5A5AL);
      java.util.Arrays.fill(slab, 3 + width, slab.length, -0x5A5A5A5AL);
      ColumnAggregates.Accumulator expected = fn.createAccumulator();
      ColumnAggregates.Accumulator object = null;
      int rows = trial % 10 == 0 ? 0 : r.nextInt(80);
      for (int i = 0; i < rows; i++) {
        Double x = r.nextInt(9) == 0 ? null : Math.round(r.nextDouble(-500, 500) * 100) / 100.0;
        Double y = r.nextInt(9) == 0 ? null : r.nextDouble(-1e6, 1e6);
        if (trial % 4 == 0 && r.nextInt(30) == 0) {
          y = SPECIALS[r.nextInt(SPECIALS.length)];
        }
        Long n = r.nextInt(9) == 0 ? null : r.nextLong(-1_000_000, 1_000_000);
        Row row = Row.withSchema(IN).addValues(x, y, n).build();
        fn.addInput(expected, row);
        if (object != null) {
          fn.addInput(object, row);
          continue;
        }
        long[] before = slab.clone();
        if (!fn.addFlat(slab, 3, row)) {
          assertTrue(row.toString(), y != null && !ExactSum.fitsFixed(y));
          assertArrayEquals("a refused row changes nothing", before, slab);
          refused++;
          object = fn.fromFlat(slab, 3);
          fn.addInput(object, row);
        }
      }
      ColumnAggregates.Accumulator actual = object != null ? object : fn.fromFlat(slab, 3);
      assertEquals(fn.extractOutput(expected), fn.extractOutput(actual));
      for (int i = 0; i < 3; i++) {
        assertEquals(0x5A5A5A5AL, slab[i]);
        assertEquals(-0x5A5A5A5AL, slab[3 + width + i]);
      }
    }
    assertTrue("some rows went on as objects: " + refused, refused > 5);
  }

  /**
   * Merging flat accumulators (as the runner merges partial aggregates) gives what merging the
   * CombineFn's accumulators gives, output and encoding alike, for sums of opposite signs and
   * fractions, empty partials and counts of nulls; the longs around the target stay as they were.
   */
  @Test
  public void flatMergeEqualsTheCombineFnsMerge() throws Exception {
    ColumnAggregates fn = everyKind();
    assertTrue(fn.mergesFlat());
    int width = fn.flatWidth();
    org.apache.beam.sdk.coders.Coder<ColumnAggregates.Accumulator> coder =
        fn.getAccumulatorCoder(null, null);
    SplittableRandom r = new SplittableRandom(11);
    for (int trial = 0; trial < 200; trial++) {
      int parts = 1 + r.nextInt(5);
      long[] target = new long[width + 4];
      java.util.Arrays.fill(target, 0, 2, 0x5A5A5A5AL);
      java.util.Arrays.fill(target, 2 + width, target.length, -0x5A5A5A5AL);
      java.util.List<ColumnAggregates.Accumulator> objects = new java.util.ArrayList<>();
      for (int part = 0; part < parts; part++) {
        long[] partial = new long[width + 1];
        int rows = r.nextInt(4) == 0 ? 0 : r.nextInt(50);
        for (int i = 0; i < rows; i++) {
          Double x = r.nextInt(7) == 0 ? null : Math.round(r.nextDouble(-900, 900) * 100) / 100.0;
          Double y = r.nextInt(7) == 0 ? null : r.nextDouble(-1e9, 1e9);
          Long n = r.nextInt(7) == 0 ? null : r.nextLong(-1L << 40, 1L << 40);
          assertTrue(fn.addFlat(partial, 1, Row.withSchema(IN).addValues(x, y, n).build()));
        }
        objects.add(fn.fromFlat(partial, 1));
        assertTrue(fn.mergeFlat(target, 2, partial, 1));
      }
      ColumnAggregates.Accumulator expected = fn.mergeAccumulators(objects);
      ColumnAggregates.Accumulator actual = fn.fromFlat(target, 2);
      assertEquals(fn.extractOutput(expected), fn.extractOutput(actual));
      assertArrayEquals(
          org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(coder, expected),
          org.apache.beam.sdk.util.CoderUtils.encodeToByteArray(coder, actual));
      for (int i = 0; i < 2; i++) {
        assertEquals(0x5A5A5A5AL, target[i]);
        assertEquals(-0x5A5A5A5AL, target[2 + width + i]);
      }
    }
  }
}
