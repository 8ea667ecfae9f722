package dev.tripflow.io.parquet;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * A {@link FileIO.Sink} writing rows of one schema as a Parquet file. It counts nothing: {@code
 * FileIO} may close a file on a background thread, where a Beam counter cannot be updated; the rows
 * of a committed output are read from its files' footers instead (its manifest).
 */
public final class ParquetRowSink implements FileIO.Sink<Row> {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private transient ParquetRowFileWriter writer;

  /** A sink for rows of {@code schema}. */
  public ParquetRowSink(Schema schema) {
    this.schema = schema;
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    writer = ParquetRowFileWriter.open(channel, schema, "shard");
  }

  @Override
  public void write(Row row) throws IOException {
    writer.write(row);
  }

  @Override
  public void flush() throws IOException {
    writer.close();
  }
}
