package dev.tripflow.transforms;

import java.time.LocalDateTime;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.Row;

/**
 * Turns green or yellow trip records into the common trip shape {@link TaxiSchemas#TRIPS}: the 18
 * columns both services share, {@code lpep_/tpep_pickup_datetime} renamed to {@code
 * pickup_datetime} (likewise drop-off), and {@code service_type} added.
 *
 * <p>Input columns are found by name, so the input may hold only the columns {@link
 * #sourceSchema(String)} lists (what a column-projecting reader returns); integer and floating
 * columns are widened to the common type.
 *
 * <pre>{@code
 * PCollection<Row> trips = NormalizeTrips.flatten(
 *     green.apply("NormalizeGreen", NormalizeTrips.green()),
 *     yellow.apply("NormalizeYellow", NormalizeTrips.yellow()));
 * }</pre>
 */
public final class NormalizeTrips extends PTransform<PCollection<Row>, PCollection<Row>> {
  private static final long serialVersionUID = 1L;

  private final String serviceType;
  private final Schema output;

  private NormalizeTrips(String serviceType) {
    this(serviceType, TaxiSchemas.TRIPS);
  }

  private NormalizeTrips(String serviceType, Schema output) {
    this.serviceType = serviceType;
    this.output = output;
  }

  /**
   * Keeps only the named common columns (plus {@code service_type}): the output is {@link
   * TaxiSchemas#trips(java.util.Collection)} of them, and the input needs only their source
   * columns, {@link #sourceSchema(String, java.util.Collection)}.
   */
  public NormalizeTrips withColumns(java.util.Collection<String> columns) {
    return new NormalizeTrips(serviceType, TaxiSchemas.trips(columns));
  }

  /** Normalises green trips ({@code lpep_*} timestamps). */
  public static NormalizeTrips green() {
    return new NormalizeTrips("green");
  }

  /** Normalises yellow trips ({@code tpep_*} timestamps). */
  public static NormalizeTrips yellow() {
    return new NormalizeTrips("yellow");
  }

  /** Normalises trips of {@code serviceType} ({@code green} or {@code yellow}). */
  public static NormalizeTrips of(String serviceType) {
    String s = serviceType.toLowerCase(Locale.ROOT);
    if (!s.equals("green") && !s.equals("yellow")) {
      throw new IllegalArgumentException(
          "service type must be green or yellow, not '" + serviceType + "'");
    }
    return new NormalizeTrips(s);
  }

  /** Unions normalised green and yellow trips into one collection. */
  public static PCollection<Row> flatten(PCollection<Row> green, PCollection<Row> yellow) {
    if (!green.getSchema().equals(yellow.getSchema())) {
      throw new IllegalArgumentException(
          "green and yellow trips differ in columns: "
              + green.getSchema().getFieldNames()
              + " and "
              + yellow.getSchema().getFieldNames());
    }
    return PCollectionList.of(green)
        .and(yellow)
        .apply("FlattenGreenAndYellow", Flatten.pCollections())
        .setRowSchema(green.getSchema());
  }

  /**
   * The columns of the service's own schema that normalisation reads, with their original names and
   * types: what to ask a column-projecting reader for.
   */
  public static Schema sourceSchema(String serviceType) {
    return sourceSchema(serviceType, TaxiSchemas.TRIPS.getFieldNames());
  }

  /** Like {@link #sourceSchema(String)}, only for the named common columns. */
  public static Schema sourceSchema(String serviceType, java.util.Collection<String> columns) {
    Schema full = serviceType.equals("green") ? TaxiSchemas.GREEN : TaxiSchemas.YELLOW;
    Schema.Builder b = Schema.builder();
    for (Field f : TaxiSchemas.trips(columns).getFields()) {
      if (f.getName().equals("service_type")) {
        continue;
      }
      b.addField(full.getField(sourceColumn(serviceType, f.getName())));
    }
    return b.build();
  }

