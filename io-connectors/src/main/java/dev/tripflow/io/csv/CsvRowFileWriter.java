package dev.tripflow.io.csv;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPOutputStream;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * Writes rows as CSV with a header line, gzip-compressed when the file name ends in {@code .gz}
 * (deterministically: the gzip header carries no time).
 *
 * <pre>{@code
 * try (CsvRowFileWriter w = CsvRowFileWriter.open(Path.of("trips.csv.gz"), schema)) {
 *   rows.forEach(w::write);
 * }
 * }</pre>
 */
public final class CsvRowFileWriter implements AutoCloseable {
  private final Writer out;
  private final int fields;

  CsvRowFileWriter(OutputStream stream, Schema schema) throws IOException {
    this.out = new BufferedWriter(new OutputStreamWriter(stream, StandardCharsets.UTF_8), 1 << 16);
    this.fields = schema.getFieldCount();
    StringBuilder header = new StringBuilder();
    for (int i = 0; i < fields; i++) {
      if (i > 0) {
        header.append(',');
      }
      header.append(CsvFormat.quote(schema.getField(i).getName()));
    }
    out.write(header.append('\n').toString());
  }

  /** Creates (or overwrites) a local file; {@code .gz} names are gzip-compressed. */
  public static CsvRowFileWriter open(Path path, Schema schema) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    OutputStream stream = Files.newOutputStream(path);
    if (path.getFileName().toString().endsWith(".gz")) {
      stream = new GZIPOutputStream(stream, 1 << 16);
    }
    return new CsvRowFileWriter(stream, schema);
  }

  /** Writes one row. */
  public void write(Row row) throws IOException {
    out.write(line(row));
    out.write('\n');
  }

  /** Writes a line as given (no quoting): for tests and tools that need malformed lines. */
  public void writeRawLine(String line) throws IOException {
    out.write(line);
    out.write('\n');
  }

  /** A row as one CSV line, without the line break. */
  public static String line(Row row) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < row.getFieldCount(); i++) {
      if (i > 0) {
        sb.append(',');
      }
      sb.append(CsvFormat.quote(CsvFormat.format(row.getValue(i))));
    }
    return sb.toString();
  }

  @Override
  public void close() throws IOException {
    out.close();
  }
}
