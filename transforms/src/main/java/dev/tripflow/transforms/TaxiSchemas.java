package dev.tripflow.transforms;

import dev.tripflow.spi.ColumnOptions;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;

/**
 * The Beam schemas of the TLC trip records (2020–2021 Parquet columns and types), the normalised
 * trip shape the revenue workloads share, and the zone lookup.
 *
 * <p>Timestamps are local wall-clock times without a zone: {@link SqlTypes#DATETIME}, whose Java
 * value is {@link java.time.LocalDateTime}. Every TLC column is nullable, as in the files.
 */
public final class TaxiSchemas {
  private TaxiSchemas() {}

  /** Local wall-clock timestamp, a {@link java.time.LocalDateTime}. */
  public static final FieldType DATETIME = FieldType.logicalType(SqlTypes.DATETIME);

  /** Green taxi trip records (LPEP), as in {@code green_tripdata_2020-*.parquet}. */
  public static final Schema GREEN =
      Schema.builder()
          .addNullableField("VendorID", FieldType.INT64)
          .addNullableField("lpep_pickup_datetime", DATETIME)
          .addNullableField("lpep_dropoff_datetime", DATETIME)
          .addNullableField("store_and_fwd_flag", FieldType.STRING)
          .addNullableField("RatecodeID", FieldType.DOUBLE)
          .addNullableField("PULocationID", FieldType.INT64)
          .addNullableField("DOLocationID", FieldType.INT64)
          .addNullableField("passenger_count", FieldType.DOUBLE)
          .addNullableField("trip_distance", FieldType.DOUBLE)
          .addNullableField("fare_amount", FieldType.DOUBLE)
          .addNullableField("extra", FieldType.DOUBLE)
          .addNullableField("mta_tax", FieldType.DOUBLE)
          .addNullableField("tip_amount", FieldType.DOUBLE)
          .addNullableField("tolls_amount", FieldType.DOUBLE)
          .addNullableField("ehail_fee", FieldType.DOUBLE)
          .addNullableField("improvement_surcharge", FieldType.DOUBLE)
          .addNullableField("total_amount", FieldType.DOUBLE)
          .addNullableField("payment_type", FieldType.DOUBLE)
          .addNullableField("trip_type", FieldType.DOUBLE)
          .addNullableField("congestion_surcharge", FieldType.DOUBLE)
          .build();

  /** Yellow taxi trip records (TPEP), as in {@code yellow_tripdata_2020-*.parquet}. */
  public static final Schema YELLOW =
      Schema.builder()
          .addNullableField("VendorID", FieldType.INT64)
          .addNullableField("tpep_pickup_datetime", DATETIME)
          .addNullableField("tpep_dropoff_datetime", DATETIME)
          .addNullableField("passenger_count", FieldType.DOUBLE)
          .addNullableField("trip_distance", FieldType.DOUBLE)
          .addNullableField("RatecodeID", FieldType.DOUBLE)
          .addNullableField("store_and_fwd_flag", FieldType.STRING)
          .addNullableField("PULocationID", FieldType.INT64)
          .addNullableField("DOLocationID", FieldType.INT64)
          .addNullableField("payment_type", FieldType.INT64)
          .addNullableField("fare_amount", FieldType.DOUBLE)
          .addNullableField("extra", FieldType.DOUBLE)
          .addNullableField("mta_tax", FieldType.DOUBLE)
          .addNullableField("tip_amount", FieldType.DOUBLE)
          .addNullableField("tolls_amount", FieldType.DOUBLE)
          .addNullableField("improvement_surcharge", FieldType.DOUBLE)
          .addNullableField("total_amount", FieldType.DOUBLE)
          .addNullableField("congestion_surcharge", FieldType.DOUBLE)
          // Only files from 2021 on have it: the 2020 files the course reads are complete without.
          .addField(
              Schema.Field.nullable("airport_fee", FieldType.DOUBLE)
                  .withOptions(
                      Schema.Options.builder()
                          .setOption(ColumnOptions.OPTIONAL, FieldType.BOOLEAN, true)))
          .build();

