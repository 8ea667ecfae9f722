package dev.tripflow.transforms.sql;

import dev.tripflow.transforms.HourlyZoneRevenue;
import dev.tripflow.transforms.HourlyZoneRevenueRdd;
import dev.tripflow.transforms.HourlyZoneRevenueSql;
import dev.tripflow.transforms.MonthlyZoneRevenue;
import dev.tripflow.transforms.NormalizeTrips;
import dev.tripflow.transforms.TaxiSchemas;
import dev.tripflow.transforms.sample.TripGenerator;
import dev.tripflow.transforms.sample.TripGenerator.Service;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.join.CoGbkResult;
import org.apache.beam.sdk.transforms.join.CoGroupByKey;
import org.apache.beam.sdk.transforms.join.KeyedPCollectionTuple;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.junit.Assert;
import org.junit.Rule;
import org.junit.Test;

/**
 * The course's SQL, run verbatim (table names aside) through Beam SQL, equals the transform
 * versions; the three hourly styles agree. Generated trips include DST-gap times, so a detour
 * through the JVM's zone would show under America/New_York.
 */
public class TripflowSqlTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static List<Row> trips(Service service, int months) {
    List<Row> rows = new ArrayList<>();
    TripGenerator g = new TripGenerator(11);
    for (int m = 1; m <= months; m++) {
      g.trips(service, 2020, m, 300).forEachRemaining(rows::add);
    }
    Schema s = service.schema();
    // A trip in the spring-forward gap and one with a null pickup and zone.
    List<Object> gap = new ArrayList<>(rows.get(0).getValues());
    gap.set(1, LocalDateTime.of(2020, 3, 8, 2, 30));
    rows.add(Row.withSchema(s).attachValues(gap));
    List<Object> nulls = new ArrayList<>(rows.get(1).getValues());
    nulls.set(1, null);
    nulls.set(s.indexOf("PULocationID"), null);
    rows.add(Row.withSchema(s).attachValues(nulls));
    return rows;
  }

  private static String resource(String name) throws IOException {
    try (InputStream in = TripflowSqlTest.class.getResourceAsStream("/course/" + name)) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /** Keys a row by its first columns; the rest of its values travel as text. */
  static final class KeyFn extends org.apache.beam.sdk.transforms.DoFn<Row, KV<String, String>> {
    private final int keys;

    KeyFn(int keys) {
      this.keys = keys;
    }

    @ProcessElement
    public void process(@Element Row r, OutputReceiver<KV<String, String>> out) {
      List<String> values = new ArrayList<>();
      for (int i = keys; i < r.getFieldCount(); i++) {
        values.add(String.valueOf((Object) r.getValue(i)));
      }
      out.output(KV.of(String.valueOf(r.getValues().subList(0, keys)), String.join("|", values)));
    }
  }

  /** Asserts both collections hold the same keys with values equal to a relative 1e-9. */
  static void assertSameRows(
      PCollection<Row> expected, PCollection<Row> actual, int keys, String name) {
    TupleTag<String> want = new TupleTag<>();
    TupleTag<String> got = new TupleTag<>();
    PCollection<KV<String, CoGbkResult>> joined =
        KeyedPCollectionTuple.of(
                want, expected.apply("KeyExpected" + name, ParDo.of(new KeyFn(keys))))
            .and(got, actual.apply("KeyActual" + name, ParDo.of(new KeyFn(keys))))
            .apply("Join" + name, CoGroupByKey.create());
    PAssert.that(joined)
        .satisfies(
            all -> {
              int n = 0;
              for (KV<String, CoGbkResult> kv : all) {
                n++;
                List<String> w = new ArrayList<>();
                kv.getValue().getAll(want).forEach(w::add);
                List<String> g = new ArrayList<>();
                kv.getValue().getAll(got).forEach(g::add);
                Assert.assertEquals(kv.getKey() + " rows", 1, w.size());
                Assert.assertEquals(kv.getKey() + " rows", 1, g.size());
                String[] a = w.get(0).split("\\|", -1);
                String[] b = g.get(0).split("\\|", -1);
                Assert.assertEquals(a.length, b.length);
                for (int i = 0; i < a.length; i++) {
                  if (a[i].equals(b[i])) {
                    continue;
                  }
                  double x = Double.parseDouble(a[i]);
                  double y = Double.parseDouble(b[i]);
                  Assert.assertTrue(
                      kv.getKey() + " value " + i + ": " + x + " vs " + y,
                      Math.abs(x - y) <= 1e-9 * Math.max(Math.abs(x), Math.abs(y)) + 1e-9);
                }
              }
              Assert.assertTrue("no rows compared", n > 0);
              return null;
            });
  }

  /** The course's revenue SQL over trips_data equals MonthlyZoneRevenue. */
  @Test
  public void courseRevenueSqlEqualsTransform() throws Exception {
    PCollection<Row> green =
        pipeline
            .apply("Green", Create.of(trips(Service.GREEN, 4)).withRowSchema(TaxiSchemas.GREEN))
            .apply("NormalizeGreen", NormalizeTrips.green());
    PCollection<Row> yellow =
        pipeline
            .apply("Yellow", Create.of(trips(Service.YELLOW, 4)).withRowSchema(TaxiSchemas.YELLOW))
            .apply("NormalizeYellow", NormalizeTrips.yellow());
    PCollection<Row> trips = NormalizeTrips.flatten(green, yellow);
    PCollection<Row> viaSql =
        PCollectionTuple.of(new TupleTag<>("trips_data"), trips)
            .apply(TripflowSql.query(resource("revenue_report.sql")));
    PCollection<Row> viaTransform = trips.apply(new MonthlyZoneRevenue());
    assertSameRows(viaTransform, viaSql, 3, "Revenue");
    pipeline.run().waitUntilFinish();
  }

  /** Schema, RDD and SQL styles of the hourly revenue give the same rows. */
  @Test
  public void threeHourlyStylesAgree() {
    PCollection<Row> trips =
        pipeline
            .apply(Create.of(trips(Service.YELLOW, 3)).withRowSchema(TaxiSchemas.YELLOW))
            .apply(NormalizeTrips.yellow());
    LocalDateTime since = LocalDateTime.of(2020, 1, 1, 0, 0);
    PCollection<Row> schema = trips.apply("Schema", HourlyZoneRevenue.since(since));
    PCollection<Row> rdd = trips.apply("Rdd", HourlyZoneRevenueRdd.since(since));
    PCollection<Row> sql = trips.apply("Sql", HourlyZoneRevenueSql.since(since));
    assertSameRows(schema, rdd, 2, "Rdd");
    assertSameRows(schema, sql, 2, "Sql");
    PAssert.thatSingleton(schema.apply(org.apache.beam.sdk.transforms.Count.globally()))
        .satisfies(
            n -> {
              Assert.assertTrue("rows: " + n, n > 500);
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  /** crazy_stuff is registered in SQL. */
  @Test
  public void udfInSql() {
    PCollection<Row> fhv =
        pipeline.apply(
            Create.of(
                    Row.withSchema(TaxiSchemas.FHVHV)
                        .addValues("HV0003", "B02884", null, null, 1L, 2L, null)
                        .build())
                .withRowSchema(TaxiSchemas.FHVHV));
    PCollection<Row> out =
        PCollectionTuple.of(new TupleTag<>("fhvhv"), fhv)
            .apply(
                TripflowSql.query(
                    "SELECT crazy_stuff(dispatching_base_num) AS base_id FROM fhvhv"));
    PAssert.that(out)
        .satisfies(
            rows -> {
              Assert.assertEquals("s/b44", rows.iterator().next().getString("base_id"));
              return null;
            });
    pipeline.run().waitUntilFinish();
  }
}
