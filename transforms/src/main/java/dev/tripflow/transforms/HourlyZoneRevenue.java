package dev.tripflow.transforms;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Revenue per pickup hour and zone of one service's trips, as the course's
 *
 * <pre>{@code
 * SELECT date_trunc('hour', pickup_datetime) AS hour, PULocationID AS zone,
 *        SUM(total_amount) AS amount, COUNT(1) AS number_records
 * FROM trips WHERE pickup_datetime >= :since GROUP BY 1, 2
 * }</pre>
 *
 * <p>Reads normalised trips ({@link NormalizeTrips}); trips with no pickup time fail the filter, as
 * in SQL. Written as a lifted {@link Combine#perKey} with exact sums.
 *
 * <pre>{@code
 * PCollection<Row> hourly = greenTrips.apply(HourlyZoneRevenue.since(LocalDateTime.of(2020, 1, 1, 0, 0)));
 * }</pre>
 */
public final class HourlyZoneRevenue extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  /** The grouping key: pickup hour and zone. */
  public static final Schema KEY =
      Schema.builder()
          .addField("hour", TaxiSchemas.DATETIME)
          .addNullableField("zone", FieldType.INT64)
          .build();

  /** The output: hour, zone, amount, number_records. */
  public static final Schema SCHEMA =
      Schema.builder()
          .addFields(KEY.getFields())
          .addNullableField("amount", FieldType.DOUBLE)
          .addField("number_records", FieldType.INT64)
          .build();

  private final LocalDateTime since;

  private HourlyZoneRevenue(LocalDateTime since) {
    this.since = since;
  }

  /** Revenue of trips picked up at or after {@code since} (null: every trip with a pickup time). */
  public static HourlyZoneRevenue since(LocalDateTime since) {
    return new HourlyZoneRevenue(since);
  }

  static ColumnAggregates aggregates() {
    return ColumnAggregates.over(TaxiSchemas.TRIPS)
        .sum("total_amount", "amount")
        .countAll("number_records");
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    if (!trips.getSchema().equals(TaxiSchemas.TRIPS)) {
      throw new IllegalArgumentException(
          "HourlyZoneRevenue reads normalised trips (NormalizeTrips), not " + trips.getSchema());
    }
    ColumnAggregates aggregates = aggregates();
    return trips
        // Keep trips picked up since the start time and key them by (hour, zone).
        .apply("KeyByHourAndZone", ParDo.of(new KeyFn(since)))
        .setCoder(KvCoder.of(RowCoder.of(KEY), RowCoder.of(TaxiSchemas.TRIPS)))
        // Sum amounts and count trips per key, partially before the shuffle.
        .apply("SumAmounts", Combine.perKey(aggregates))
        .setCoder(KvCoder.of(RowCoder.of(KEY), RowCoder.of(aggregates.outputSchema())))
        // One row per (hour, zone).
        .apply("ToHourlyRows", ParDo.of(new ToRowFn()))
        .setRowSchema(SCHEMA);
  }

  static final class KeyFn extends DoFn<Row, KV<Row, Row>> {
    private static final long serialVersionUID = 1L;
    private static final int ZONE = TaxiSchemas.TRIPS.indexOf("PULocationID");
    private static final int PICKUP = TaxiSchemas.TRIPS.indexOf("pickup_datetime");
    private final LocalDateTime since;

    KeyFn(LocalDateTime since) {
      this.since = since;
    }

    @ProcessElement
    public void process(@Element Row trip, OutputReceiver<KV<Row, Row>> out) {
      LocalDateTime pickup = trip.getValue(PICKUP);
      if (pickup == null || (since != null && pickup.isBefore(since))) {
        return;
      }
      List<Object> key = new ArrayList<>(2);
      key.add(DateTrunc.toHour(pickup));
      key.add(trip.getValue(ZONE));
      out.output(KV.of(Row.withSchema(KEY).attachValues(key), trip));
    }
  }

  static final class ToRowFn extends DoFn<KV<Row, Row>, Row> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element KV<Row, Row> kv, OutputReceiver<Row> out) {
      List<Object> values = new ArrayList<>(4);
      values.addAll(kv.getKey().getValues());
      values.addAll(kv.getValue().getValues());
      out.output(Row.withSchema(SCHEMA).attachValues(values));
    }
  }
}
