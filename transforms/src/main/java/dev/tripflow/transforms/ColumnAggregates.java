package dev.tripflow.transforms;

import dev.tripflow.spi.FlatAccumulators;
import dev.tripflow.transforms.util.ExactSum;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.values.Row;

/**
 * A combine that computes SQL aggregates ({@code SUM}, {@code AVG}, {@code COUNT(col)}, {@code
 * COUNT(*)}) over numeric columns of schema'd rows, with SQL null semantics: nulls are skipped, a
 * {@code SUM} or {@code AVG} over no non-null value is null.
 *
 * <p>Sums are exact ({@link ExactSum}), so results do not depend on element order or on how a
 * runner splits and merges partial aggregates. Being a {@link CombineFn}, runners lift it: partial
 * aggregation happens before the shuffle.
 *
 * <pre>{@code
 * ColumnAggregates sums = ColumnAggregates.over(TaxiSchemas.TRIPS)
 *     .sum("fare_amount", "revenue_monthly_fare")
 *     .avg("trip_distance", "avg_monthly_trip_distance")
 *     .countAll("number_records");
 * }</pre>
 */
public final class ColumnAggregates extends CombineFn<Row, ColumnAggregates.Accumulator, Row>
    implements FlatAccumulators<Row, ColumnAggregates.Accumulator> {
  private static final long serialVersionUID = 1L;

  /** The aggregate functions supported. */
  public enum Kind {
    SUM,
    AVG,
    COUNT,
    COUNT_ALL
  }

  /** One output column: a function applied to an input column. */
  public static final class Aggregate implements Serializable {
    private static final long serialVersionUID = 1L;
    final Kind kind;
    final String inputColumn;
    final String outputColumn;
    final int inputIndex;

    Aggregate(Kind kind, String inputColumn, String outputColumn, int inputIndex) {
      this.kind = kind;
      this.inputColumn = inputColumn;
      this.outputColumn = outputColumn;
      this.inputIndex = inputIndex;
    }
  }

  private final Schema inputSchema;
  private final List<Aggregate> aggregates;
  private final Schema outputSchema;
  // Attaches values to output rows; it keeps none, so one serves every key on every thread.
  private transient Row.Builder rows;
  // Where each aggregate's state starts in an accumulator's array: a count for COUNT, a count and
  // three fixed-point words for SUM and AVG, nothing for COUNT(*) (the row count).
  private final int[] offsets;
  private final int stateLength;
  // Per aggregate, for the per-row loop: its input column (-1 for COUNT(*)), whether it sums.
  private final int[] inputs;
  private final boolean[] summed;

  private ColumnAggregates(Schema inputSchema, List<Aggregate> aggregates) {
    this.inputSchema = inputSchema;
    this.aggregates = aggregates;
    this.offsets = new int[aggregates.size()];
    this.inputs = new int[aggregates.size()];
    this.summed = new boolean[aggregates.size()];
    int next = 0;
    for (int i = 0; i < offsets.length; i++) {
      Kind kind = aggregates.get(i).kind;
      inputs[i] = kind == Kind.COUNT_ALL ? -1 : aggregates.get(i).inputIndex;
      summed[i] = kind == Kind.SUM || kind == Kind.AVG;
      offsets[i] = kind == Kind.COUNT_ALL ? -1 : next;
      next += kind == Kind.COUNT_ALL ? 0 : kind == Kind.COUNT ? 1 : 4;
    }
    this.stateLength = next;
    Schema.Builder out = Schema.builder();
    for (Aggregate a : aggregates) {
      if (a.kind == Kind.COUNT || a.kind == Kind.COUNT_ALL) {
        out.addField(a.outputColumn, FieldType.INT64);
      } else {
        out.addNullableField(a.outputColumn, FieldType.DOUBLE);
      }
    }
    this.outputSchema = out.build();
  }

  /** Starts an empty list of aggregates over rows of {@code inputSchema}. */
  public static ColumnAggregates over(Schema inputSchema) {
    return new ColumnAggregates(inputSchema, List.of());
  }

  /** Adds {@code SUM(column) AS output}. */
  public ColumnAggregates sum(String column, String output) {
    return with(Kind.SUM, column, output);
  }

  /** Adds {@code AVG(column) AS output}. */
  public ColumnAggregates avg(String column, String output) {
    return with(Kind.AVG, column, output);
  }

  /** Adds {@code COUNT(column) AS output}: rows where the column is not null. */
  public ColumnAggregates count(String column, String output) {
    return with(Kind.COUNT, column, output);
  }

  /** Adds {@code COUNT(*) AS output}. */
  public ColumnAggregates countAll(String output) {
    List<Aggregate> next = new ArrayList<>(aggregates);
    next.add(new Aggregate(Kind.COUNT_ALL, null, output, -1));
    return new ColumnAggregates(inputSchema, next);
  }

  private ColumnAggregates with(Kind kind, String column, String output) {
    if (!inputSchema.hasField(column)) {
      throw new IllegalArgumentException(
          kind + "(" + column + "): no such column; the input has " + inputSchema.getFieldNames());
    }
    FieldType type = inputSchema.getField(column).getType();
    if (!type.getTypeName().isNumericType()) {
      throw new IllegalArgumentException(
          kind + "(" + column + "): column is " + type.getTypeName() + ", not numeric");
    }
    List<Aggregate> next = new ArrayList<>(aggregates);
    next.add(new Aggregate(kind, column, output, inputSchema.indexOf(column)));
    return new ColumnAggregates(inputSchema, next);
  }

  /** The schema of the rows this combine outputs: one field per aggregate, in order. */
  public Schema outputSchema() {
    return outputSchema;
  }

  /** The schema of the rows this combine reads. */
  public Schema inputSchema() {
    return inputSchema;
  }

  /**
   * Partial aggregate state, one object and one array: a row count, and per aggregate its count of
   * non-null values and its exact sum's fixed-point words ({@link ExactSum#addFixed(long[], int,
   * double)}), with an {@link ExactSum} only for the rare values the fixed point cannot hold. (A
   * lifted combine keeps one per key: an hourly report of millions of keys reads them at random, so
   * every further object per key is another cache miss.)
   */
  public static final class Accumulator {
    long rows;
    // Per aggregate at its offset: its count, then (SUM, AVG) its sum's fixed-point words.
    final long[] state;
    // Per aggregate, what the fixed point cannot hold; null until a value needs it.
    ExactSum[] overflow;
    private final int aggregates;

    Accumulator(int stateLength, int aggregates) {
      this.state = new long[stateLength];
      this.aggregates = aggregates;
    }

    void add(int i, int off, double x) {
      if (!ExactSum.addFixed(state, off + 1, x)) {
        overflow(i).add(x);
      }
    }

    ExactSum overflow(int i) {
      if (overflow == null) {
        overflow = new ExactSum[aggregates];
      }
      if (overflow[i] == null) {
        overflow[i] = new ExactSum();
      }
      return overflow[i];
    }

    /** Aggregate i's exact sum (its state at {@code off}), rounded once. */
    double sum(int i, int off) {
      if (overflow == null || overflow[i] == null) {
        return ExactSum.fixedValue(state, off + 1);
      }
      ExactSum all = new ExactSum();
      all.addAll(overflow[i]);
      all.addFixedState(state, off + 1);
      return all.value();
    }
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator(stateLength, aggregates.size());
  }

  @Override
  public Accumulator addInput(Accumulator acc, Row row) {
    acc.rows++;
    List<Object> values = row.getValues();
    for (int i = 0; i < inputs.length; i++) {
      int input = inputs[i];
      if (input < 0) {
        continue; // COUNT(*): the row count
      }
      Object v = values.get(input);
      if (v == null) {
        continue;
      }
      int off = offsets[i];
      acc.state[off]++;
      if (summed[i]) {
        acc.add(i, off, ((Number) v).doubleValue());
      }
    }
    return acc;
  }

  /** The flat form: the row count, then the accumulator's state words. */
  @Override
  public int flatWidth() {
    return 1 + stateLength;
  }

  @Override
  public boolean addFlat(long[] flat, int offset, Row row) {
    List<Object> values = row.getValues();
    // First whether every value fits the fixed point: a value that does not changes nothing.
    for (int i = 0; i < inputs.length; i++) {
      if (summed[i]) {
        Object v = values.get(inputs[i]);
        if (v != null && !ExactSum.fitsFixed(((Number) v).doubleValue())) {
          return false;
        }
      }
    }
    flat[offset]++;
    int state = offset + 1;
    for (int i = 0; i < inputs.length; i++) {
      int input = inputs[i];
      if (input < 0) {
        continue; // COUNT(*): the row count
      }
      Object v = values.get(input);
      if (v == null) {
        continue;
      }
      int off = state + offsets[i];
      flat[off]++;
      if (summed[i]) {
        ExactSum.addFixed(flat, off + 1, ((Number) v).doubleValue());
      }
    }
    return true;
  }

  @Override
  public Accumulator fromFlat(long[] flat, int offset) {
    Accumulator acc = createAccumulator();
    acc.rows = flat[offset];
    System.arraycopy(flat, offset + 1, acc.state, 0, stateLength);
    return acc;
  }

  @Override
  public boolean mergesFlat() {
    return true;
  }

  /**
   * Adds the row counts, the counts and the 192-bit fixed-point sums, as mergeAccumulators does.
   */
  @Override
  public boolean mergeFlat(long[] flat, int offset, long[] from, int fromOffset) {
    flat[offset] += from[fromOffset];
    for (int i = 0; i < offsets.length; i++) {
      int off = offsets[i];
      if (off < 0) {
        continue;
      }
      int to = offset + 1 + off;
      int of = fromOffset + 1 + off;
      flat[to] += from[of];
      if (aggregates.get(i).kind != Kind.COUNT) {
        ExactSum.addFixedTo(flat, to + 1, from, of + 1);
      }
    }
    return true;
  }

  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    java.util.Iterator<Accumulator> it = accumulators.iterator();
    Accumulator merged = it.hasNext() ? it.next() : createAccumulator();
    while (it.hasNext()) {
      Accumulator other = it.next();
      merged.rows += other.rows;
      for (int i = 0; i < offsets.length; i++) {
        int off = offsets[i];
        if (off < 0) {
          continue;
        }
        merged.state[off] += other.state[off];
        if (aggregates.get(i).kind != Kind.COUNT) {
          ExactSum.addFixedTo(merged.state, off + 1, other.state, off + 1);
          if (other.overflow != null && other.overflow[i] != null) {
            merged.overflow(i).addAll(other.overflow[i]);
          }
        }
      }
    }
    return merged;
  }

  @Override
  public Row extractOutput(Accumulator acc) {
    Object[] values = new Object[aggregates.size()];
    for (int i = 0; i < values.length; i++) {
      Aggregate a = aggregates.get(i);
      int off = offsets[i];
      long count = off < 0 ? acc.rows : acc.state[off];
      switch (a.kind) {
        case COUNT_ALL:
          values[i] = acc.rows;
          break;
        case COUNT:
          values[i] = count;
          break;
        case SUM:
          values[i] = count == 0 ? null : acc.sum(i, off);
          break;
        case AVG:
          values[i] = count == 0 ? null : acc.sum(i, off) / count;
          break;
        default:
          throw new AssertionError(a.kind);
      }
    }
    // The values match the output schema by construction: attach them without the builder's
    // per-field checks.
    Row.Builder b = rows;
    if (b == null) {
      b = rows = Row.withSchema(outputSchema);
    }
    return b.attachValues(java.util.Arrays.asList(values));
  }

  @Override
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<Row> inputCoder) {
    return new AccumulatorCoder(aggregates.size(), stateLength);
  }

  @Override
  public Coder<Row> getDefaultOutputCoder(CoderRegistry registry, Coder<Row> inputCoder) {
    return org.apache.beam.sdk.coders.RowCoder.of(outputSchema);
  }

  /** Encodes accumulators compactly: counts and fixed-point words, then any overflow partials. */
  static final class AccumulatorCoder extends CustomCoder<Accumulator> {
    private static final long serialVersionUID = 1L;
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private final int size;
    private final int stateLength;

    AccumulatorCoder(int size, int stateLength) {
      this.size = size;
      this.stateLength = stateLength;
    }

    /*
     * Layout: the length of the fixed part, then the fixed part (a flag byte, 1 when an aggregate
     * has an overflow sum; the row count and every state word as zigzag varints), then, when
     * flagged, each aggregate's overflow sum. The fixed part is written and read as one block: a
     * lifted combine encodes and decodes millions of accumulators, and a call to the stream per
     * byte of every varint was a twentieth of the hourly revenue's time.
     */
    @Override
    public void encode(Accumulator acc, OutputStream out) throws IOException {
      byte[] buf = new byte[1 + 10 * (stateLength + 1)];
      boolean overflows = false;
      if (acc.overflow != null) {
        for (ExactSum s : acc.overflow) {
          overflows |= s != null;
        }
      }
      buf[0] = (byte) (overflows ? 1 : 0);
      int n = putZigZag(buf, 1, acc.rows);
      for (int w = 0; w < stateLength; w++) {
        n = putZigZag(buf, n, acc.state[w]);
      }
      INT.encode(n, out);
      out.write(buf, 0, n);
      if (!overflows) {
        return;
      }
      for (int i = 0; i < size; i++) {
        ExactSum s = acc.overflow[i];
        if (s == null) {
          INT.encode(-1, out);
          continue;
        }
        INT.encode(s.partialCount(), out);
        for (int p = 0; p < s.partialCount(); p++) {
          DOUBLE.encode(s.partial(p), out);
        }
        out.write(s.hasSpecial() ? 1 : 0);
        if (s.hasSpecial()) {
          DOUBLE.encode(s.special(), out);
        }
      }
    }

    @Override
    public Accumulator decode(InputStream in) throws IOException {
      int n = INT.decode(in);
      if (n < 1 || n > 1 + 10 * (stateLength + 1)) {
        throw new CoderException("corrupt accumulator: fixed part of " + n + " bytes");
      }
      byte[] buf = new byte[n];
      if (in.readNBytes(buf, 0, n) != n) {
        throw new CoderException("truncated accumulator");
      }
      Accumulator acc = new Accumulator(stateLength, size);
      int[] at = {1};
      acc.rows = getZigZag(buf, at);
      for (int w = 0; w < stateLength; w++) {
        acc.state[w] = getZigZag(buf, at);
      }
      if (buf[0] == 0) {
        return acc;
      }
      for (int i = 0; i < size; i++) {
        int count = INT.decode(in);
        if (count < 0) {
          continue;
        }
        double[] partials = new double[count];
        for (int p = 0; p < count; p++) {
          partials[p] = DOUBLE.decode(in);
        }
        boolean special = in.read() == 1;
        double specialValue = special ? DOUBLE.decode(in) : 0.0;
        acc.overflow(i);
        acc.overflow[i] = ExactSum.fromState(partials, count, special, specialValue);
      }
      return acc;
    }

    /** Writes {@code v} zigzag-encoded as a varint at {@code buf[at]}; returns the end. */
    private static int putZigZag(byte[] buf, int at, long v) {
      long z = (v << 1) ^ (v >> 63);
      while ((z & ~0x7FL) != 0) {
        buf[at++] = (byte) ((z & 0x7F) | 0x80);
        z >>>= 7;
      }
      buf[at++] = (byte) z;
      return at;
    }

    /** Reads a zigzag varint at {@code buf[at[0]]}, advancing {@code at[0]}. */
    private static long getZigZag(byte[] buf, int[] at) throws CoderException {
      long z = 0;
      int i = at[0];
      for (int shift = 0; shift < 64; shift += 7) {
        if (i >= buf.length) {
          throw new CoderException("corrupt accumulator: a varint runs past its block");
        }
        byte b = buf[i++];
        z |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          at[0] = i;
          return (z >>> 1) ^ -(z & 1);
        }
      }
      throw new CoderException("corrupt accumulator: a varint longer than 10 bytes");
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof AccumulatorCoder other
          && other.size == size
          && other.stateLength == stateLength;
    }

    @Override
    public int hashCode() {
      return Objects.hash(AccumulatorCoder.class, size, stateLength);
    }
  }
}
