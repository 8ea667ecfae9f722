package dev.tripflow.transforms;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Keeps the trips picked up within the given local-time intervals {@code [start, end)} (a scheduled
 * run's periods), as {@code WHERE pickup_datetime >= start AND pickup_datetime < end} would: a trip
 * without a pickup time is outside. Trips left out are counted in a Beam counter.
 */
public final class PickupWithin extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private final ArrayList<LocalDateTime[]> intervals;
  private final String namespace;
  private final String counter;

  private PickupWithin(List<LocalDateTime[]> intervals, String namespace, String counter) {
    this.intervals = new ArrayList<>();
    for (LocalDateTime[] i : intervals) {
      if (i.length != 2 || !i[0].isBefore(i[1])) {
        throw new IllegalArgumentException("an interval is [start, end) with start < end");
      }
      this.intervals.add(i.clone());
    }
    this.intervals.sort((a, b) -> a[0].compareTo(b[0]));
    this.namespace = namespace;
    this.counter = counter;
  }

  /**
   * Keeps the rows whose {@code pickup_datetime} lies in one of {@code intervals}, counting the
   * others in {@code namespace:counter}.
   */
  public static PickupWithin of(List<LocalDateTime[]> intervals, String namespace, String counter) {
    return new PickupWithin(intervals, namespace, counter);
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    int field = trips.getSchema().indexOf("pickup_datetime");
    return trips
        .apply(ParDo.of(new KeepFn(intervals, field, namespace, counter)))
        .setRowSchema(trips.getSchema());
  }

  private static final class KeepFn extends DoFn<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final LocalDateTime[] starts;
    private final LocalDateTime[] ends;
    private final int field;
    private final Counter outside;

    KeepFn(List<LocalDateTime[]> intervals, int field, String namespace, String counter) {
      this.starts = new LocalDateTime[intervals.size()];
      this.ends = new LocalDateTime[intervals.size()];
      for (int i = 0; i < intervals.size(); i++) {
        starts[i] = intervals.get(i)[0];
        ends[i] = intervals.get(i)[1];
      }
      this.field = field;
      this.outside = Metrics.counter(namespace, counter);
    }

    @ProcessElement
    public void process(@Element Row trip, OutputReceiver<Row> out) {
      Object value = trip.getValue(field);
      if (value instanceof LocalDateTime t && within(t)) {
        out.output(trip);
      } else {
        outside.inc();
      }
    }

    private boolean within(LocalDateTime t) {
      // the last interval starting at or before t
      int lo = 0;
      int hi = starts.length - 1;
      int found = -1;
      while (lo <= hi) {
        int mid = (lo + hi) >>> 1;
        if (!starts[mid].isAfter(t)) {
          found = mid;
          lo = mid + 1;
        } else {
          hi = mid - 1;
        }
      }
      return found >= 0 && t.isBefore(ends[found]);
    }
  }
}
