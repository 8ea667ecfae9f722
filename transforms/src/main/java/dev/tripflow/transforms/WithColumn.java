package dev.tripflow.transforms;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Spark's {@code withColumn}: appends a column computed from each row (or replaces the column of
 * that name, keeping its position).
 *
 * <pre>{@code
 * trips.apply(WithColumn.of("base_id", FieldType.STRING,
 *     row -> Udfs.crazyStuff(row.getString("dispatching_base_num"))));
 * }</pre>
 */
public final class WithColumn extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private final String name;
  private final FieldType type;
  private final SerializableFunction<Row, Object> fn;

  private WithColumn(String name, FieldType type, SerializableFunction<Row, Object> fn) {
    this.name = name;
    this.type = type;
    this.fn = fn;
  }

  /** A column {@code name} of {@code type} (nullable) whose value is {@code fn(row)}. */
  public static WithColumn of(String name, FieldType type, SerializableFunction<Row, Object> fn) {
    return new WithColumn(name, type, fn);
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> input) {
    Schema in = input.getSchema();
    Schema.Builder b = Schema.builder();
    int replaced = in.hasField(name) ? in.indexOf(name) : -1;
    for (Schema.Field f : in.getFields()) {
      b.addField(f.getName().equals(name) ? Schema.Field.nullable(name, type) : f);
    }
    if (replaced < 0) {
      b.addNullableField(name, type);
    }
    Schema out = b.build();
    return input
        .apply("Compute_" + name, ParDo.of(new ComputeFn(fn, out, replaced)))
        .setRowSchema(out);
  }

  static final class ComputeFn extends DoFn<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final SerializableFunction<Row, Object> fn;
    private final Schema out;
    private final int replaced;
    private transient Row.Builder rows;

    ComputeFn(SerializableFunction<Row, Object> fn, Schema out, int replaced) {
      this.fn = fn;
      this.out = out;
      this.replaced = replaced;
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> receiver) {
      List<Object> values = new ArrayList<>(row.getValues());
      Object v = fn.apply(row);
      if (replaced >= 0) {
        values.set(replaced, v);
      } else {
        values.add(v);
      }
      if (rows == null) {
        rows = Row.withSchema(out);
      }
      receiver.output(rows.attachValues(values));
    }
  }
}
