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

  /** The trip columns the hourly revenue reads (a pipeline may read only these). */
  public static final List<String> COLUMNS =
      List.of("pickup_datetime", "PULocationID", "total_amount");

  static ColumnAggregates aggregates() {
    return aggregates(TaxiSchemas.TRIPS);
  }

  static ColumnAggregates aggregates(Schema tripSchema) {
    return ColumnAggregates.over(tripSchema)
        .sum("total_amount", "amount")
        .countAll("number_records");
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    Schema in = trips.getSchema();
    TaxiSchemas.requireTripColumns(in, COLUMNS, "HourlyZoneRevenue");
    ColumnAggregates aggregates = aggregates(in);
    return trips
        // Keep trips picked up since the start time and key them by (hour, zone).
        .apply("KeyByHourAndZone", ParDo.of(new KeyFn(since, in)))
        .setCoder(KvCoder.of(HourZone.CODER, RowCoder.of(in)))
        // Sum amounts and count trips per key, partially before the shuffle.
        .apply("SumAmounts", Combine.perKey(aggregates))
        .setCoder(KvCoder.of(HourZone.CODER, RowCoder.of(aggregates.outputSchema())))
        // One row per (hour, zone).
        .apply("ToHourlyRows", ParDo.of(new ToRowFn()))
        .setRowSchema(SCHEMA);
  }

  static final class KeyFn extends DoFn<Row, KV<HourZone, Row>> {
    private static final long serialVersionUID = 1L;
    private final int zone;
    private final int pickupIndex;
    private final LocalDateTime since;

    KeyFn(LocalDateTime since, Schema trips) {
      this.since = since;
      this.zone = trips.indexOf("PULocationID");
      this.pickupIndex = trips.indexOf("pickup_datetime");
    }

    @ProcessElement
    public void process(@Element Row trip, OutputReceiver<KV<HourZone, Row>> out) {
      LocalDateTime pickup = trip.getValue(pickupIndex);
      if (pickup == null || (since != null && pickup.isBefore(since))) {
        return;
      }
      Number z = trip.getValue(zone);
      out.output(KV.of(HourZone.of(pickup, z), trip));
    }
  }

  static final class ToRowFn extends DoFn<KV<HourZone, Row>, Row> {
    private static final long serialVersionUID = 1L;
    // Attaching values keeps nothing in the builder: one serves every row, on every thread.
    private static final Row.Builder ROWS = Row.withSchema(SCHEMA);

    @ProcessElement
    public void process(@Element KV<HourZone, Row> kv, OutputReceiver<Row> out) {
      List<Object> values = new ArrayList<>(4);
      values.add(kv.getKey().hour());
      values.add(kv.getKey().zone());
      values.addAll(kv.getValue().getValues());
      out.output(ROWS.attachValues(values));
    }
  }
}
