package dev.tripflow.io.parquet;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.channels.WritableByteChannel;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.ParquetReadOptions;
import org.apache.parquet.conf.HadoopParquetConfiguration;
import org.apache.parquet.io.DelegatingPositionOutputStream;
import org.apache.parquet.io.DelegatingSeekableInputStream;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.io.OutputFile;
import org.apache.parquet.io.PositionOutputStream;
import org.apache.parquet.io.SeekableInputStream;

/**
 * Parquet's {@link InputFile} and {@link OutputFile} over Beam's file systems, so the same reader
 * and writer serve local paths, {@code gs://} and any other registered scheme.
 */
final class BeamParquetFiles {
  private BeamParquetFiles() {}

  /**
   * Options for one reader. Their Hadoop Configuration has no default resources: the default one
   * (in the options and in their codec factory) parses Hadoop's XML resources again for every file.
   * Not to be shared: closing a reader releases the options' codec factory.
   */
  static ParquetReadOptions readOptions() {
    return ParquetReadOptions.builder(new HadoopParquetConfiguration(new Configuration(false)))
        .build();
  }

  /** A file opened through {@link FileSystems#open}; its channel must be seekable. */
  static InputFile input(ResourceId file, long sizeBytes) {
    return new InputFile() {
      @Override
      public long getLength() {
        return sizeBytes;
      }

      @Override
      public SeekableInputStream newStream() throws IOException {
        ReadableByteChannel channel = FileSystems.open(file);
        if (!(channel instanceof SeekableByteChannel)) {
          channel.close();
          throw new IOException(file + ": the file system cannot seek, which Parquet needs");
        }
        return seekable((SeekableByteChannel) channel);
      }

      @Override
      public String toString() {
        return file.toString();
      }
    };
  }

  static SeekableInputStream seekable(SeekableByteChannel channel) {
    InputStream stream = Channels.newInputStream(channel);
    return new DelegatingSeekableInputStream(stream) {
      @Override
      public long getPos() throws IOException {
        return channel.position();
      }

      @Override
      public void seek(long newPos) throws IOException {
        channel.position(newPos);
      }

      @Override
      public void close() throws IOException {
        channel.close();
      }
    };
  }

  /**
   * An output over an open channel. Closing the Parquet stream flushes but leaves the channel open:
   * its owner (a {@code FileIO} sink, or the caller) closes it.
   */
  static OutputFile output(WritableByteChannel channel, String description) {
    return output(Channels.newOutputStream(channel), description, false);
  }

  /** An output over a stream; {@code closeStream} says whether closing Parquet closes it. */
  static OutputFile output(OutputStream stream, String description, boolean closeStream) {
    return new OutputFile() {
      @Override
      public PositionOutputStream create(long blockSizeHint) {
        return positioned(stream, closeStream);
      }

      @Override
      public PositionOutputStream createOrOverwrite(long blockSizeHint) {
        return positioned(stream, closeStream);
      }

      @Override
      public boolean supportsBlockSize() {
        return false;
      }

      @Override
      public long defaultBlockSize() {
        return 0;
      }

      @Override
      public String getPath() {
        return description;
      }
    };
  }

  private static PositionOutputStream positioned(OutputStream out, boolean closeStream) {
    return new DelegatingPositionOutputStream(out) {
      private long pos;

      @Override
      public long getPos() {
        return pos;
      }

      @Override
      public void write(int b) throws IOException {
        out.write(b);
        pos++;
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
        pos += len;
      }

      @Override
      public void write(byte[] b) throws IOException {
        write(b, 0, b.length);
      }

      @Override
      public void close() throws IOException {
        if (closeStream) {
          out.close();
        } else {
          out.flush();
        }
      }
    };
  }
}
