package dev.tripflow.transforms;

import dev.tripflow.transforms.util.ExactSum;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.VarIntCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
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
public final class ColumnAggregates extends CombineFn<Row, ColumnAggregates.Accumulator, Row> {
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

  private ColumnAggregates(Schema inputSchema, List<Aggregate> aggregates) {
    this.inputSchema = inputSchema;
    this.aggregates = aggregates;
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

  /** Partial aggregate state: an exact sum and a non-null count per aggregate, and a row count. */
  public static final class Accumulator {
    final ExactSum[] sums;
    final long[] counts;
    long rows;

    Accumulator(int n) {
      sums = new ExactSum[n];
      counts = new long[n];
    }
  }

  @Override
  public Accumulator createAccumulator() {
    return new Accumulator(aggregates.size());
  }

  @Override
  public Accumulator addInput(Accumulator acc, Row row) {
    acc.rows++;
    for (int i = 0; i < aggregates.size(); i++) {
      Aggregate a = aggregates.get(i);
      if (a.kind == Kind.COUNT_ALL) {
        continue;
      }
      Object v = row.getValue(a.inputIndex);
      if (v == null) {
        continue;
      }
      acc.counts[i]++;
      if (a.kind != Kind.COUNT) {
        ExactSum s = acc.sums[i];
        if (s == null) {
          s = acc.sums[i] = new ExactSum();
        }
        s.add(((Number) v).doubleValue());
      }
    }
    return acc;
  }

  @Override
  public Accumulator mergeAccumulators(Iterable<Accumulator> accumulators) {
    Accumulator merged = createAccumulator();
    for (Accumulator acc : accumulators) {
      merged.rows += acc.rows;
      for (int i = 0; i < merged.counts.length; i++) {
        merged.counts[i] += acc.counts[i];
        if (acc.sums[i] != null) {
          if (merged.sums[i] == null) {
            merged.sums[i] = new ExactSum();
          }
          merged.sums[i].addAll(acc.sums[i]);
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
      switch (a.kind) {
        case COUNT_ALL:
          values[i] = acc.rows;
          break;
        case COUNT:
          values[i] = acc.counts[i];
          break;
        case SUM:
          values[i] = acc.counts[i] == 0 ? null : acc.sums[i].value();
          break;
        case AVG:
          values[i] = acc.counts[i] == 0 ? null : acc.sums[i].value() / acc.counts[i];
          break;
        default:
          throw new AssertionError(a.kind);
      }
    }
    // The values match the output schema by construction: attach them without the builder's
    // per-field checks.
    return Row.withSchema(outputSchema).attachValues(java.util.Arrays.asList(values));
  }

  @Override
  public Coder<Accumulator> getAccumulatorCoder(CoderRegistry registry, Coder<Row> inputCoder) {
    return new AccumulatorCoder(aggregates.size());
  }

  @Override
  public Coder<Row> getDefaultOutputCoder(CoderRegistry registry, Coder<Row> inputCoder) {
    return org.apache.beam.sdk.coders.RowCoder.of(outputSchema);
  }

  /** Encodes accumulators compactly: counts, then each sum's partials. */
  static final class AccumulatorCoder extends CustomCoder<Accumulator> {
    private static final long serialVersionUID = 1L;
    private static final VarLongCoder LONG = VarLongCoder.of();
    private static final VarIntCoder INT = VarIntCoder.of();
    private static final DoubleCoder DOUBLE = DoubleCoder.of();
    private final int size;

    AccumulatorCoder(int size) {
      this.size = size;
    }

    @Override
    public void encode(Accumulator acc, OutputStream out) throws IOException {
      LONG.encode(acc.rows, out);
      for (int i = 0; i < size; i++) {
        LONG.encode(acc.counts[i], out);
        ExactSum s = acc.sums[i];
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
      Accumulator acc = new Accumulator(size);
      acc.rows = LONG.decode(in);
      for (int i = 0; i < size; i++) {
        acc.counts[i] = LONG.decode(in);
        int n = INT.decode(in);
        if (n < 0) {
          continue;
        }
        double[] partials = new double[n];
        for (int p = 0; p < n; p++) {
          partials[p] = DOUBLE.decode(in);
        }
        boolean special = in.read() == 1;
        double specialValue = special ? DOUBLE.decode(in) : 0.0;
        acc.sums[i] = ExactSum.fromState(partials, n, special, specialValue);
      }
      return acc;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof AccumulatorCoder other && other.size == size;
    }

    @Override
    public int hashCode() {
      return Objects.hash(AccumulatorCoder.class, size);
    }
  }
}
