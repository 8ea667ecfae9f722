package dev.tripflow.io.csv;

import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Counts dead letters and fails the pipeline when there are more than allowed; otherwise outputs
 * the count. Used as a commit gate, it keeps a run with too many bad records from replacing its
 * output.
 *
 * <pre>{@code
 * PCollection<Long> checked = csv.deadLetters().apply(FailOnTooManyBadRecords.atMost(100));
 * }</pre>
 */
public final class FailOnTooManyBadRecords extends PTransform<PCollection<Row>, PCollection<Long>> {
  private static final long serialVersionUID = 1L;

  private final long max;

  private FailOnTooManyBadRecords(long max) {
    this.max = max;
  }

  /** Allows at most {@code maxBadRecords}; a negative limit allows any number. */
  public static FailOnTooManyBadRecords atMost(long maxBadRecords) {
    return new FailOnTooManyBadRecords(maxBadRecords);
  }

  @Override
  public PCollection<Long> expand(PCollection<Row> deadLetters) {
    return deadLetters
        .apply("CountBadRecords", Count.globally())
        .apply("CheckLimit", ParDo.of(new CheckFn(max)));
  }

  static final class CheckFn extends DoFn<Long, Long> {
    private static final long serialVersionUID = 1L;
    private final long max;

    CheckFn(long max) {
      this.max = max;
    }

    @ProcessElement
    public void process(@Element Long count, OutputReceiver<Long> out) {
      if (max >= 0 && count > max) {
        throw new TooManyBadRecordsException(
            count
                + " bad records, more than --maxBadRecords="
                + max
                + " allows; no output was replaced");
      }
      out.output(count);
    }
  }

  /** The failure raised when the limit is exceeded. */
  public static final class TooManyBadRecordsException extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    TooManyBadRecordsException(String message) {
      super(message);
    }
  }
}
