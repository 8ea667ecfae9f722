package dev.tripflow.transforms.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.Row;

/**
 * A linear model of trip duration over {@link TripFeatures}, stored as a small JSON file:
 *
 * <pre>{@code
 * {"model": "linear-duration", "features": ["intercept", "trip_distance", ...],
 *  "coefficients": [3.1, 2.4, ...], "rmse_minutes": 4.2, "trained_rows": 80000}
 * }</pre>
 *
 * <p>Predictions are clamped at zero minutes.
 */
public final class LinearDurationModel implements DurationModel {
  private static final long serialVersionUID = 1L;
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Classpath location of the model tripflow ships (trained on the sample data). */
  public static final String BUNDLED = "/dev/tripflow/transforms/model/duration-model.json";

  private final double[] coefficients;
  private final double rmse;
  private final long trainedRows;

  public LinearDurationModel(double[] coefficients, double rmse, long trainedRows) {
    if (coefficients.length != TripFeatures.NAMES.size()) {
      throw new IllegalArgumentException(
          "a duration model needs "
              + TripFeatures.NAMES.size()
              + " coefficients "
              + TripFeatures.NAMES
              + ", got "
              + coefficients.length);
    }
    this.coefficients = coefficients.clone();
    this.rmse = rmse;
    this.trainedRows = trainedRows;
  }

  /** The coefficients, in {@link TripFeatures#NAMES} order. */
  public double[] coefficients() {
    return coefficients.clone();
  }

  /** Root mean squared error on held-out rows when it was trained, in minutes. */
  public double rmse() {
    return rmse;
  }

  /** How many trips it was fitted on. */
  public long trainedRows() {
    return trainedRows;
  }

  @Override
  public Double[] predict(List<Row> trips) {
    Double[] out = new Double[trips.size()];
    for (int i = 0; i < out.length; i++) {
      double[] x = TripFeatures.of(trips.get(i));
      if (x == null) {
        continue;
      }
      double y = 0;
      for (int j = 0; j < x.length; j++) {
        y += coefficients[j] * x[j];
      }
      out[i] = Math.max(0.0, y);
    }
    return out;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof LinearDurationModel m
        && java.util.Arrays.equals(coefficients, m.coefficients)
        && Double.compare(rmse, m.rmse) == 0
        && trainedRows == m.trainedRows;
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(java.util.Arrays.hashCode(coefficients), rmse, trainedRows);
  }

  /** The model as JSON text. */
  public String toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("model", "linear-duration");
    ArrayNode names = root.putArray("features");
    TripFeatures.NAMES.forEach(names::add);
    ArrayNode coef = root.putArray("coefficients");
    for (double c : coefficients) {
      coef.add(c);
    }
    root.put("rmse_minutes", rmse);
    root.put("trained_rows", trainedRows);
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Reads a model from JSON.
   *
   * @throws IllegalArgumentException naming {@code source} when the JSON is not such a model
   */
  public static LinearDurationModel fromJson(InputStream in, String source) {
    JsonNode root;
    try {
      root = JSON.readTree(in);
    } catch (IOException e) {
      throw new IllegalArgumentException(
          source + ": not valid JSON: " + e.getMessage().lines().findFirst().orElse(""));
    }
    if (root == null || !"linear-duration".equals(root.path("model").asText())) {
      throw new IllegalArgumentException(
          source + ": not a tripflow duration model (expected \"model\": \"linear-duration\")");
    }
    List<String> names = new ArrayList<>();
    root.path("features").forEach(n -> names.add(n.asText()));
    if (!names.equals(TripFeatures.NAMES)) {
      throw new IllegalArgumentException(
          source + ": features " + names + " differ from this version's " + TripFeatures.NAMES);
    }
    JsonNode coef = root.path("coefficients");
    double[] c = new double[coef.size()];
    for (int i = 0; i < c.length; i++) {
      if (!coef.get(i).isNumber()) {
        throw new IllegalArgumentException(source + ": coefficient " + i + " is not a number");
      }
      c[i] = coef.get(i).asDouble();
    }
    try {
      return new LinearDurationModel(
          c, root.path("rmse_minutes").asDouble(Double.NaN), root.path("trained_rows").asLong(0));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(source + ": " + e.getMessage());
    }
  }

  /** The model bundled in the jar. */
  public static LinearDurationModel bundled() {
    try (InputStream in = LinearDurationModel.class.getResourceAsStream(BUNDLED)) {
      if (in == null) {
        throw new IllegalStateException("the bundled model " + BUNDLED + " is missing");
      }
      return fromJson(in, BUNDLED);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }
}
