package dev.tripflow.transforms.model;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;
import org.joda.time.Instant;

/**
 * Appends {@code predicted_duration} (minutes) to each trip, scoring trips in batches: the DoFn
 * buffers up to {@code batchSize} rows of a bundle, scores a full batch at once, and scores what is
 * left when the bundle finishes (the course's mapPartitions example, done per bundle).
 *
 * <pre>{@code
 * trips.apply(PredictDuration.with(LinearDurationModel.bundled(), 10_000));
 * }</pre>
 */
public final class PredictDuration extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private final DurationModel model;
  private final int batchSize;

  private PredictDuration(DurationModel model, int batchSize) {
    if (batchSize < 1) {
      throw new IllegalArgumentException("batch size must be at least 1, not " + batchSize);
    }
    this.model = model;
    this.batchSize = batchSize;
  }

  /** Scores with {@code model}, {@code batchSize} rows at a time. */
  public static PredictDuration with(DurationModel model, int batchSize) {
    return new PredictDuration(model, batchSize);
  }

  /** The output schema: the input's columns plus {@code predicted_duration}. */
  public static Schema outputSchema(Schema input) {
    return Schema.builder()
        .addFields(input.getFields())
        .addNullableField("predicted_duration", FieldType.DOUBLE)
        .build();
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    Schema out = outputSchema(trips.getSchema());
    return trips
        .apply("ScoreInBatches", ParDo.of(new BatchScoreFn(model, batchSize, out)))
        .setRowSchema(out);
  }

  /** Buffers rows per bundle and scores them a batch at a time. */
  static final class BatchScoreFn extends DoFn<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final DurationModel model;
    private final int batchSize;
    private final Schema out;
    private transient List<Row> batch;
    private transient List<Instant> timestamps;
    private transient List<BoundedWindow> windows;

    BatchScoreFn(DurationModel model, int batchSize, Schema out) {
      this.model = model;
      this.batchSize = batchSize;
      this.out = out;
    }

    @StartBundle
    public void startBundle() {
      batch = new ArrayList<>(batchSize);
      timestamps = new ArrayList<>(batchSize);
      windows = new ArrayList<>(batchSize);
    }

    @ProcessElement
    public void process(
        @Element Row trip, @Timestamp Instant ts, BoundedWindow window, OutputReceiver<Row> o) {
      batch.add(trip);
      timestamps.add(ts);
      windows.add(window);
      if (batch.size() >= batchSize) {
        Double[] predictions = model.predict(batch);
        for (int i = 0; i < batch.size(); i++) {
          o.outputWithTimestamp(withPrediction(batch.get(i), predictions[i]), timestamps.get(i));
        }
        clear();
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      if (batch.isEmpty()) {
        return;
      }
      Double[] predictions = model.predict(batch);
      for (int i = 0; i < batch.size(); i++) {
        c.output(withPrediction(batch.get(i), predictions[i]), timestamps.get(i), windows.get(i));
      }
      clear();
    }

    private void clear() {
      batch.clear();
      timestamps.clear();
      windows.clear();
    }

    private Row withPrediction(Row trip, Double minutes) {
      List<Object> values = new ArrayList<>(trip.getValues());
      values.add(minutes);
      return Row.withSchema(out).attachValues(values);
    }
  }
}
