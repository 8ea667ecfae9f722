package dev.tripflow.spi;

import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;

/**
 * The scalar field types the Parquet reader and the shuffle's row coder handle directly, each a
 * Beam {@link FieldType} (DATE and DATETIME are Beam's SQL logical types).
 */
public enum ScalarType {
  BYTE,
  INT16,
  INT32,
  INT64,
  FLOAT,
  DOUBLE,
  BOOLEAN,
  STRING,
  BYTES,
  DATE,
  DATETIME;

  /** The scalar type of {@code t}, or null for any other (arrays, rows, other logical types). */
  public static ScalarType of(FieldType t) {
    return switch (t.getTypeName()) {
      case BYTE -> BYTE;
      case INT16 -> INT16;
      case INT32 -> INT32;
      case INT64 -> INT64;
      case FLOAT -> FLOAT;
      case DOUBLE -> DOUBLE;
      case BOOLEAN -> BOOLEAN;
      case STRING -> STRING;
      case BYTES -> BYTES;
      case LOGICAL_TYPE -> {
        String id = t.getLogicalType().getIdentifier();
        yield id.equals(SqlTypes.DATETIME.getIdentifier())
            ? DATETIME
            : id.equals(SqlTypes.DATE.getIdentifier()) ? DATE : null;
      }
      default -> null;
    };
  }
}