  /**
   * The name of the service's column behind common column {@code commonName}: {@code
   * lpep_/tpep_pickup_datetime} and {@code _dropoff_datetime}, else the same name. A reader that
   * renames columns itself can produce normalised trips directly from these names.
   */
  public static String sourceColumn(String serviceType, String commonName) {
    String prefix = serviceType.equals("green") ? "lpep_" : "tpep_";
    if (commonName.equals("pickup_datetime") || commonName.equals("dropoff_datetime")) {
      return prefix + commonName;
    }
    return commonName;
  }

  @Override
  public PCollection<Row> expand(PCollection<Row> input) {
    Schema in = input.getSchema();
    List<Field> targets = output.getFields();
    int[] sourceIndex = new int[targets.size() - 1];
    for (int i = 0; i < sourceIndex.length; i++) {
      Field target = targets.get(i);
      String name = sourceColumn(serviceType, target.getName());
      if (!in.hasField(name)) {
        throw new IllegalArgumentException(
            "NormalizeTrips("
                + serviceType
                + "): input has no column '"
                + name
                + "'; it has "
                + in.getFieldNames());
      }
      checkConvertible(in.getField(name), target);
      sourceIndex[i] = in.indexOf(name);
    }
    return input
        .apply(
            "To"
                + Character.toUpperCase(serviceType.charAt(0))
                + serviceType.substring(1)
                + "Trips",
            ParDo.of(new NormalizeFn(serviceType, sourceIndex, output, in)))
        .setRowSchema(output);
  }

  private static void checkConvertible(Field source, Field target) {
    TypeName from = source.getType().getTypeName();
    TypeName to = target.getType().getTypeName();
    boolean ok =
        from == to && source.getType().equals(target.getType().withNullable(false))
            || from == to && from != TypeName.LOGICAL_TYPE
            || from.isNumericType() && to.isNumericType();
    if (!ok && from == TypeName.LOGICAL_TYPE && to == TypeName.LOGICAL_TYPE) {
      ok =
          source
              .getType()
              .getLogicalType()
              .getIdentifier()
              .equals(target.getType().getLogicalType().getIdentifier());
    }
    if (!ok) {
      throw new IllegalArgumentException(
          "NormalizeTrips: column '"
              + source.getName()
              + "' is "
              + source.getType()
              + ", cannot become "
              + target.getType());
    }
  }

  /** Copies the common columns into a normalised row, widening numbers. */
  static final class NormalizeFn extends DoFn<Row, Row> {
    private static final long serialVersionUID = 1L;
    private final String serviceType;
    private final int[] sourceIndex;
    private final Schema output;
    private final TypeName[] targetTypes;
    private final boolean[] sameType;
    // Attaches values to rows of the output schema (it keeps none, so one serves every row).
    private transient Row.Builder rows;

    NormalizeFn(String serviceType, int[] sourceIndex, Schema output, Schema input) {
      this.serviceType = serviceType;
      this.sourceIndex = sourceIndex;
      this.output = output;
      this.targetTypes = new TypeName[sourceIndex.length];
      this.sameType = new boolean[sourceIndex.length];
      for (int i = 0; i < sourceIndex.length; i++) {
        FieldType t = output.getField(i).getType();
        targetTypes[i] = t.getTypeName();
        sameType[i] =
            input
                .getField(sourceIndex[i])
                .getType()
                .withNullable(true)
                .equals(t.withNullable(true));
      }
    }

    @ProcessElement
    public void process(@Element Row row, OutputReceiver<Row> out) {
      Object[] values = new Object[sourceIndex.length + 1];
      for (int i = 0; i < sourceIndex.length; i++) {
        Object v = row.getValue(sourceIndex[i]);
        values[i] = sameType[i] ? v : convert(v, targetTypes[i]);
      }
      values[sourceIndex.length] = serviceType;
      if (rows == null) {
        rows = Row.withSchema(output);
      }
      out.output(rows.attachValues(java.util.Arrays.asList(values)));
    }

    private static Object convert(Object v, TypeName to) {
      if (v == null) {
        return null;
      }
      switch (to) {
        case INT64:
          return v instanceof Long ? v : Long.valueOf(((Number) v).longValue());
        case DOUBLE:
          return v instanceof Double ? v : Double.valueOf(((Number) v).doubleValue());
        case LOGICAL_TYPE:
          return (LocalDateTime) v;
        default:
          return v;
      }
    }
  }
}
