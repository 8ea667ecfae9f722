package dev.tripflow.io.parquet;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DateLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimeUnit;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;
import org.apache.parquet.schema.Type;
import org.apache.parquet.schema.Type.Repetition;
import org.apache.parquet.schema.Types;

/**
 * Maps Beam schemas to Parquet message types and back, for flat records of primitive columns.
 *
 * <p>Local date-times ({@link SqlTypes#DATETIME}) are written as {@code INT64 TIMESTAMP(MICROS,
 * isAdjustedToUTC=false)}, the type of the TLC files, which engines read as a timestamp without a
 * zone.
 */
public final class ParquetSchemas {
  private ParquetSchemas() {}

  /** The Parquet message type for rows of {@code schema}. */
  public static MessageType toParquet(Schema schema) {
    List<Type> fields = new ArrayList<>();
    for (Field f : schema.getFields()) {
      fields.add(toParquet(f));
    }
    return new MessageType("schema", fields);
  }

  private static Type toParquet(Field f) {
    FieldType t = f.getType();
    Repetition rep = t.getNullable() ? Repetition.OPTIONAL : Repetition.REQUIRED;
    switch (t.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
        return Types.primitive(PrimitiveTypeName.INT32, rep).named(f.getName());
      case INT64:
        return Types.primitive(PrimitiveTypeName.INT64, rep).named(f.getName());
      case FLOAT:
        return Types.primitive(PrimitiveTypeName.FLOAT, rep).named(f.getName());
      case DOUBLE:
        return Types.primitive(PrimitiveTypeName.DOUBLE, rep).named(f.getName());
      case BOOLEAN:
        return Types.primitive(PrimitiveTypeName.BOOLEAN, rep).named(f.getName());
      case STRING:
        return Types.primitive(PrimitiveTypeName.BINARY, rep)
            .as(LogicalTypeAnnotation.stringType())
            .named(f.getName());
      case BYTES:
        return Types.primitive(PrimitiveTypeName.BINARY, rep).named(f.getName());
      case LOGICAL_TYPE:
        String id = t.getLogicalType().getIdentifier();
        if (id.equals(SqlTypes.DATETIME.getIdentifier())) {
          return Types.primitive(PrimitiveTypeName.INT64, rep)
              .as(LogicalTypeAnnotation.timestampType(false, TimeUnit.MICROS))
              .named(f.getName());
        }
        if (id.equals(SqlTypes.DATE.getIdentifier())) {
          return Types.primitive(PrimitiveTypeName.INT32, rep)
              .as(LogicalTypeAnnotation.dateType())
              .named(f.getName());
        }
        break;
      default:
        break;
    }
    throw new IllegalArgumentException(
        "column '" + f.getName() + "': " + t + " cannot be written to Parquet by tripflow");
  }

  /**
   * The Beam schema of a Parquet file's flat columns, every field nullable unless REQUIRED:
   * timestamps and INT96 become local date-times, DATE dates, decimals doubles.
   *
   * @throws IllegalArgumentException naming a nested or repeated column
   */
  public static Schema toBeam(MessageType type) {
    Schema.Builder b = Schema.builder();
    for (Type field : type.getFields()) {
      FieldType ft = toBeam(field);
      b.addField(
          field.isRepetition(Repetition.REQUIRED)
              ? Field.of(field.getName(), ft)
              : Field.nullable(field.getName(), ft));
    }
    return b.build();
  }

  static FieldType toBeam(Type field) {
    if (!field.isPrimitive() || field.isRepetition(Repetition.REPEATED)) {
      throw new IllegalArgumentException(
          "column '" + field.getName() + "' is nested or repeated, which tripflow does not read");
    }
    PrimitiveType p = field.asPrimitiveType();
    LogicalTypeAnnotation a = p.getLogicalTypeAnnotation();
    if (a instanceof TimestampLogicalTypeAnnotation) {
      return FieldType.logicalType(SqlTypes.DATETIME);
    }
    if (a instanceof DateLogicalTypeAnnotation) {
      return FieldType.logicalType(SqlTypes.DATE);
    }
    if (a instanceof DecimalLogicalTypeAnnotation) {
      return FieldType.DOUBLE;
    }
    switch (p.getPrimitiveTypeName()) {
      case INT32:
        if (a instanceof IntLogicalTypeAnnotation i && !i.isSigned() && i.getBitWidth() == 32) {
          return FieldType.INT64;
        }
        return FieldType.INT32;
      case INT64:
        return FieldType.INT64;
      case INT96:
        return FieldType.logicalType(SqlTypes.DATETIME);
      case FLOAT:
        return FieldType.FLOAT;
      case DOUBLE:
        return FieldType.DOUBLE;
      case BOOLEAN:
        return FieldType.BOOLEAN;
      case BINARY:
      case FIXED_LEN_BYTE_ARRAY:
        // Strings, enums and JSON; unannotated binary is read as text too, as Spark's
        // binaryAsString does, since older writers left strings unannotated.
        return FieldType.STRING;
      default:
        throw new IllegalArgumentException(
            "column '" + field.getName() + "': unsupported Parquet type " + p);
    }
  }
}
