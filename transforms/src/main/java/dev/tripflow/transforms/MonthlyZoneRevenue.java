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

  /**
   * The trip columns the report reads: a pipeline may read and normalise only these ({@link
   * NormalizeTrips#withColumns}).
   */
  public static final List<String> COLUMNS;

  static {
    List<String> c = new ArrayList<>(List.of("PULocationID", "pickup_datetime"));
    for (String[] s : SUMS) {
      c.add(s[0]);
    }
    c.add("passenger_count");
    c.add("trip_distance");
    COLUMNS = List.copyOf(c);
  }

  /** The aggregates, over {@link TaxiSchemas#TRIPS} rows. */
  public static ColumnAggregates aggregates() {
    return aggregates(TaxiSchemas.TRIPS);
  }

  /** The aggregates, over normalised trips of {@code tripSchema} (whole or projected). */
  public static ColumnAggregates aggregates(Schema tripSchema) {
    ColumnAggregates agg = ColumnAggregates.over(tripSchema);
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
    Schema in = trips.getSchema();
    List<String> needed = new ArrayList<>(COLUMNS);
    needed.add("service_type");
    TaxiSchemas.requireTripColumns(in, needed, "MonthlyZoneRevenue");
    ColumnAggregates aggregates = aggregates(in);
    return trips
        // Key each trip by (pickup zone, pickup month, service type).
        .apply("KeyByZoneMonthService", ParDo.of(new KeyFn(in)))
        .setCoder(KvCoder.of(ZoneMonth.CODER, RowCoder.of(in)))
        // Sum the revenue columns per key (partially before the shuffle).
        .apply("SumRevenue", Combine.perKey(aggregates))
        .setCoder(KvCoder.of(ZoneMonth.CODER, RowCoder.of(aggregates.outputSchema())))
        // Flatten key and aggregates into one report row.
        .apply("ToReportRows", ParDo.of(new ToReportRowFn()))
        .setRowSchema(SCHEMA);
  }

  static final class KeyFn extends DoFn<Row, KV<ZoneMonth, Row>> {
    private static final long serialVersionUID = 1L;
    private final int zone;
    private final int pickup;
    private final int service;

    KeyFn(Schema trips) {
      zone = trips.indexOf("PULocationID");
      pickup = trips.indexOf("pickup_datetime");
      service = trips.indexOf("service_type");
    }

    @ProcessElement
    public void process(@Element Row trip, OutputReceiver<KV<ZoneMonth, Row>> out) {
      Number z = trip.getValue(zone);
      out.output(
          KV.of(
              ZoneMonth.of(
                  z == null ? null : z.longValue(), trip.getValue(pickup), trip.getValue(service)),
              trip));
    }
  }

  static final class ToReportRowFn extends DoFn<KV<ZoneMonth, Row>, Row> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element KV<ZoneMonth, Row> kv, OutputReceiver<Row> out) {
      List<Object> values = new ArrayList<>(SCHEMA.getFieldCount());
      ZoneMonth key = kv.getKey();
      values.add(key.zone());
      values.add(key.month());
      values.add(key.service());
      values.addAll(kv.getValue().getValues());
      out.output(ROWS.attachValues(values));
    }

    private static final Row.Builder ROWS = Row.withSchema(SCHEMA);
  }
}
