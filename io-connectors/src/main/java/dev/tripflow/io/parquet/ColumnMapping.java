package dev.tripflow.io.parquet;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.TypeName;

/**
 * How a reader fills a target field: from the file column of the target field's own name (the
 * default), from a column of another name, or with one string for every row. A reader that renames
 * and adds a constant column itself saves a row, its values and a step per record over a separate
 * transform doing it after the read.
 *
 * <pre>{@code
 * ParquetRows.read(glob, trips)
 *     .withColumns(ColumnMapping.NONE.column("pickup_datetime", "tpep_pickup_datetime")
 *         .constant("service_type", "yellow"));
 * }</pre>
 */
public final class ColumnMapping implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Every target field read from the file column of its own name. */
  public static final ColumnMapping NONE = new ColumnMapping(Map.of(), Map.of());

  private final Map<String, String> columns;
  private final Map<String, String> constants;

  private ColumnMapping(Map<String, String> columns, Map<String, String> constants) {
    this.columns = columns;
    this.constants = constants;
  }

  /** Reads target field {@code field} from the file column {@code column}. */
  public ColumnMapping column(String field, String column) {
    Map<String, String> c = new LinkedHashMap<>(columns);
    c.put(field, column);
    return new ColumnMapping(Map.copyOf(c), constants);
  }

  /** Gives target field {@code field} the value {@code value} in every row, reading no column. */
  public ColumnMapping constant(String field, String value) {
    Map<String, String> c = new LinkedHashMap<>(constants);
    c.put(field, value);
    return new ColumnMapping(columns, Map.copyOf(c));
  }

  /** The file column a target field is read from. */
  String columnOf(String field) {
    return columns.getOrDefault(field, field);
  }

  /** The constant of a target field, or null when it is read from the file. */
  String constantOf(String field) {
    return constants.get(field);
  }

  /**
   * Checks the mapping against the target schema: every named field exists, constants are strings.
   */
  void check(Schema target) {
    for (String f : columns.keySet()) {
      if (!target.hasField(f)) {
        throw new IllegalArgumentException(
            "column mapping names field '" + f + "', not in " + target.getFieldNames());
      }
    }
    for (String f : constants.keySet()) {
      if (!target.hasField(f)) {
        throw new IllegalArgumentException(
            "constant field '" + f + "' is not in " + target.getFieldNames());
      }
      if (target.getField(f).getType().getTypeName() != TypeName.STRING) {
        throw new IllegalArgumentException(
            "constant field '" + f + "' is " + target.getField(f).getType() + ", not a string");
      }
      if (columns.containsKey(f)) {
        throw new IllegalArgumentException("field '" + f + "' is both a column and a constant");
      }
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ColumnMapping m
        && m.columns.equals(columns)
        && m.constants.equals(constants);
  }

  @Override
  public int hashCode() {
    return columns.hashCode() * 31 + constants.hashCode();
  }

  @Override
  public String toString() {
    return "columns " + columns + ", constants " + constants;
  }
}
