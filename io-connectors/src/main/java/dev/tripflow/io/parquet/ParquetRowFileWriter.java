package dev.tripflow.io.parquet;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.hadoop.metadata.CompressionCodecName;
import org.apache.parquet.io.OutputFile;

/**
 * Writes Beam rows of one schema into one Parquet file (Snappy-compressed). The same rows always
 * give the same bytes.
 *
 * <pre>{@code
 * try (ParquetRowFileWriter w = ParquetRowFileWriter.open(path, schema)) {
 *   rows.forEach(w::write);
 * }
 * }</pre>
 */
public final class ParquetRowFileWriter implements AutoCloseable {
  private final ParquetWriter<Row> writer;
  private final String description;
  private long rows;

  private ParquetRowFileWriter(OutputFile file, Schema schema) throws IOException {
    this.description = file.getPath();
    this.writer =
        new Builder(file, schema)
            .withConf(new Configuration(false))
            .withCompressionCodec(CompressionCodecName.SNAPPY)
            .withWriteMode(ParquetFileWriter.Mode.OVERWRITE)
            .build();
  }

  /** Creates (or overwrites) a local file. */
  public static ParquetRowFileWriter open(Path path, Schema schema) throws IOException {
    Path parent = path.toAbsolutePath().getParent();
    if (parent != null) {
      Files.createDirectories(parent);
    }
    OutputStream out = Files.newOutputStream(path);
    try {
      return new ParquetRowFileWriter(
          BeamParquetFiles.output(
              new java.io.BufferedOutputStream(out, 1 << 16), path.toString(), true),
          schema);
    } catch (IOException | RuntimeException e) {
      out.close();
      throw e;
    }
  }

  /** Writes into an open channel, which stays open when this writer closes. */
  public static ParquetRowFileWriter open(WritableByteChannel channel, Schema schema, String name)
      throws IOException {
    return new ParquetRowFileWriter(BeamParquetFiles.output(channel, name), schema);
  }

  /** Appends one row. */
  public void write(Row row) throws IOException {
    try {
      writer.write(row);
    } catch (IllegalArgumentException | ClassCastException e) {
      throw new IOException(description + ": row " + (rows + 1) + ": " + e.getMessage(), e);
    }
    rows++;
  }

  /** Rows written so far. */
  public long rowCount() {
    return rows;
  }

  /** Writes the footer; the file is complete after this. */
  @Override
  public void close() throws IOException {
    writer.close();
  }

  private static final class Builder extends ParquetWriter.Builder<Row, Builder> {
    private final Schema schema;

    Builder(OutputFile file, Schema schema) {
      super(file);
      this.schema = schema;
    }

    @Override
    protected Builder self() {
      return this;
    }

    @Override
    protected WriteSupport<Row> getWriteSupport(Configuration conf) {
      return new RowWriteSupport(schema);
    }
  }
}
