package dev.tripflow.transforms.model;

import java.io.Serializable;
import java.util.List;
import org.apache.beam.sdk.values.Row;

/**
 * A model that predicts trip durations in minutes, scored a batch at a time (the course's
 * mapPartitions example): implementations may load weights once and vectorise over the batch.
 */
public interface DurationModel extends Serializable {
  /**
   * Predicts the duration, in minutes, of each trip; the result has one entry per input row, in
   * order, {@code null} where the row lacks what the model needs.
   */
  Double[] predict(List<Row> trips);
}
