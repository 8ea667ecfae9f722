package dev.tripflow.io.schema;

import dev.tripflow.io.csv.CsvFormat;
import dev.tripflow.io.csv.CsvRecordReader;
import dev.tripflow.io.csv.CsvRows;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;

/**
 * Infers a Beam schema from a sample of a CSV file with a header (the course's pandas trick, done
 * properly): per column the narrowest of BIGINT, DOUBLE, TIMESTAMP, BOOLEAN, STRING that every
 * non-empty sampled value fits, nullable when any sampled value is empty.
 *
 * <p>Rule for numbers: a column is BIGINT only if every value is written without a decimal point or
 * exponent; {@code 1.0} makes it DOUBLE (a file that writes integers as {@code 1.0} can still be
 * read into a BIGINT schema, which accepts integral decimals). A column with no value at all is a
 * nullable STRING. Lines whose field count differs from the header's are skipped and counted.
 */
public final class SchemaInference {
  private SchemaInference() {}

  private static final Pattern INTEGER = Pattern.compile("[-+]?\\d{1,18}");
  private static final Pattern DECIMAL =
      Pattern.compile("[-+]?(\\d+\\.?\\d*|\\.\\d+)([eE][-+]?\\d+)?|[-+]?(NaN|Infinity)");

  /** What was seen of one column. */
  public static final class ColumnStats {
    final String name;
    boolean integer = true;
    boolean decimal = true;
    boolean timestamp = true;
    boolean bool = true;
    long nonNull;
    long nulls;
    String example;

    ColumnStats(String name) {
      this.name = name;
    }

    void add(String v) {
      if (v.isEmpty()) {
        nulls++;
        return;
      }
      nonNull++;
      if (example == null) {
        example = v;
      }
      String s = v.trim();
      integer &= INTEGER.matcher(s).matches();
      decimal &= DECIMAL.matcher(s).matches();
      timestamp &= s.length() >= 10 && CsvFormat.parseDateTime(s) != null;
      bool &= s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false");
    }

    FieldType type() {
      if (nonNull == 0) {
        return FieldType.STRING;
      }
      if (integer) {
        return FieldType.INT64;
      }
      if (decimal) {
        return FieldType.DOUBLE;
      }
      if (timestamp) {
        return FieldType.logicalType(SqlTypes.DATETIME);
      }
      if (bool) {
        return FieldType.BOOLEAN;
      }
      return FieldType.STRING;
    }

    /** Column name. */
    public String name() {
      return name;
    }

    /** Empty values seen. */
    public long nulls() {
      return nulls;
    }

    /** Non-empty values seen. */
    public long nonNull() {
      return nonNull;
    }

    /** The first non-empty value, or null. */
    public String example() {
      return example;
    }
  }

  /** The result: the schema and what it was inferred from. */
  public static final class InferredSchema {
    private final Schema schema;
    private final List<ColumnStats> columns;
    private final long sampledRows;
    private final long skippedLines;
    private final String source;

    InferredSchema(
        Schema schema,
        List<ColumnStats> columns,
        long sampledRows,
        long skippedLines,
        String source) {
      this.schema = schema;
      this.columns = columns;
      this.sampledRows = sampledRows;
      this.skippedLines = skippedLines;
      this.source = source;
    }

    public Schema schema() {
      return schema;
    }

    public List<ColumnStats> columns() {
      return columns;
    }

    /** Data lines used. */
    public long sampledRows() {
      return sampledRows;
    }

    /** Data lines skipped because their field count was wrong. */
    public long skippedLines() {
      return skippedLines;
    }