  /** High-volume for-hire vehicle trips (FHVHV), the 2021 columns the course uses. */
  public static final Schema FHVHV =
      Schema.builder()
          .addNullableField("hvfhs_license_num", FieldType.STRING)
          .addNullableField("dispatching_base_num", FieldType.STRING)
          .addNullableField("pickup_datetime", DATETIME)
          .addNullableField("dropoff_datetime", DATETIME)
          .addNullableField("PULocationID", FieldType.INT64)
          .addNullableField("DOLocationID", FieldType.INT64)
          .addNullableField("SR_Flag", FieldType.STRING)
          .build();

  /** The taxi zone lookup ({@code taxi_zone_lookup.csv}): 265 zones. */
  public static final Schema ZONES =
      Schema.builder()
          .addField("LocationID", FieldType.INT64)
          .addNullableField("Borough", FieldType.STRING)
          .addNullableField("Zone", FieldType.STRING)
          .addNullableField("service_zone", FieldType.STRING)
          .build();

  /**
   * Green and yellow trips in one shape: the 18 columns both services have, with the pickup and
   * drop-off columns renamed, plus {@code service_type} ({@code green} or {@code yellow}).
   */
  public static final Schema TRIPS =
      Schema.builder()
          .addNullableField("VendorID", FieldType.INT64)
          .addNullableField("pickup_datetime", DATETIME)
          .addNullableField("dropoff_datetime", DATETIME)
          .addNullableField("store_and_fwd_flag", FieldType.STRING)
          .addNullableField("RatecodeID", FieldType.DOUBLE)
          .addNullableField("PULocationID", FieldType.INT64)
          .addNullableField("DOLocationID", FieldType.INT64)
          .addNullableField("passenger_count", FieldType.DOUBLE)
          .addNullableField("trip_distance", FieldType.DOUBLE)
          .addNullableField("fare_amount", FieldType.DOUBLE)
          .addNullableField("extra", FieldType.DOUBLE)
          .addNullableField("mta_tax", FieldType.DOUBLE)
          .addNullableField("tip_amount", FieldType.DOUBLE)
          .addNullableField("tolls_amount", FieldType.DOUBLE)
          .addNullableField("improvement_surcharge", FieldType.DOUBLE)
          .addNullableField("total_amount", FieldType.DOUBLE)
          .addNullableField("payment_type", FieldType.DOUBLE)
          .addNullableField("congestion_surcharge", FieldType.DOUBLE)
          .addField("service_type", FieldType.STRING)
          .build();

  private static final Map<String, Schema> BY_NAME = new TreeMap<>();

  static {
    BY_NAME.put("green", GREEN);
    BY_NAME.put("yellow", YELLOW);
    BY_NAME.put("fhvhv", FHVHV);
    BY_NAME.put("zones", ZONES);
    BY_NAME.put("trips", TRIPS);
  }

  /** The named schemas ({@code green}, {@code yellow}, {@code fhvhv}, {@code zones}, ...). */
  public static Map<String, Schema> named() {
    return java.util.Collections.unmodifiableMap(BY_NAME);
  }

  /** Looks a schema up by name, case-insensitively. */
  public static Optional<Schema> byName(String name) {
    return Optional.ofNullable(BY_NAME.get(name.toLowerCase(Locale.ROOT)));
  }

  /**
   * The {@link #TRIPS} columns named, in {@link #TRIPS} order, plus {@code service_type}: the
   * normalised shape of a projected read, where a workload decodes only the columns it uses.
   */
  public static Schema trips(java.util.Collection<String> columns) {
    for (String c : columns) {
      if (!TRIPS.hasField(c)) {
        throw new IllegalArgumentException(
            "no trip column '" + c + "'; the trip columns are " + TRIPS.getFieldNames());
      }
    }
    Schema.Builder b = Schema.builder();
    for (Schema.Field f : TRIPS.getFields()) {
      if (columns.contains(f.getName()) || f.getName().equals("service_type")) {
        b.addField(f);
      }
    }
    return b.build();
  }

  /**
   * Checks that {@code schema} has each of {@code columns} with its {@link #TRIPS} type: normalised
   * trips, whole or projected.
   */
  public static void requireTripColumns(
      Schema schema, java.util.Collection<String> columns, String who) {
    for (String c : columns) {
      Schema.Field want = TRIPS.getField(c);
      if (!schema.hasField(c) || !schema.getField(c).getType().equals(want.getType())) {
        throw new IllegalArgumentException(
            who
                + " reads normalised trips (NormalizeTrips) with column '"
                + c
                + "' of type "
                + want.getType()
                + ", not "
                + schema);
      }
    }
  }
}
