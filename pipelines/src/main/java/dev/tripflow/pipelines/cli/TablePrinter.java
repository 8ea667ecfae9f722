package dev.tripflow.pipelines.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
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
    String s = v == null ? "null" : text(v);
    return s.length() > MAX_CELL ? s.substring(0, MAX_CELL - 3) + "..." : s;
  }

  /** A value as text, whole: timestamps as {@code yyyy-MM-dd HH:mm:ss[.fraction]}. */
  private static String text(Object v) {
    if (v instanceof LocalDateTime t) {
      return t.getNano() == 0 ? TIME.format(t) : t.toString().replace('T', ' ');
    }
    return String.valueOf(v);
  }

  /**
   * {@code rows} as CSV with a header line (RFC 4180: fields holding a comma, a quote or a line
   * break are quoted); a null is an empty field, as Spark's CSV writer leaves it.
   */
  public static String csv(Schema schema, List<Row> rows) {
    StringBuilder sb = new StringBuilder();
    List<String> header = new ArrayList<>();
    for (String name : schema.getFieldNames()) {
      header.add(csvField(name));
    }
    sb.append(String.join(",", header)).append('\n');
    for (Row r : rows) {
      for (int i = 0; i < r.getFieldCount(); i++) {
        Object v = r.getValue(i);
        sb.append(i == 0 ? "" : ",").append(v == null ? "" : csvField(text(v)));
      }
      sb.append('\n');
    }
    return sb.toString();
  }

  private static String csvField(String s) {
    if (s.isEmpty()
        || s.indexOf(',') >= 0
        || s.indexOf('"') >= 0
        || s.indexOf('\n') >= 0
        || s.indexOf('\r') >= 0) {
      return '"' + s.replace("\"", "\"\"") + '"';
    }
    return s;
  }

  /**
   * {@code rows} as JSON lines, one object a row with the columns in order: numbers and booleans as
   * JSON values (a NaN or infinite double as a string), timestamps and the rest as strings.
   */
  public static String jsonLines(Schema schema, List<Row> rows) {
    ObjectMapper json = new ObjectMapper();
    StringBuilder sb = new StringBuilder();
    for (Row r : rows) {
      ObjectNode o = json.createObjectNode();
      for (int i = 0; i < r.getFieldCount(); i++) {
        String name = schema.getField(i).getName();
        Object v = r.getValue(i);
        if (v == null) {
          o.putNull(name);
        } else if (v instanceof Double d && Double.isFinite(d)) {
          o.put(name, d);
        } else if (v instanceof Float f && Float.isFinite(f)) {
          o.put(name, f);
        } else if (v instanceof Long l) {
          o.put(name, l);
        } else if (v instanceof Integer n) {
          o.put(name, n);
        } else if (v instanceof Short n) {
          o.put(name, n);
        } else if (v instanceof Byte n) {
          o.put(name, n.intValue());
        } else if (v instanceof java.math.BigDecimal d) {
          o.put(name, d);
        } else if (v instanceof Boolean b) {
          o.put(name, b);
        } else {
          o.put(name, text(v));
        }
      }
      sb.append(o).append('\n');
    }
    return sb.toString();
  }
}