    /** An aligned table: column, type, nullable, nulls seen, an example value. */
    public String toTable() {
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"column", "type", "nullable", "nulls", "example"});
      for (int i = 0; i < columns.size(); i++) {
        ColumnStats c = columns.get(i);
        FieldType t = schema.getField(i).getType();
        String ex = c.example == null ? "" : c.example;
        rows.add(
            new String[] {
              c.name,
              SchemaFiles.typeName(t),
              String.valueOf(t.getNullable()),
              c.nulls + "/" + (c.nulls + c.nonNull),
              ex.length() > 30 ? ex.substring(0, 27) + "..." : ex
            });
      }
      int[] w = new int[5];
      for (String[] r : rows) {
        for (int i = 0; i < 5; i++) {
          w[i] = Math.max(w[i], r[i].length());
        }
      }
      StringBuilder sb = new StringBuilder();
      for (int ri = 0; ri < rows.size(); ri++) {
        String[] r = rows.get(ri);
        for (int i = 0; i < 5; i++) {
          sb.append(String.format(Locale.ROOT, "%-" + w[i] + "s", r[i]));
          sb.append(i < 4 ? "  " : "");
        }
        sb.append('\n');
        if (ri == 0) {
          for (int i = 0; i < 5; i++) {
            sb.append("-".repeat(w[i])).append(i < 4 ? "  " : "");
          }
          sb.append('\n');
        }
      }
      return sb.toString().replaceAll(" +\n", "\n");
    }

    /** Compilable Java declaring the schema as a constant. */
    public String toJavaCode(String constantName) {
      StringBuilder sb = new StringBuilder();
      sb.append("// Inferred by tripflow infer-schema from ")
          .append(source)
          .append(" (")
          .append(sampledRows)
          .append(" rows sampled)\n");
      sb.append("public static final Schema ").append(constantName).append(" =\n");
      sb.append("    Schema.builder()\n");
      for (Schema.Field f : schema.getFields()) {
        sb.append("        .")
            .append(f.getType().getNullable() ? "addNullableField" : "addField")
            .append("(\"")
            .append(f.getName().replace("\\", "\\\\").replace("\"", "\\\""))
            .append("\", ")
            .append(javaType(f.getType()))
            .append(")\n");
      }
      sb.append("        .build();\n");
      return sb.toString();
    }

    private static String javaType(FieldType t) {
      switch (t.getTypeName()) {
        case INT64:
          return "FieldType.INT64";
        case DOUBLE:
          return "FieldType.DOUBLE";
        case BOOLEAN:
          return "FieldType.BOOLEAN";
        case LOGICAL_TYPE:
          return "FieldType.logicalType(SqlTypes.DATETIME)";
        default:
          return "FieldType.STRING";
      }
    }
  }

  /**
   * Infers the schema of a CSV file (local or any Beam file system; {@code .gz} decompressed) from
   * its header and first {@code sampleRows} data lines.
   */
  public static InferredSchema infer(String path, int sampleRows) throws IOException {
    if (sampleRows < 1) {
      throw new IllegalArgumentException("--sampleRows must be at least 1, not " + sampleRows);
    }
    try (CsvRecordReader reader = CsvRecordReader.open(path)) {
      return infer(reader, sampleRows, path);
    }
  }

  /** Infers from CSV text (tests, small inputs). */
  public static InferredSchema infer(String csvText, int sampleRows, String source)
      throws IOException {
    try (CsvRecordReader reader =
        new CsvRecordReader(
            new java.io.ByteArrayInputStream(csvText.getBytes(StandardCharsets.UTF_8)), source)) {
      return infer(reader, sampleRows, source);
    }
  }

  /**
   * Infers from a reader positioned at the header. Records that cannot be read (a wrong number of
   * fields, bytes that are not UTF-8) are skipped and counted.
   */
  public static InferredSchema infer(CsvRecordReader reader, int sampleRows, String source)
      throws IOException {
    CsvRecordReader.Record headerRecord = reader.next();
    if (headerRecord == null) {
      throw new IllegalArgumentException(source + ": empty file, no header line");
    }
    if (headerRecord.error() != null) {
      throw new IllegalArgumentException(source + ": line 1 (header): " + headerRecord.error());
    }
    List<String> header;
    try {
      header = CsvRows.headerOf(headerRecord.text());
    } catch (CsvFormat.BadValueException e) {
      throw new IllegalArgumentException(source + ": line 1 (header): " + e.getMessage());
    }
    List<ColumnStats> stats = new ArrayList<>();
    for (String h : header) {
      stats.add(new ColumnStats(h.trim()));
    }
    long sampled = 0;
    long skipped = 0;
    CsvRecordReader.Record record;
    while (sampled < sampleRows && (record = reader.next()) != null) {
      String line = record.text();
      if (record.error() != null) {
        skipped++;
        continue;
      }
      if (line.isBlank()) {
        continue;
      }
      List<String> fields;
      try {
        fields = CsvFormat.split(line);
      } catch (CsvFormat.BadValueException e) {
        skipped++;
        continue;
      }
      if (fields.size() != stats.size()) {
        skipped++;
        continue;
      }
      for (int i = 0; i < fields.size(); i++) {
        stats.get(i).add(fields.get(i));
      }
      sampled++;
    }
    Schema.Builder b = Schema.builder();
    for (ColumnStats c : stats) {
      FieldType t = c.type();
      if (c.nulls > 0 || c.nonNull == 0) {
        b.addNullableField(c.name, t);
      } else {
        b.addField(c.name, t);
      }
    }
    return new InferredSchema(b.build(), stats, sampled, skipped, source);
  }
}
