package dev.tripflow.transforms;

import static org.junit.Assert.assertEquals;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

public class ColumnAggregatesCoderTest {
  private static final Schema IN =
      Schema.builder()
          .addNullableField("x", FieldType.DOUBLE)
          .addNullableField("y", FieldType.DOUBLE)
          .build();

  private static ColumnAggregates fn() {
    return ColumnAggregates.over(IN).sum("x", "sx").avg("y", "ay").count("y", "cy").countAll("n");
  }

  /**
   * Accumulators survive encoding: negative, fractional, huge (beyond the fixed point: kept as an
   * overflow sum), infinite and NaN values, nulls and empty accumulators give the same output
   * decoded as before, and merging decoded halves gives the whole's output.
   */
  @Test
  public void accumulatorsRoundTripThroughTheirCoder() throws Exception {
    ColumnAggregates fn = fn();
    Coder<ColumnAggregates.Accumulator> coder = fn.getAccumulatorCoder(null, RowCoder.of(IN));
    SplittableRandom r = new SplittableRandom(7);
    double[] specials = {
      -0.0,
      1e300,
      -1e300,
      1e-300,
      Double.MAX_VALUE,
      Double.MIN_VALUE,
      Double.NaN,
      Double.POSITIVE_INFINITY,
      -12.34,
      5e20
    };
    for (int trial = 0; trial < 200; trial++) {
      ColumnAggregates.Accumulator a = fn.createAccumulator();
      ColumnAggregates.Accumulator b = fn.createAccumulator();
      ColumnAggregates.Accumulator whole = fn.createAccumulator();
      int rows = trial % 10 == 0 ? 0 : r.nextInt(50);
      for (int i = 0; i < rows; i++) {
        Double x = null;
        if (r.nextInt(10) != 0) {
          x = Math.round(r.nextDouble(-500, 500) * 100) / 100.0;
        }
        Double y = null;
        if (r.nextInt(8) == 0 && trial % 3 == 0) {
          y = specials[r.nextInt(specials.length)];
        } else if (r.nextInt(10) != 0) {
          y = r.nextDouble(-1e6, 1e6);
        }
        Row row = Row.withSchema(IN).addValues(x, y).build();
        fn.addInput(i % 2 == 0 ? a : b, row);
        fn.addInput(whole, row);
      }
      Row expected = fn.extractOutput(whole);
      ColumnAggregates.Accumulator da = roundTrip(coder, a);
      ColumnAggregates.Accumulator db = roundTrip(coder, b);
      assertEquals(fn.extractOutput(a), fn.extractOutput(da));
      List<ColumnAggregates.Accumulator> halves = new ArrayList<>(List.of(da, db));
      assertEquals(expected, fn.extractOutput(fn.mergeAccumulators(halves)));
    }
  }

  /** A truncated or corrupt encoding is a clear coder error, not a wrong accumulator. */
  @Test
  public void corruptEncodingsAreRefused() throws Exception {
    ColumnAggregates fn = fn();
    Coder<ColumnAggregates.Accumulator> coder = fn.getAccumulatorCoder(null, RowCoder.of(IN));
    ColumnAggregates.Accumulator acc = fn.createAccumulator();
    fn.addInput(acc, Row.withSchema(IN).addValues(1.5, 2.5).build());
    byte[] bytes = CoderUtils.encodeToByteArray(coder, acc);
    byte[] truncated = java.util.Arrays.copyOf(bytes, bytes.length - 2);
    org.junit.Assert.assertThrows(
        CoderException.class, () -> CoderUtils.decodeFromByteArray(coder, truncated));
    byte[] huge = bytes.clone();
    huge[0] = 127;
    org.junit.Assert.assertThrows(
        CoderException.class, () -> CoderUtils.decodeFromByteArray(coder, huge));
  }

  private static ColumnAggregates.Accumulator roundTrip(
      Coder<ColumnAggregates.Accumulator> coder, ColumnAggregates.Accumulator acc)
      throws Exception {
    return CoderUtils.decodeFromByteArray(coder, CoderUtils.encodeToByteArray(coder, acc));
  }
}
