package dev.tripflow.transforms;

import java.time.LocalDateTime;
import java.util.List;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;

public class HourlyRevenueJoinTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static final LocalDateTime SINCE = LocalDateTime.of(2020, 1, 1, 0, 0);

  private static Row trip(String service, String pickup, Long zone, Double total) {
    return Row.withSchema(TaxiSchemas.TRIPS)
        .addValues(
            1L,
            pickup == null ? null : LocalDateTime.parse(pickup),
            null,
            "N",
            1.0,
            zone,
            1L,
            1.0,
            1.0,
            1.0,
            0.0,
            0.5,
            0.0,
            0.0,
            0.3,
            total,
            1.0,
            2.5,
            service)
        .build();
  }

  private static Row hourly(String hour, Long zone, Double amount, long n) {
    return Row.withSchema(HourlyZoneRevenue.SCHEMA)
        .addValues(LocalDateTime.parse(hour), zone, amount, n)
        .build();
  }

  private static Row joined(String hour, Long zone, Double ga, Long gn, Double ya, Long yn) {
    return Row.withSchema(GreenYellowJoin.SCHEMA)
        .addValues(LocalDateTime.parse(hour), zone, ga, gn, ya, yn)
        .build();
  }

  /**
   * Hourly sums keep pickups at or after the start only; null amounts are skipped but counted as
   * records; null pickups are dropped by the filter, as in SQL.
   */
  @Test
  public void hourlyRevenueFiltersAndAggregates() {
    PCollection<Row> trips =
        pipeline.apply(
            Create.of(
                    trip("green", "2020-01-01T10:15", 7L, 10.0),
                    trip("green", "2020-01-01T10:59:59", 7L, 5.5),
                    trip("green", "2020-01-01T10:30", 7L, null),
                    trip("green", "2020-01-01T11:00", 7L, 1.0),
                    trip("green", "2019-12-31T23:59:59", 7L, 100.0),
                    trip("green", "2009-01-01T10:00", 7L, 100.0),
                    trip("green", null, 7L, 100.0),
                    trip("green", "2020-01-01T10:20", null, 2.0))
                .withRowSchema(TaxiSchemas.TRIPS));
    PAssert.that(trips.apply(HourlyZoneRevenue.since(SINCE)))
        .containsInAnyOrder(
            hourly("2020-01-01T10:00", 7L, 15.5, 3),
            hourly("2020-01-01T11:00", 7L, 1.0, 1),
            hourly("2020-01-01T10:00", null, 2.0, 1));
    pipeline.run().waitUntilFinish();
  }

  /** A full outer join: both sides, either side alone, and null zones never joined. */
  @Test
  public void outerJoinsGreenAndYellow() {
    PCollection<Row> green =
        pipeline.apply(
            "Green",
            Create.of(
                    hourly("2020-01-01T10:00", 7L, 15.5, 3),
                    hourly("2020-01-01T11:00", 7L, 1.0, 1),
                    hourly("2020-01-01T10:00", null, 2.0, 1))
                .withRowSchema(HourlyZoneRevenue.SCHEMA));
    PCollection<Row> yellow =
        pipeline.apply(
            "Yellow",
            Create.of(
                    hourly("2020-01-01T10:00", 7L, 30.0, 2),
                    hourly("2020-01-01T12:00", 8L, 4.0, 1),
                    hourly("2020-01-01T10:00", null, 9.0, 4))
                .withRowSchema(HourlyZoneRevenue.SCHEMA));
    PAssert.that(GreenYellowJoin.of(green, yellow))
        .containsInAnyOrder(
            joined("2020-01-01T10:00", 7L, 15.5, 3L, 30.0, 2L),
            joined("2020-01-01T11:00", 7L, 1.0, 1L, null, null),
            joined("2020-01-01T12:00", 8L, null, null, 4.0, 1L),
            joined("2020-01-01T10:00", null, 2.0, 1L, null, null),
            joined("2020-01-01T10:00", null, null, null, 9.0, 4L));
    pipeline.run().waitUntilFinish();
  }

  /** The broadcast join adds zone columns; unknown and null zones go to the unmatched output. */
  @Test
  public void enrichesWithBundledZones() {
    PCollection<Row> hourly =
        pipeline.apply(
            "Hourly",
            Create.of(
                    hourly("2020-01-01T10:00", 1L, 1.0, 1),
                    hourly("2020-01-01T10:00", 264L, 2.0, 1),
                    hourly("2020-01-01T10:00", 999L, 3.0, 1),
                    hourly("2020-01-01T10:00", null, 4.0, 1))
                .withRowSchema(HourlyZoneRevenue.SCHEMA));
    PCollection<Row> zones =
        pipeline.apply("Zones", Create.of(ZoneLookup.bundled()).withRowSchema(TaxiSchemas.ZONES));
    var out = hourly.apply(EnrichWithZones.on("zone", zones));
    var enriched = EnrichWithZones.enrichedSchema(HourlyZoneRevenue.SCHEMA);
    PAssert.that(out.get(EnrichWithZones.MATCHED))
        .containsInAnyOrder(
            Row.withSchema(enriched)
                .addValues(
                    LocalDateTime.parse("2020-01-01T10:00"),
                    1L,
                    1.0,
                    1L,
                    "EWR",
                    "Newark Airport",
                    "EWR")
                .build(),
            Row.withSchema(enriched)
                .addValues(
                    LocalDateTime.parse("2020-01-01T10:00"), 264L, 2.0, 1L, "Unknown", "NV", "N/A")
                .build());
    PAssert.that(out.get(EnrichWithZones.UNMATCHED))
        .containsInAnyOrder(
            hourly("2020-01-01T10:00", 999L, 3.0, 1), hourly("2020-01-01T10:00", null, 4.0, 1));
    pipeline.run().waitUntilFinish();
  }

  /** The bundled lookup has the 265 zones, NA and NV kept as names. */
  @Test
  public void bundledZoneLookup() {
    List<Row> zones = ZoneLookup.bundled();
    org.junit.Assert.assertEquals(265, zones.size());
    org.junit.Assert.assertEquals("NV", zones.get(263).getString("Zone"));
    org.junit.Assert.assertEquals("NA", zones.get(264).getString("Zone"));
  }
}
