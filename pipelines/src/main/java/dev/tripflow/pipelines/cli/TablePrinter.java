package dev.tripflow.pipelines.cli;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;

/** Renders schemas like Spark's {@code printSchema()} and rows like {@code show()}. */
public final class TablePrinter {
  private TablePrinter() {}

  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);
  private static final int MAX_CELL = 24;

  /** A tree like {@code root |-- name: type (nullable = true)}. */
  public static String schema(Schema schema) {
    StringBuilder sb = new StringBuilder("root\n");
    for (Field f : schema.getFields()) {
      sb.append(" |-- ")
          .append(f.getName())
          .append(": ")
          .append(typeName(f.getType()))
          .append(" (nullable = ")
          .append(f.getType().getNullable())
          .append(")\n");
    }
    return sb.toString();
  }

  /** A readable name of a Beam field type: {@code long}, {@code double}, {@code timestamp}... */
  public static String typeName(FieldType type) {
    switch (type.getTypeName()) {
      case INT16:
        return "short";
      case INT32:
        return "integer";
      case INT64:
        return "long";
      case FLOAT:
        return "float";
      case DOUBLE:
        return "double";
      case BOOLEAN:
        return "boolean";
      case STRING:
        return "string";
      case BYTES:
        return "binary";
      case DECIMAL:
        return "decimal";
      case LOGICAL_TYPE:
        String id = type.getLogicalType().getIdentifier();
        if (id.contains("datetime")) {
          return "timestamp";
        }
        if (id.contains("date")) {
          return "date";
        }
        return id;
      default:
        return type.getTypeName().toString().toLowerCase(Locale.ROOT);
    }
  }

  /** An aligned table of {@code rows}, cells cut to 24 characters as {@code show()} does. */
  public static String table(Schema schema, List<Row> rows) {
    int n = schema.getFieldCount();
    List<String[]> cells = new ArrayList<>();
    String[] header = schema.getFieldNames().toArray(new String[0]);
    cells.add(header);
    for (Row r : rows) {
      String[] line = new String[n];
      for (int i = 0; i < n; i++) {
        line[i] = cell(r.getValue(i));
      }
      cells.add(line);
    }
    int[] width = new int[n];
    for (String[] line : cells) {
      for (int i = 0; i < n; i++) {
        width[i] = Math.max(width[i], line[i].length());
      }
    }
    StringBuilder sep = new StringBuilder("+");
    for (int w : width) {
      sep.append("-".repeat(w)).append('+');
    }
    StringBuilder sb = new StringBuilder();
    sb.append(sep).append('\n');
    for (int li = 0; li < cells.size(); li++) {
      String[] line = cells.get(li);
      sb.append('|');
      for (int i = 0; i < n; i++) {
        sb.append(" ".repeat(width[i] - line[i].length())).append(line[i]).append('|');
      }
      sb.append('\n');
      if (li == 0) {
        sb.append(sep).append('\n');
      }
    }
    sb.append(sep).append('\n');
    return sb.toString();
  }

  private static String cell(Object v) {
    String s;
    if (v == null) {
      s = "null";
    } else if (v instanceof LocalDateTime t) {
      s = TIME.format(t);
      if (t.getNano() != 0) {
        s = t.toString().replace('T', ' ');
      }
    } else {
      s = String.valueOf(v);
    }
    return s.length() > MAX_CELL ? s.substring(0, MAX_CELL - 3) + "..." : s;
  }
}
