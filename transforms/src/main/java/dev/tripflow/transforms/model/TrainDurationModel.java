package dev.tripflow.transforms.model;

import com.google.auto.value.AutoValue;
import java.time.Duration;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.schemas.AutoValueSchema;
import org.apache.beam.sdk.schemas.annotations.DefaultSchema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Combine.CombineFn;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;

/**
 * Fits a {@link LinearDurationModel} by least squares on trips' actual durations (drop-off minus
 * pickup, in minutes), holding out one trip in ten (chosen by a hash of its values, so the split is
 * the same on every run) to measure the RMSE.
 *
 * <p>Trips with a missing or non-positive duration, a duration over three hours, or a distance
 * outside (0, 100] miles are not used. The normal equations are accumulated by a lifted combine, so
 * training scales with the data.
 */
public final class TrainDurationModel
    extends PTransform<PCollection<Row>, PCollection<LinearDurationModel>> {
  private static final long serialVersionUID = 1L;

  private static final int P = TripFeatures.NAMES.size();

  /**
   * A trip usable for training: its features, the actual duration in minutes and whether it is held
   * out; encoded by the schema Beam derives from it.
   */
  @AutoValue
  @DefaultSchema(AutoValueSchema.class)
  public abstract static class Example {
    public abstract List<Double> getFeatures();

    public abstract double getMinutes();

    public abstract boolean getHeldOut();

    /** How Beam's schema rebuilds an example from its fields. */
    @AutoValue.Builder
    public abstract static class Builder {
      public abstract Builder setFeatures(List<Double> features);

      public abstract Builder setMinutes(double minutes);

      public abstract Builder setHeldOut(boolean heldOut);

      public abstract Example build();
    }

    static Example of(double[] x, double minutes, boolean heldOut) {
      List<Double> features = new ArrayList<>(x.length);
      for (double v : x) {
        features.add(v);
      }
      return new AutoValue_TrainDurationModel_Example.Builder()
          .setFeatures(features)
          .setMinutes(minutes)
          .setHeldOut(heldOut)
          .build();
    }

    /** The features as an array, for the arithmetic. */
    double[] x() {
      double[] x = new double[getFeatures().size()];
      for (int i = 0; i < x.length; i++) {
        x[i] = getFeatures().get(i);
      }
      return x;
    }
  }

  /** The actual duration in minutes, or null when the trip is unusable for training. */
  static Double actualMinutes(Row trip) {
    LocalDateTime pickup = trip.getValue("pickup_datetime");
    LocalDateTime dropoff = trip.getValue("dropoff_datetime");
    Object d = trip.getValue("trip_distance");
    if (pickup == null || dropoff == null || d == null) {
      return null;
    }
    double distance = ((Number) d).doubleValue();
    double minutes = Duration.between(pickup, dropoff).getSeconds() / 60.0;
    if (minutes <= 0 || minutes > 180 || !(distance > 0) || distance > 100) {
      return null;
    }
    return minutes;
  }

  @Override
  public PCollection<LinearDurationModel> expand(PCollection<Row> trips) {
    PCollection<Example> examples =
        trips
            // Features and actual duration of every usable trip, one in ten held out.
            .apply("ToExamples", ParDo.of(new ToExampleFn()));
    PCollectionView<double[]> coefficients =
        examples
            .apply("TrainingRows", Filter.by(e -> !e.getHeldOut()))
            // Sum X'X and X'y over the training rows, then solve.
            .apply("FitLeastSquares", Combine.globally(new NormalEquationsFn()))
            .apply("AsSideInput", View.asSingleton());
    return examples
        .apply("HeldOutRows", Filter.by(e -> e.getHeldOut()))
        // Squared errors of the fitted model on the held-out rows.
        .apply(
            "SquaredErrors",
            ParDo.of(
                    new DoFn<Example, double[]>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        double[] beta = c.sideInput(coefficients);
                        Example e = c.element();
                        double[] x = e.x();
                        double yhat = 0;
                        for (int j = 0; j < P; j++) {
                          yhat += beta[j] * x[j];
                        }
                        yhat = Math.max(0.0, yhat);
                        double err = yhat - e.getMinutes();
                        c.output(new double[] {err * err, 1.0});
                      }
                    })
                .withSideInputs(coefficients))
        .apply("SumSquaredErrors", Combine.globally(new SumPairsFn()))
        .apply(
            "ToModel",
            ParDo.of(
                    new DoFn<double[], LinearDurationModel>() {
                      @ProcessElement
                      public void process(ProcessContext c) {
                        double[] sse = c.element();
                        double rmse = sse[1] == 0 ? Double.NaN : Math.sqrt(sse[0] / sse[1]);
                        double[] beta = c.sideInput(coefficients);
                        c.output(
                            new LinearDurationModel(
                                java.util.Arrays.copyOf(beta, P), rmse, (long) beta[P]));
                      }
                    })
                .withSideInputs(coefficients))
        .setCoder(SerializableCoder.of(LinearDurationModel.class));
  }

  static final class ToExampleFn extends DoFn<Row, Example> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element Row trip, OutputReceiver<Example> out) {
      Double minutes = actualMinutes(trip);
      double[] x = minutes == null ? null : TripFeatures.of(trip);
      if (x != null) {
        out.output(Example.of(x, minutes, Math.floorMod(trip.hashCode(), 10) == 0));
      }
    }
  }

  /** Accumulates X'X (upper triangle), X'y and a row count; outputs coefficients + count. */
  static final class NormalEquationsFn extends CombineFn<Example, double[], double[]> {
    private static final long serialVersionUID = 1L;
    private static final int SIZE = P * P + P + 1;

    @Override
    public double[] createAccumulator() {
      return new double[SIZE];
    }

    @Override
    public double[] addInput(double[] acc, Example e) {
      double[] x = e.x();
      for (int i = 0; i < P; i++) {
        for (int j = i; j < P; j++) {
          acc[i * P + j] += x[i] * x[j];
        }
        acc[P * P + i] += x[i] * e.getMinutes();
      }
      acc[SIZE - 1] += 1;
      return acc;
    }

    @Override
    public double[] mergeAccumulators(Iterable<double[]> accs) {
      double[] merged = createAccumulator();
      for (double[] a : accs) {
        for (int i = 0; i < SIZE; i++) {
          merged[i] += a[i];
        }
      }
      return merged;
    }

    @Override
    public double[] extractOutput(double[] acc) {
      double n = acc[SIZE - 1];
      double[] out = new double[P + 1];
      out[P] = n;
      if (n == 0) {
        return out; // no usable trips: a zero model
      }
      double[][] a = new double[P][P];
      double[] b = new double[P];
      for (int i = 0; i < P; i++) {
        for (int j = i; j < P; j++) {
          a[i][j] = a[j][i] = acc[i * P + j];
        }
        b[i] = acc[P * P + i];
      }
      // A little ridge keeps the system solvable when a feature is constant in the data.
      for (int i = 1; i < P; i++) {
        a[i][i] += 1e-6 * n;
      }
      double[] beta = solve(a, b);
      System.arraycopy(beta, 0, out, 0, P);
      return out;
    }

    @Override
    public double[] defaultValue() {
      return new double[P + 1];
    }
  }

  /** Solves a symmetric system by Gaussian elimination with partial pivoting. */
  static double[] solve(double[][] a, double[] b) {
    int n = b.length;
    double[][] m = new double[n][];
    for (int i = 0; i < n; i++) {
      m[i] = java.util.Arrays.copyOf(a[i], n + 1);
      m[i][n] = b[i];
    }
    for (int col = 0; col < n; col++) {
      int pivot = col;
      for (int r = col + 1; r < n; r++) {
        if (Math.abs(m[r][col]) > Math.abs(m[pivot][col])) {
          pivot = r;
        }
      }
      double[] t = m[col];
      m[col] = m[pivot];
      m[pivot] = t;
      if (m[col][col] == 0) {
        continue;
      }
      for (int r = col + 1; r < n; r++) {
        double f = m[r][col] / m[col][col];
        for (int c = col; c <= n; c++) {
          m[r][c] -= f * m[col][c];
        }
      }
    }
    double[] x = new double[n];
    for (int r = n - 1; r >= 0; r--) {
      double s = m[r][n];
      for (int c = r + 1; c < n; c++) {
        s -= m[r][c] * x[c];
      }
      x[r] = m[r][r] == 0 ? 0 : s / m[r][r];
    }
    return x;
  }

  /** Sums pairs (squared error, count). */
  static final class SumPairsFn extends CombineFn<double[], double[], double[]> {
    private static final long serialVersionUID = 1L;

    @Override
    public double[] createAccumulator() {
      return new double[2];
    }

    @Override
    public double[] addInput(double[] acc, double[] in) {
      acc[0] += in[0];
      acc[1] += in[1];
      return acc;
    }

    @Override
    public double[] mergeAccumulators(Iterable<double[]> accs) {
      double[] m = new double[2];
      for (double[] a : accs) {
        m[0] += a[0];
        m[1] += a[1];
      }
      return m;
    }

    @Override
    public double[] extractOutput(double[] acc) {
      return acc;
    }

    @Override
    public double[] defaultValue() {
      return new double[2];
    }
  }
}
