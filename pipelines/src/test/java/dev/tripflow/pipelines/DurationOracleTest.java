package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.tripflow.transforms.model.LinearDurationModel;
import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * predict-duration equals DuckDB evaluating the same linear model in SQL on the same trips; a
 * trained model beats predicting the mean duration on held-out trips.
 */
public class DurationOracleTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static String tripflow(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        PipelineCommands.run(
            args,
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(err.toString(StandardCharsets.UTF_8), 0, code);
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The bundled model's predictions, computed independently by DuckDB, match row for row. */
  @Test
  public void predictionsMatchSqlEvaluation() throws Exception {
    Path foreign = TMP.newFolder("foreign").toPath();
    Path out = TMP.getRoot().toPath().resolve("predictions");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, foreign, 14 * 86_400L);
      String green = foreign + "/green.parquet";
      tripflow("predict-duration", "--input=" + green, "--batchSize=100", "--output=" + out);
      double[] c = LinearDurationModel.bundled().coefficients();
      String h = "(hour(p) + minute(p) / 60.0)";
      String a = "(2 * pi() * " + h + " / 24.0)";
      String weekend = "(CASE WHEN dayofweek(p) IN (0, 6) THEN 1.0 ELSE 0.0 END)";
      String rush =
          "(CASE WHEN dayofweek(p) NOT IN (0, 6) AND hour(p) >= 7 AND hour(p) < 20 THEN 1.0"
              + " ELSE 0.0 END)";
      String linear =
          String.format(
              Locale.ROOT,
              "%.17g + %.17g * d + %.17g * sqrt(d) + %.17g * sin(%s) + %.17g * cos(%s)"
                  + " + %.17g * sin(2 * %s) + %.17g * cos(2 * %s) + %.17g * %s + %.17g * %s"
                  + " + %.17g * %s * d",
              c[0],
              c[1],
              c[2],
              c[3],
              a,
              c[4],
              a,
              c[5],
              a,
              c[6],
              a,
              c[7],
              rush,
              c[8],
              weekend,
              c[9],
              rush);
      List<List<Object>> expected =
          duck.query(
              "SELECT CAST(p AS VARCHAR), d, fare_amount, CASE WHEN p IS NULL OR d IS NULL THEN"
                  + " NULL ELSE greatest(0.0, "
                  + linear
                  + ") END FROM (SELECT lpep_pickup_datetime AS p, trip_distance AS d,"
                  + " CAST(fare_amount AS DOUBLE) AS fare_amount FROM read_parquet('"
                  + green
                  + "'))");
      List<List<Object>> actual =
          duck.query(
              "SELECT CAST(pickup_datetime AS VARCHAR), trip_distance, fare_amount,"
                  + " predicted_duration FROM read_parquet('"
                  + out
                  + "/*.parquet')");
      assertEquals(3000, actual.size());
      assertTrue(actual.stream().anyMatch(r -> r.get(3) == null));
      DuckDbOracle.assertSameRows(expected, actual, 3);
    }
  }

  /** Training on generated trips gives a model whose held-out RMSE beats the mean predictor. */
  @Test
  public void trainedModelBeatsTheMean() throws Exception {
    Path data = TMP.newFolder("data").toPath();
    tripflow(
        "generate", "--output=" + data, "--rows=30000", "--services=yellow", "--formats=parquet");
    Path model = TMP.getRoot().toPath().resolve("model.json");
    String summary =
        tripflow(
            "train-duration-model",
            "--input=" + data + "/pq/yellow/*/*/*.parquet",
            "--service=yellow",
            "--output=" + model);
    assertTrue(summary, summary.contains("held-out RMSE"));
    LinearDurationModel trained;
    try (InputStream in = Files.newInputStream(model)) {
      trained = LinearDurationModel.fromJson(in, model.toString());
    }
    try (DuckDbOracle duck = new DuckDbOracle()) {
      double sd =
          ((Number)
                  duck.query(
                          "SELECT stddev_pop(epoch(tpep_dropoff_datetime -"
                              + " tpep_pickup_datetime) / 60.0) FROM read_parquet('"
                              + data
                              + "/pq/yellow/*/*/*.parquet') WHERE trip_distance > 0 AND"
                              + " trip_distance <= 100 AND tpep_dropoff_datetime >"
                              + " tpep_pickup_datetime AND tpep_dropoff_datetime <="
                              + " tpep_pickup_datetime + INTERVAL 3 HOUR")
                      .get(0)
                      .get(0))
              .doubleValue();
      assertTrue(
          "RMSE " + trained.rmse() + " should be well under the spread " + sd,
          trained.rmse() < 0.6 * sd);
    }
  }
}
