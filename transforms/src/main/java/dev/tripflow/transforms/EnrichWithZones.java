package dev.tripflow.transforms;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * The broadcast join of rows carrying a zone id with the zone lookup: the 265 zones become a map
 * side input shared by every worker, and each row gains {@code borough}, {@code zone_name} and
 * {@code service_zone}. Rows whose zone is not in the lookup (or is null) go to {@link #UNMATCHED},
 * counted, never dropped.
 *
 * <pre>{@code
 * PCollectionTuple out = hourly.apply(EnrichWithZones.on("zone", zones));
 * PCollection<Row> enriched = out.get(EnrichWithZones.MATCHED);
 * PCollection<Row> unmatched = out.get(EnrichWithZones.UNMATCHED);
 * }</pre>
 */
public final class EnrichWithZones extends PTransform<PCollection<Row>, PCollectionTuple> {
  private static final long serialVersionUID = 1L;

  /** Rows whose zone was found, with the zone columns added. */
  public static final TupleTag<Row> MATCHED = new TupleTag<>("matched") {};

  /** Input rows whose zone was not found, unchanged. */
  public static final TupleTag<Row> UNMATCHED = new TupleTag<>("unmatched") {};

  private static final java.util.Set<Schema.TypeName> INTEGER_TYPES =
      java.util.EnumSet.of(
          Schema.TypeName.BYTE,
          Schema.TypeName.INT16,
          Schema.TypeName.INT32,
          Schema.TypeName.INT64);

  private final String zoneColumn;
  private final transient PCollection<Row> zones;

  private EnrichWithZones(String zoneColumn, PCollection<Row> zones) {
    this.zoneColumn = zoneColumn;
    this.zones = zones;
  }

  /** Joins on {@code zoneColumn} (an integer column) against {@link TaxiSchemas#ZONES} rows. */
  public static EnrichWithZones on(String zoneColumn, PCollection<Row> zones) {
    return new EnrichWithZones(zoneColumn, zones);
  }

  /** The schema of matched rows: the input's columns, then borough, zone_name, service_zone. */
  public static Schema enrichedSchema(Schema input) {
    return Schema.builder()
        .addFields(input.getFields())
        .addNullableField("borough", FieldType.STRING)
        .addNullableField("zone_name", FieldType.STRING)
        .addNullableField("service_zone", FieldType.STRING)
        .build();
  }

  @Override
  public PCollectionTuple expand(PCollection<Row> input) {
    Schema in = input.getSchema();
    if (!in.hasField(zoneColumn)
        || !INTEGER_TYPES.contains(in.getField(zoneColumn).getType().getTypeName())) {
      throw new IllegalArgumentException(
          "EnrichWithZones: no integer column '" + zoneColumn + "' in " + in.getFieldNames());
    }
    Schema out = enrichedSchema(in);
    PCollectionView<Map<Long, Row>> zoneMap =
        zones
            // Key each zone by its LocationID.
            .apply("KeyZonesById", ParDo.of(new KeyZoneFn()))
            .setCoder(KvCoder.of(VarLongCoder.of(), RowCoder.of(TaxiSchemas.ZONES)))
            // Broadcast the lookup to every worker as a map.
            .apply("ZonesAsMap", View.asMap());
    PCollectionTuple result =
        input.apply(
            "LookUpZone",
            ParDo.of(new LookupFn(zoneMap, in.indexOf(zoneColumn), out))
                .withSideInputs(zoneMap)
                .withOutputTags(MATCHED, TupleTagList.of(UNMATCHED)));
    result.get(MATCHED).setRowSchema(out);
    result.get(UNMATCHED).setRowSchema(in);
    return result;
  }

  static final class KeyZoneFn extends DoFn<Row, KV<Long, Row>> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element Row zone, OutputReceiver<KV<Long, Row>> out) {
      out.output(KV.of(zone.getInt64("LocationID"), zone));
    }
  }

  static final class LookupFn extends DoFn<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final PCollectionView<Map<Long, Row>> zoneMap;
    private final int zoneIndex;
    private final Schema out;
    // Attaches values to output rows; it keeps none, so one serves every row.
    private transient Row.Builder rows;
    private final Counter unmatched = Metrics.counter("tripflow", "unmatched_zones");

    LookupFn(PCollectionView<Map<Long, Row>> zoneMap, int zoneIndex, Schema out) {
      this.zoneMap = zoneMap;
      this.zoneIndex = zoneIndex;
      this.out = out;
    }

    @ProcessElement
    public void process(@Element Row row, MultiOutputReceiver outputs, ProcessContext c) {
      Object id = row.getValue(zoneIndex);
      Row zone = id == null ? null : c.sideInput(zoneMap).get(((Number) id).longValue());
      if (zone == null) {
        unmatched.inc();
        outputs.get(UNMATCHED).output(row);
        return;
      }
      List<Object> values = new ArrayList<>(row.getValues());
      values.add(zone.getString("Borough"));
      values.add(zone.getString("Zone"));
      values.add(zone.getString("service_zone"));
      if (rows == null) {
        rows = Row.withSchema(out);
      }
      outputs.get(MATCHED).output(rows.attachValues(values));
    }
  }
}
