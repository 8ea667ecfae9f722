package dev.tripflow.io.schema;

import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.charset.StandardCharsets;
import java.util.HashSet;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;

/**
 * A plain-text schema file: one column a line, {@code name TYPE [NOT NULL]}, {@code #} comments.
 * Types: {@code BIGINT INTEGER SMALLINT DOUBLE FLOAT BOOLEAN STRING TIMESTAMP DATE} ({@code
 * TIMESTAMP} is a local date-time without a zone). Columns are nullable unless {@code NOT NULL}.
 *
 * <pre>
 * # fhvhv 2021
 * hvfhs_license_num STRING
 * pickup_datetime   TIMESTAMP
 * PULocationID      BIGINT
 * </pre>
 */
public final class SchemaFiles {
  private SchemaFiles() {}

  private static final Map<String, FieldType> TYPES = new TreeMap<>();

  static {
    TYPES.put("BIGINT", FieldType.INT64);
    TYPES.put("LONG", FieldType.INT64);
    TYPES.put("INTEGER", FieldType.INT32);
    TYPES.put("INT", FieldType.INT32);
    TYPES.put("SMALLINT", FieldType.INT16);
    TYPES.put("DOUBLE", FieldType.DOUBLE);
    TYPES.put("FLOAT", FieldType.FLOAT);
    TYPES.put("BOOLEAN", FieldType.BOOLEAN);
    TYPES.put("STRING", FieldType.STRING);
    TYPES.put("VARCHAR", FieldType.STRING);
    TYPES.put("TIMESTAMP", FieldType.logicalType(SqlTypes.DATETIME));
    TYPES.put("DATE", FieldType.logicalType(SqlTypes.DATE));
  }

  /**
   * Parses schema text.
   *
   * @param source names the text in errors (a file name)
   * @throws IllegalArgumentException naming the source and line of the first problem
   */
  public static Schema parse(String text, String source) {
    Schema.Builder b = Schema.builder();
    Set<String> names = new HashSet<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i];
      int hash = line.indexOf('#');
      if (hash >= 0) {
        line = line.substring(0, hash);
      }
      line = line.trim();
      if (line.isEmpty()) {
        continue;
      }
      String[] parts = line.split("\\s+");
      String where = source + ": line " + (i + 1) + ": ";
      if (parts.length != 2
          && !(parts.length == 4
              && parts[2].equalsIgnoreCase("NOT")
              && parts[3].equalsIgnoreCase("NULL"))) {
        throw new IllegalArgumentException(
            where + "expected 'name TYPE [NOT NULL]', found '" + line + "'");
      }
      FieldType type = TYPES.get(parts[1].toUpperCase(Locale.ROOT));
      if (type == null) {
        throw new IllegalArgumentException(
            where + "unknown type '" + parts[1] + "' (expected one of " + TYPES.keySet() + ")");
      }
      if (!names.add(parts[0].toLowerCase(Locale.ROOT))) {
        throw new IllegalArgumentException(where + "column '" + parts[0] + "' appears twice");
      }
      if (parts.length == 4) {
        b.addField(parts[0], type);
      } else {
        b.addNullableField(parts[0], type);
      }
    }
    Schema schema = b.build();
    if (schema.getFieldCount() == 0) {
      throw new IllegalArgumentException(source + ": no columns");
    }
    return schema;
  }

  /** Reads and parses a schema file (local or any Beam file system). */
  public static Schema read(String path) throws IOException {
    try (InputStream in =
        Channels.newInputStream(
            FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()))) {
      return parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), path);
    } catch (java.io.FileNotFoundException e) {
      throw new IllegalArgumentException(path + ": no such schema file");
    }
  }

  /** The schema-file name of a field type, e.g. {@code TIMESTAMP}. */
  public static String typeName(FieldType type) {
    FieldType plain = type.withNullable(false);
    for (String preferred :
        new String[] {
          "BIGINT",
          "INTEGER",
          "SMALLINT",
          "DOUBLE",
          "FLOAT",
          "BOOLEAN",
          "STRING",
          "TIMESTAMP",
          "DATE"
        }) {
      if (TYPES.get(preferred).equals(plain)) {
        return preferred;
      }
    }
    throw new IllegalArgumentException("type " + type + " has no schema-file name");
  }

  /** Renders a schema in this format, aligned. */
  public static String format(Schema schema) {
    int width = schema.getFieldNames().stream().mapToInt(String::length).max().orElse(0);
    StringBuilder sb = new StringBuilder();
    for (Schema.Field f : schema.getFields()) {
      sb.append(
          String.format(Locale.ROOT, "%-" + width + "s %s", f.getName(), typeName(f.getType())));
      if (!f.getType().getNullable()) {
        sb.append(" NOT NULL");
      }
      sb.append('\n');
    }
    return sb.toString();
  }
}
