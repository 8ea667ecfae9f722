package dev.tripflow.io.parquet;

import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/** A {@link FileIO.Sink} writing rows of one schema as a Parquet file. */
public final class ParquetRowSink implements FileIO.Sink<Row> {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private final String counterNamespace;
  private final String counterName;
  private transient ParquetRowFileWriter writer;
  private transient Counter written;
  // Rows not yet added to the counter: a counter's increment looks up the thread's metrics
  // container, which cost a tenth of a million-row write when done per row.
  private transient long uncounted;

  /** A sink for rows of {@code schema}. */
  public ParquetRowSink(Schema schema) {
    this(schema, null, null);
  }

  /** A sink that also counts the rows it writes in a Beam counter. */
  public ParquetRowSink(Schema schema, String counterNamespace, String counterName) {
    this.schema = schema;
    this.counterNamespace = counterNamespace;
    this.counterName = counterName;
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    writer = ParquetRowFileWriter.open(channel, schema, "shard");
    uncounted = 0;
    if (counterName != null) {
      written = Metrics.counter(counterNamespace, counterName);
    }
  }

  @Override
  public void write(Row row) throws IOException {
    writer.write(row);
    if (written != null && ++uncounted == 4096) {
      written.inc(uncounted);
      uncounted = 0;
    }
  }

  @Override
  public void flush() throws IOException {
    writer.close();
    if (written != null && uncounted > 0) {
      written.inc(uncounted);
      uncounted = 0;
    }
  }
}
