package dev.tripflow.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.DoubleCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Filter;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.SerializableBiFunction;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * The hourly revenue written the course's RDD way: filter the trips, map each to {@code ((hour,
 * zone), (amount, 1))}, reduce by key by adding the pairs, and unwrap the result into rows with an
 * explicit schema ({@link HourlyZoneRevenue#SCHEMA}). Same answers as {@link HourlyZoneRevenue}: a
 * null amount is skipped by the sum but counted as a record.
 */
public final class HourlyZoneRevenueRdd extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private final LocalDateTime since;

  private HourlyZoneRevenueRdd(LocalDateTime since) {
    this.since = since;
  }

  /** Revenue of trips picked up at or after {@code since} (null: every trip with a pickup). */
  public static HourlyZoneRevenueRdd since(LocalDateTime since) {
    return new HourlyZoneRevenueRdd(since);
  }

  /** The value of the reduce: an amount (absent when every amount was null) and a count. */
  public static final class AmountCount implements Serializable {
    private static final long serialVersionUID = 1L;
    final double amount;
    final boolean hasAmount;
    final long count;

    AmountCount(double amount, boolean hasAmount, long count) {
      this.amount = amount;
      this.hasAmount = hasAmount;
      this.count = count;
    }

    /** The reduce function: adds amounts and counts. */
    static AmountCount add(AmountCount a, AmountCount b) {
      return new AmountCount(a.amount + b.amount, a.hasAmount || b.hasAmount, a.count + b.count);
    }
  }

  /** Encodes {@link AmountCount}. */
  static final class AmountCountCoder extends CustomCoder<AmountCount> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(AmountCount v, OutputStream out) throws IOException {
      DoubleCoder.of().encode(v.amount, out);
      out.write(v.hasAmount ? 1 : 0);
      VarLongCoder.of().encode(v.count, out);
    }

    @Override
    public AmountCount decode(InputStream in) throws IOException {
      double amount = DoubleCoder.of().decode(in);
      boolean has = in.read() == 1;
      return new AmountCount(amount, has, VarLongCoder.of().decode(in));
    }
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> trips) {
    TaxiSchemas.requireTripColumns(
        trips.getSchema(), HourlyZoneRevenue.COLUMNS, "HourlyZoneRevenueRdd");
    int pickup = trips.getSchema().indexOf("pickup_datetime");
    int zone = trips.getSchema().indexOf("PULocationID");
    int amount = trips.getSchema().indexOf("total_amount");
    LocalDateTime start = since;
    SerializableBiFunction<AmountCount, AmountCount, AmountCount> add = AmountCount::add;
    return trips
        // filter: trips picked up since the start
        .apply(
            "Filter",
            Filter.by(
                (Row t) -> {
                  LocalDateTime p = t.getValue(pickup);
                  return p != null && (start == null || !p.isBefore(start));
                }))
        // map: ((hour, zone), (amount, 1))
        .apply(
            "MapToKeyValue",
            ParDo.of(
                new DoFn<Row, KV<Row, AmountCount>>() {
                  @ProcessElement
                  public void process(@Element Row t, OutputReceiver<KV<Row, AmountCount>> out) {
                    List<Object> key = new ArrayList<>(2);
                    key.add(DateTrunc.toHour(t.getValue(pickup)));
                    key.add(t.getValue(zone));
                    Double a = t.getValue(amount);
                    out.output(
                        KV.of(
                            Row.withSchema(HourlyZoneRevenue.KEY).attachValues(key),
                            new AmountCount(a == null ? 0.0 : a, a != null, 1)));
                  }
                }))
        .setCoder(KvCoder.of(RowCoder.of(HourlyZoneRevenue.KEY), new AmountCountCoder()))
        // reduceByKey: add the pairs
        .apply(
            "ReduceByKey",
            Combine.perKey(
                new Combine.BinaryCombineFn<AmountCount>() {
                  @Override
                  public AmountCount apply(AmountCount left, AmountCount right) {
                    return add.apply(left, right);
                  }
                }))
        .setCoder(KvCoder.of(RowCoder.of(HourlyZoneRevenue.KEY), new AmountCountCoder()))
        // unwrap into rows with an explicit schema
        .apply(
            "Unwrap",
            ParDo.of(
                new DoFn<KV<Row, AmountCount>, Row>() {
                  @ProcessElement
                  public void process(@Element KV<Row, AmountCount> kv, OutputReceiver<Row> out) {
                    AmountCount v = kv.getValue();
                    out.output(
                        Row.withSchema(HourlyZoneRevenue.SCHEMA)
                            .addValues(
                                kv.getKey().getValue(0),
                                kv.getKey().getValue(1),
                                v.hasAmount ? v.amount : null,
                                v.count)
                            .build());
                  }
                }))
        .setRowSchema(HourlyZoneRevenue.SCHEMA);
  }
}
