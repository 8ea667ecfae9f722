package dev.tripflow.transforms;

import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;

public class MonthlyZoneRevenueTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static LocalDateTime t(String s) {
    return s == null ? null : LocalDateTime.parse(s);
  }

  /** Green row: pickup, zone, the eight amounts, passengers, distance (null where given). */
  private static Row green(
      String pickup,
      Long zone,
      Double fare,
      Double extra,
      Double mta,
      Double tip,
      Double tolls,
      Double improvement,
      Double total,
      Double congestion,
      Double passengers,
      Double distance) {
    return Row.withSchema(TaxiSchemas.GREEN)
        .addValues(
            2L,
            t(pickup),
            null,
            "N",
            1.0,
            zone,
            1L,
            passengers,
            distance,
            fare,
            extra,
            mta,
            tip,
            tolls,
            null,
            improvement,
            total,
            1.0,
            1.0,
            congestion)
        .build();
  }

  private static Row yellow(
      String pickup,
      Long zone,
      Double fare,
      Double extra,
      Double mta,
      Double tip,
      Double tolls,
      Double improvement,
      Double total,
      Double congestion,
      Double passengers,
      Double distance) {
    return Row.withSchema(TaxiSchemas.YELLOW)
        .addValues(
            1L,
            t(pickup),
            null,
            passengers,
            distance,
            1.0,
            "N",
            zone,
            2L,
            1L,
            fare,
            extra,
            mta,
            tip,
            tolls,
            improvement,
            total,
            congestion,
            null)
        .build();
  }

  private static Row report(Long zone, String month, String service, Double... values) {
    List<Object> all = new java.util.ArrayList<>(Arrays.asList(zone, t(month), service));
    all.addAll(Arrays.asList(values));
    return Row.withSchema(MonthlyZoneRevenue.SCHEMA).addValues(all).build();
  }

  private static final Double N = null;

  /**
   * Groups by zone, month and service with SQL null semantics: null keys form groups, null values
   * are skipped, a group of only nulls sums to null; expected values computed by hand.
   */
  @Test
  public void aggregatesPerZoneMonthAndService() {
    PCollection<Row> greenTrips =
        pipeline.apply(
            "Green",
            Create.of(
                    green(
                        "2020-01-15T10:00",
                        74L,
                        10.0,
                        0.5,
                        0.5,
                        2.0,
                        0.0,
                        0.3,
                        13.3,
                        0.0,
                        1.0,
                        2.0),
                    green(
                        "2020-01-31T23:59:59", 74L, 20.0, 1.0, 0.5, N, 6.12, 0.3, 27.92, N, N, 4.0),
                    green(
                        "2020-02-01T00:00", 74L, 5.0, 0.0, 0.5, 0.0, 0.0, 0.3, 5.8, 0.0, 2.0, 1.0),
                    green(
                        "2009-01-01T12:00",
                        null,
                        -3.0,
                        0.0,
                        -0.5,
                        0.0,
                        0.0,
                        -0.3,
                        -3.8,
                        0.0,
                        1.0,
                        0.0),
                    green(null, 75L, N, N, N, N, N, N, N, N, N, N))
                .withRowSchema(TaxiSchemas.GREEN));
    PCollection<Row> yellowTrips =
        pipeline.apply(
            "Yellow",
            Create.of(
                    yellow(
                        "2020-01-02T00:00", 74L, 8.0, 0.5, 0.5, 1.0, 0.0, 0.3, 12.8, 2.5, 3.0, 1.5))
                .withRowSchema(TaxiSchemas.YELLOW));

    PCollection<Row> revenue =
        NormalizeTrips.flatten(
                greenTrips.apply("NormalizeGreen", NormalizeTrips.green()),
                yellowTrips.apply("NormalizeYellow", NormalizeTrips.yellow()))
            .apply(new MonthlyZoneRevenue());

    List<Row> expected =
        List.of(
            report(
                74L,
                "2020-01-01T00:00",
                "green",
                30.0,
                1.5,
                1.0,
                2.0,
                6.12,
                0.6,
                41.22,
                0.0,
                1.0,
                3.0),
            report(
                74L, "2020-02-01T00:00", "green", 5.0, 0.0, 0.5, 0.0, 0.0, 0.3, 5.8, 0.0, 2.0, 1.0),
            report(
                null,
                "2009-01-01T00:00",
                "green",
                -3.0,
                0.0,
                -0.5,
                0.0,
                0.0,
                -0.3,
                -3.8,
                0.0,
                1.0,
                0.0),
            report(75L, null, "green", N, N, N, N, N, N, N, N, N, N),
            report(
                74L,
                "2020-01-01T00:00",
                "yellow",
                8.0,
                0.5,
                0.5,
                1.0,
                0.0,
                0.3,
                12.8,
                2.5,
                3.0,
                1.5));
    PAssert.that(revenue)
        .satisfies(
            rows -> {
              RowsAssert.assertSameRows(
                  rows, expected, "revenue_zone", "revenue_month", "service_type");
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  /** Reports nothing for no trips. */
  @Test
  public void emptyInputGivesEmptyReport() {
    PCollection<Row> none =
        pipeline
            .apply(Create.empty(RowCoder.of(TaxiSchemas.TRIPS)))
            .setRowSchema(TaxiSchemas.TRIPS);
    PAssert.that(none.apply(new MonthlyZoneRevenue())).empty();
    pipeline.run().waitUntilFinish();
  }
}
