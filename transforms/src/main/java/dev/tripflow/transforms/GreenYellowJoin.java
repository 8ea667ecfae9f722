package dev.tripflow.transforms;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The full outer join of green and yellow hourly revenue on (hour, zone), through {@link
 * CoGroupByKey}: columns hour, zone, green_amount, green_number_records, yellow_amount,
 * yellow_number_records, null where a side has no row.
 *
 * <p>SQL semantics: a null zone equals nothing, so rows with a null zone are never joined; each
 * appears on its own with the other side null.
 *
 * <pre>{@code
 * PCollection<Row> joined = GreenYellowJoin.of(greenHourly, yellowHourly);
 * }</pre>
 */
public final class GreenYellowJoin extends PTransform<PBegin, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  /** The joined schema. */
  public static final Schema SCHEMA =
      Schema.builder()
          .addFields(HourlyZoneRevenue.KEY.getFields())
          .addNullableField("green_amount", FieldType.DOUBLE)
          .addNullableField("green_number_records", FieldType.INT64)
          .addNullableField("yellow_amount", FieldType.DOUBLE)
          .addNullableField("yellow_number_records", FieldType.INT64)
          .build();

  private final transient PCollection<Row> green;
  private final transient PCollection<Row> yellow;

  private GreenYellowJoin(PCollection<Row> green, PCollection<Row> yellow) {
    this.green = green;
    this.yellow = yellow;
  }

  /** Joins two {@link HourlyZoneRevenue#SCHEMA} collections. */
  public static PCollection<Row> of(PCollection<Row> green, PCollection<Row> yellow) {
    return green.getPipeline().apply("JoinGreenAndYellow", new GreenYellowJoin(green, yellow));
  }

  @Override
  public PCollection<Row> expand(PBegin begin) {
    TupleTag<Row> greenTag = new TupleTag<>("green");
    TupleTag<Row> yellowTag = new TupleTag<>("yellow");
    return KeyedPCollectionTuple.of(greenTag, keyed("KeyGreen", green))
        .and(yellowTag, keyed("KeyYellow", yellow))
        // Bring each (hour, zone)'s green and yellow rows together.
        .apply("CoGroupByHourAndZone", CoGroupByKey.create())
        // One joined row per key; null-zone rows stay apart, as in SQL.
        .apply("OuterJoinRows", ParDo.of(new JoinFn(greenTag, yellowTag)))
        .setRowSchema(SCHEMA);
  }

  private static PCollection<KV<HourZone, Row>> keyed(String name, PCollection<Row> hourly) {
    if (!hourly.getSchema().equals(HourlyZoneRevenue.SCHEMA)) {
      throw new IllegalArgumentException(
          "GreenYellowJoin joins HourlyZoneRevenue output, not " + hourly.getSchema());
    }
    return hourly
        .apply(name, ParDo.of(new KeyFn()))
        .setCoder(KvCoder.of(HourZone.CODER, RowCoder.of(HourlyZoneRevenue.SCHEMA)));
  }

  static final class KeyFn extends DoFn<Row, KV<HourZone, Row>> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<KV<HourZone, Row>> out) {
      out.output(KV.of(HourZone.of(row.getValue(0), row.getValue(1)), row));
    }
  }

  static final class JoinFn extends DoFn<KV<HourZone, CoGbkResult>, Row> {
    private static final long serialVersionUID = 1L;
    private final TupleTag<Row> greenTag;
    private final TupleTag<Row> yellowTag;

    JoinFn(TupleTag<Row> greenTag, TupleTag<Row> yellowTag) {
      this.greenTag = greenTag;
      this.yellowTag = yellowTag;
    }

    @ProcessElement
    public void process(@Element KV<HourZone, CoGbkResult> kv, OutputReceiver<Row> out) {
      HourZone key = kv.getKey();
      Iterable<Row> greens = kv.getValue().getAll(greenTag);
      Iterable<Row> yellows = kv.getValue().getAll(yellowTag);
      if (key.zone() == null) {
        for (Row g : greens) {
          out.output(joined(key, g, null));
        }
        for (Row y : yellows) {
          out.output(joined(key, null, y));
        }
        return;
      }
      // Each side has at most one row per key (it is an aggregate); join them.
      Row g = single(greens);
      Row y = single(yellows);
      if (g != null || y != null) {
        out.output(joined(key, g, y));
      }
    }

    private static Row single(Iterable<Row> rows) {
      Iterator<Row> it = rows.iterator();
      if (!it.hasNext()) {
        return null;
      }
      Row first = it.next();
      if (it.hasNext()) {
        throw new IllegalStateException(
            "GreenYellowJoin: two rows for key ("
                + first.getValue(0)
                + ", "
                + first.getValue(1)
                + "); inputs must be aggregated per (hour, zone)");
      }
      return first;
    }

    // Attaching values keeps nothing in the builder: one serves every row, on every thread.
    private static final Row.Builder ROWS = Row.withSchema(SCHEMA);

    private static Row joined(HourZone key, Row green, Row yellow) {
      List<Object> v = new ArrayList<>(6);
      v.add(key.hour());
      v.add(key.zone());
      v.add(green == null ? null : green.getValue(2));
      v.add(green == null ? null : green.getValue(3));
      v.add(yellow == null ? null : yellow.getValue(2));
      v.add(yellow == null ? null : yellow.getValue(3));
      return ROWS.attachValues(v);
    }
  }
}
