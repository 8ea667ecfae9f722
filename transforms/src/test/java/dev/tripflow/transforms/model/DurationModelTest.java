package dev.tripflow.transforms.model;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import dev.tripflow.transforms.TaxiSchemas;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.testing.TestPipeline;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.junit.Rule;
import org.junit.Test;

public class DurationModelTest {
  @Rule public final transient TestPipeline pipeline = TestPipeline.create();

  private static Row trip(LocalDateTime pickup, LocalDateTime dropoff, Double distance) {
    return Row.withSchema(TaxiSchemas.TRIPS)
        .addValues(
            1L, pickup, dropoff, "N", 1.0, 1L, 2L, 1.0, distance, 1.0, 0.0, 0.5, 0.0, 0.0, 0.3, 2.0,
            1.0, 0.0, "green")
        .build();
  }

  /** A known linear truth: 2 + 3 min/mile + 5 min in rush hour. */
  private static double truth(double distance, LocalDateTime pickup) {
    double[] x = TripFeatures.of(trip(pickup, pickup, distance));
    return 2.0 + 3.0 * distance + 5.0 * x[7];
  }

  /** Least squares recovers an exactly linear relation: held-out RMSE about zero. */
  @Test
  public void trainingRecoversALinearTruth() {
    Random r = new Random(5);
    List<Row> trips = new ArrayList<>();
    for (int i = 0; i < 3000; i++) {
      LocalDateTime pickup =
          LocalDateTime.of(2020, 1, 1 + r.nextInt(28), r.nextInt(24), r.nextInt(60));
      double distance = Math.round((0.1 + r.nextDouble() * 15) * 100) / 100.0;
      long seconds = Math.round(truth(distance, pickup) * 60);
      trips.add(trip(pickup, pickup.plusSeconds(seconds), distance));
    }
    trips.add(trip(null, null, 1.0)); // unusable rows are skipped
    trips.add(trip(LocalDateTime.of(2020, 1, 1, 0, 0), LocalDateTime.of(2019, 1, 1, 0, 0), 1.0));
    PCollection<LinearDurationModel> model =
        pipeline
            .apply(Create.of(trips).withRowSchema(TaxiSchemas.TRIPS))
            .apply(new TrainDurationModel());
    PAssert.thatSingleton(model)
        .satisfies(
            m -> {
              assertTrue("rmse " + m.rmse(), m.rmse() < 0.05);
              LocalDateTime t = LocalDateTime.of(2020, 1, 8, 9, 0); // a Wednesday, rush hour
              Double p = m.predict(List.of(trip(t, null, 4.0)))[0];
              assertEquals(truth(4.0, t), p, 0.05);
              return null;
            });
    pipeline.run().waitUntilFinish();
  }

  /** Batches are scored whole; every trip gets a prediction, missing inputs get null. */
  @Test
  public void predictsInBatchesPerBundle() {
    double[] coef = new double[TripFeatures.NAMES.size()];
    coef[0] = 1.0;
    coef[1] = 2.0;
    LinearDurationModel model = new LinearDurationModel(coef, 0.0, 0);
    LocalDateTime t = LocalDateTime.of(2020, 1, 1, 3, 0);
    List<Row> trips = new ArrayList<>();
    List<Row> expected = new ArrayList<>();
    for (int i = 0; i < 250; i++) {
      Row trip = trip(t, t.plusMinutes(5), (double) i);
      trips.add(trip);
      List<Object> v = new ArrayList<>(trip.getValues());
      v.add(1.0 + 2.0 * i);
      expected.add(Row.withSchema(PredictDuration.outputSchema(TaxiSchemas.TRIPS)).attachValues(v));
    }
    Row noDistance = trip(t, t, null);
    trips.add(noDistance);
    List<Object> v = new ArrayList<>(noDistance.getValues());
    v.add(null);
    expected.add(Row.withSchema(PredictDuration.outputSchema(TaxiSchemas.TRIPS)).attachValues(v));
    PAssert.that(
            pipeline
                .apply(Create.of(trips).withRowSchema(TaxiSchemas.TRIPS))
                .apply(PredictDuration.with(model, 64)))
        .containsInAnyOrder(expected);
    pipeline.run().waitUntilFinish();
  }

  /** The JSON form round-trips; a wrong file is a one-line error naming it. */
  @Test
  public void jsonRoundTripAndErrors() {
    double[] coef = new double[TripFeatures.NAMES.size()];
    for (int i = 0; i < coef.length; i++) {
      coef[i] = i * 0.5 - 1;
    }
    LinearDurationModel m = new LinearDurationModel(coef, 3.5, 1234);
    LinearDurationModel back =
        LinearDurationModel.fromJson(
            new ByteArrayInputStream(m.toJson().getBytes(StandardCharsets.UTF_8)), "m.json");
    assertEquals(m.toJson(), back.toJson());
    IllegalArgumentException e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                LinearDurationModel.fromJson(
                    new ByteArrayInputStream("{\"model\":\"x\"}".getBytes(StandardCharsets.UTF_8)),
                    "bad.json"));
    assertTrue(
        e.getMessage(), e.getMessage().startsWith("bad.json: not a tripflow duration model"));
    assertNull(TripFeatures.of(trip(null, null, 1.0)));
  }
}
