package dev.tripflow.transforms.sql;

import dev.tripflow.transforms.Udfs;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.extensions.sql.SqlTransform;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Beam SQL over named tables, like {@code spark.sql} over temp views: the query may use the
 * course's Spark forms ({@code date_trunc}, {@code GROUP BY 1, 2}, timestamp strings; see {@link
 * SqlRewriter}) and the UDF {@code crazy_stuff(base_num)}.
 *
 * <p>Local date-time columns are handed to the SQL engine as instants on a UTC clock and turned
 * back into local date-times afterwards, so no result depends on the JVM's time zone (Beam SQL
 * otherwise routes local date-times through it).
 *
 * <pre>{@code
 * PCollection<Row> out = PCollectionTuple.of(new TupleTag<>("trips_data"), trips)
 *     .apply(TripflowSql.query("SELECT date_trunc('month', pickup_datetime) ... GROUP BY 1, 2, 3"));
 * }</pre>
 */
public final class TripflowSql extends PTransform<PCollectionTuple, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private final String query;

  private TripflowSql(String query) {
    this.query = query;
  }

  /** A query over the tuple's collections, each named by its tag's id. */
  public static TripflowSql query(String sql) {
    return new TripflowSql(sql);
  }

  /** The {@code crazy_stuff} UDF, registered in every query. */
  public static final class CrazyStuff implements SerializableFunction<String, String> {
    private static final long serialVersionUID = 1L;

    @Override
    public String apply(String baseNum) {
      return Udfs.crazyStuff(baseNum);
    }
  }

  @Override
  public PCollection<Row> expand(PCollectionTuple tables) {
    String rewritten = SqlRewriter.rewrite(query);
    PCollectionTuple engineTables = PCollectionTuple.empty(tables.getPipeline());
    for (Map.Entry<TupleTag<?>, org.apache.beam.sdk.values.PCollection<?>> e :
        tables.getAll().entrySet()) {
      @SuppressWarnings("unchecked")
      PCollection<Row> table = (PCollection<Row>) e.getValue();
      String name = e.getKey().getId();
      Schema engineSchema = toEngine(table.getSchema());
      engineTables =
          engineTables.and(
              name,
              table
                  .apply("ToSqlClock_" + name, ParDo.of(new ConvertFn(engineSchema, true)))
                  .setRowSchema(engineSchema));
    }
    PCollection<Row> result =
        engineTables.apply(
            "Sql", SqlTransform.query(rewritten).registerUdf("crazy_stuff", new CrazyStuff()));
    Schema out = fromEngine(result.getSchema());
    return result.apply("FromSqlClock", ParDo.of(new ConvertFn(out, false))).setRowSchema(out);
  }

  private static boolean isLocalDateTime(FieldType t) {
    return t.getTypeName() == Schema.TypeName.LOGICAL_TYPE
        && t.getLogicalType().getIdentifier().equals(SqlTypes.DATETIME.getIdentifier());
  }

  static Schema toEngine(Schema s) {
    Schema.Builder b = Schema.builder();
    for (Field f : s.getFields()) {
      b.addField(
          isLocalDateTime(f.getType())
              ? Field.of(f.getName(), FieldType.DATETIME.withNullable(f.getType().getNullable()))
              : f);
    }
    return b.build();
  }

  static Schema fromEngine(Schema s) {
    Schema.Builder b = Schema.builder();
    for (Field f : s.getFields()) {
      b.addField(
          f.getType().getTypeName() == Schema.TypeName.DATETIME
              ? Field.of(
                  f.getName(),
                  FieldType.logicalType(SqlTypes.DATETIME).withNullable(f.getType().getNullable()))
              : f);
    }
    return b.build();
  }

  /** Converts local date-times to UTC-clock instants (to the engine) or back. */
  static final class ConvertFn extends DoFn<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final Schema out;
    private final boolean toEngine;

    ConvertFn(Schema out, boolean toEngine) {
      this.out = out;
      this.toEngine = toEngine;
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> receiver) {
      List<Object> values = new ArrayList<>(row.getFieldCount());
      for (int i = 0; i < row.getFieldCount(); i++) {
        Object v = row.getValue(i);
        if (v instanceof LocalDateTime t && toEngine) {
          if (t.getNano() % 1_000_000 != 0) {
            t = t.withNano(t.getNano() / 1_000_000 * 1_000_000); // the engine keeps milliseconds
          }
          v = new Instant(t.toInstant(ZoneOffset.UTC).toEpochMilli());
        } else if (!toEngine && v instanceof org.joda.time.ReadableInstant instant) {
          v =
              LocalDateTime.ofEpochSecond(
                  Math.floorDiv(instant.getMillis(), 1000L),
                  (int) Math.floorMod(instant.getMillis(), 1000L) * 1_000_000,
                  ZoneOffset.UTC);
        }
        values.add(v);
      }
      receiver.output(Row.withSchema(out).attachValues(values));
    }
  }
}
