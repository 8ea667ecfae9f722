package dev.tripflow.runners.partitioned.shuffle;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A combine's batch of encoded or flat partials written to disk when the memory budget was
 * exceeded, in the place of the batch in its bucket until the merge reads it back.
 */
final class SpilledBatch {
  private final Path file;
  private final long offset;
  private final int length;
  private final int size;
  private final int stride;

  private SpilledBatch(Path file, long offset, int length, int size, int stride) {
    this.file = file;
    this.offset = offset;
    this.length = length;
    this.size = size;
    this.stride = stride;
  }

  /** Whether {@code batch} can go to disk: encoded or flat partials (objects stay in memory). */
  static boolean spillable(PartialBatch batch) {
    return batch.encoded != null || batch.flat != null;
  }

  /** What {@code batch} holds, as counted in the budget when it was written. */
  static long bytes(PartialBatch batch) {
    return batch.flat != null
        ? 64 + 8L * batch.flat.length
        : 64 + batch.encoded.length + 4L * batch.ends.length;
  }

  /** Appends {@code batch} to {@code out}, at {@code offset} of {@code file}. */
  static SpilledBatch write(PartialBatch batch, DataOutputStream out, Path file, long offset)
      throws IOException {
    int before = out.size();
    if (batch.flat != null) {
      for (long v : batch.flat) {
        out.writeLong(v);
      }
    } else {
      for (int e : batch.ends) {
        out.writeInt(e);
      }
      out.write(batch.encoded);
    }
    return new SpilledBatch(
        file, offset, out.size() - before, batch.size, batch.flat != null ? batch.stride : -1);
  }

  /** The batch, read back. */
  PartialBatch load() {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer buf = ByteBuffer.allocate(length);
      while (buf.hasRemaining()) {
        if (ch.read(buf, offset + buf.position()) < 0) {
          throw new IOException("unexpected end of " + file);
        }
      }
      DataInputStream in =
          new DataInputStream(new java.io.ByteArrayInputStream(buf.array(), 0, length));
      if (stride >= 0) {
        long[] flat = new long[length / 8];
        for (int i = 0; i < flat.length; i++) {
          flat[i] = in.readLong();
        }
        return new PartialBatch(flat, stride, size);
      }
      int[] ends = new int[2 * size];
      for (int i = 0; i < ends.length; i++) {
        ends[i] = in.readInt();
      }
      byte[] encoded = new byte[length - 4 * ends.length];
      in.readFully(encoded);
      return new PartialBatch(encoded, ends, size);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read a combine's spilled partials from " + file, e);
    }
  }
}
