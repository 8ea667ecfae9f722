package dev.tripflow.transforms;

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
 * The course's monthly revenue report: trips grouped by pickup zone, pickup month and service type,
 * with eight revenue sums and two averages, as in
 *
 * <pre>{@code
 * SELECT PULocationID AS revenue_zone,
 *        date_trunc('month', pickup_datetime) AS revenue_month,
 *        service_type,
 *        SUM(fare_amount) AS revenue_monthly_fare, ... ,
 *        AVG(passenger_count) AS avg_monthly_passenger_count,
 *        AVG(trip_distance) AS avg_monthly_trip_distance
 * FROM trips_data GROUP BY 1, 2, 3
 * }</pre>
 *
 * <p>SQL semantics: null zones and months form their own groups, nulls are skipped by the
 * aggregates, a sum over only nulls is null. The aggregation is a {@link Combine#perKey}, so
 * runners pre-aggregate before the shuffle; sums are exact, so every runner gives identical
 * results.
 *
 * <pre>{@code
 * PCollection<Row> report = trips.apply("MonthlyZoneRevenue", new MonthlyZoneRevenue());
 * }</pre>
 */
public final class MonthlyZoneRevenue extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  /** The grouping key. */
  public static final Schema KEY =
      Schema.builder()
          .addNullableField("revenue_zone", FieldType.INT64)
          .addNullableField("revenue_month", TaxiSchemas.DATETIME)
          .addNullableField("service_type", FieldType.STRING)
          .build();

  private static final String[][] SUMS = {
    {"fare_amount", "revenue_monthly_fare"},
    {"extra", "revenue_monthly_extra"},
    {"mta_tax", "revenue_monthly_mta_tax"},
    {"tip_amount", "revenue_monthly_tip_amount"},
    {"tolls_amount", "revenue_monthly_tolls_amount"},
    {"improvement_surcharge", "revenue_monthly_improvement_surcharge"},
    {"total_amount", "revenue_monthly_total_amount"},
    {"congestion_surcharge", "revenue_monthly_congestion_surcharge"},
  };

  /** The aggregates, over {@link TaxiSchemas#TRIPS} rows. */
  public static ColumnAggregates aggregates() {
    ColumnAggregates agg = ColumnAggregates.over(TaxiSchemas.TRIPS);
    for (String[] s : SUMS) {
      agg = agg.sum(s[0], s[1]);
    }
    return agg.avg("passenger_count", "avg_monthly_passenger_count")
        .avg("trip_distance", "avg_monthly_trip_distance");
  }

  /** The report's schema: the key columns, then the aggregates. */
  public static final Schema SCHEMA =
      Schema.builder()
          .addFields(KEY.getFields())
          .addFields(aggregates().outputSchema().getFields())
          .build();

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    if (!trips.getSchema().equals(TaxiSchemas.TRIPS)) {
      throw new IllegalArgumentException(
          "MonthlyZoneRevenue reads normalised trips (NormalizeTrips), not " + trips.getSchema());
    }
    ColumnAggregates aggregates = aggregates();
    return trips
        // Key each trip by (pickup zone, pickup month, service type).
        .apply("KeyByZoneMonthService", ParDo.of(new KeyFn()))
        .setCoder(KvCoder.of(RowCoder.of(KEY), RowCoder.of(TaxiSchemas.TRIPS)))
        // Sum the revenue columns per key (partially before the shuffle).
        .apply("SumRevenue", Combine.perKey(aggregates))
        .setCoder(KvCoder.of(RowCoder.of(KEY), RowCoder.of(aggregates.outputSchema())))
        // Flatten key and aggregates into one report row.
        .apply("ToReportRows", ParDo.of(new ToReportRowFn()))
        .setRowSchema(SCHEMA);
  }

  static final class KeyFn extends DoFn<Row, KV<Row, Row>> {
    private static final long serialVersionUID = 1L;
    private static final int ZONE = TaxiSchemas.TRIPS.indexOf("PULocationID");
    private static final int PICKUP = TaxiSchemas.TRIPS.indexOf("pickup_datetime");
    private static final int SERVICE = TaxiSchemas.TRIPS.indexOf("service_type");

    @ProcessElement
    public void process(@Element Row trip, OutputReceiver<KV<Row, Row>> out) {
      List<Object> key = new ArrayList<>(3);
      key.add(trip.getValue(ZONE));
      key.add(DateTrunc.toMonth(trip.getValue(PICKUP)));
      key.add(trip.getValue(SERVICE));
      out.output(KV.of(Row.withSchema(KEY).attachValues(key), trip));
    }
  }

  static final class ToReportRowFn extends DoFn<KV<Row, Row>, Row> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element KV<Row, Row> kv, OutputReceiver<Row> out) {
      List<Object> values = new ArrayList<>(SCHEMA.getFieldCount());
      values.addAll(kv.getKey().getValues());
      values.addAll(kv.getValue().getValues());
      out.output(Row.withSchema(SCHEMA).attachValues(values));
    }
  }
}
