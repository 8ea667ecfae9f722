package dev.tripflow.transforms;

import dev.tripflow.transforms.sql.TripflowSql;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Locale;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The hourly revenue written as the course's SQL, run by Beam SQL over the normalised trips (table
 * {@code trips}); same output as {@link HourlyZoneRevenue}.
 */
public final class HourlyZoneRevenueSql extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private static final DateTimeFormatter SQL_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  private final LocalDateTime since;

  private HourlyZoneRevenueSql(LocalDateTime since) {
    this.since = since;
  }

  /** Revenue of trips picked up at or after {@code since}. */
  public static HourlyZoneRevenueSql since(LocalDateTime since) {
    return new HourlyZoneRevenueSql(since);
  }

  /** The query, the course's with the normalised table and column names. */
  public String query() {
    return "SELECT\n"
        + "    date_trunc('hour', pickup_datetime) AS hour,\n"
        + "    PULocationID AS zone,\n"
        + "    SUM(total_amount) AS amount,\n"
        + "    COUNT(1) AS number_records\n"
        + "FROM\n"
        + "    trips\n"
        + "WHERE\n"
        + (since == null
            ? "    pickup_datetime IS NOT NULL\n"
            : "    pickup_datetime >= '" + SQL_TIME.format(since) + "'\n")
        + "GROUP BY\n"
        + "    1, 2";
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    return PCollectionTuple.of(new TupleTag<>("trips"), trips)
        .apply("HourlySql", TripflowSql.query(query()))
        // Same schema as the other styles: hour is never null after the filter.
        .apply(
            "ToHourlySchema",
            ParDo.of(
                new DoFn<Row, Row>() {
                  @ProcessElement
                  public void process(@Element Row r, OutputReceiver<Row> out) {
                    out.output(
                        Row.withSchema(HourlyZoneRevenue.SCHEMA)
                            .addValues(
                                r.getValue("hour"),
                                r.getValue("zone"),
                                r.getValue("amount"),
                                r.getValue("number_records"))
                            .build());
                  }
                }))
        .setRowSchema(HourlyZoneRevenue.SCHEMA);
  }
}
