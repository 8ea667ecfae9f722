package dev.tripflow.io.csv;

import dev.tripflow.io.output.RowCounter;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.WritableByteChannel;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/** A {@link FileIO.Sink} writing rows as CSV with a header line. */
public final class CsvRowSink implements FileIO.Sink<Row> {
  private static final long serialVersionUID = 1L;

  private final Schema schema;
  private transient CsvRowFileWriter writer;

  public CsvRowSink(Schema schema) {
    this.schema = schema;
  }

  @Override
  public void open(WritableByteChannel channel) throws IOException {
    OutputStream stream =
        new java.io.FilterOutputStream(Channels.newOutputStream(channel)) {
          @Override
          public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
          }

          @Override
          public void close() throws IOException {
            flush(); // FileIO closes the channel
          }
        };
    writer = new CsvRowFileWriter(stream, schema);
  }

  @Override
  public void write(Row row) throws IOException {
    writer.write(row);
  }

  @Override
  public void flush() throws IOException {
    writer.close();
  }

  /** Counts a written file's records (its header and blank lines left out), for its manifest. */
  public static RowCounter records() {
    return new Records();
  }

  private static final class Records implements RowCounter {
    private static final long serialVersionUID = 1L;

    @Override
    public long rows(String file) throws IOException {
      long n = 0;
      try (CsvRecordReader r = CsvRecordReader.open(file)) {
        if (r.next() == null) {
          return 0;
        }
        for (CsvRecordReader.Record rec; (rec = r.next()) != null; ) {
          if (rec.error() != null || !rec.text().isBlank()) {
            n++;
          }
        }
      }
      return n;
    }
  }
}
