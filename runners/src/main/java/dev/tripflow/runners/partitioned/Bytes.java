package dev.tripflow.runners.partitioned;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Arrays;

/**
 * Unsynchronised byte streams over one array, for encoding shuffle records in memory (the JDK's
 * ByteArray streams lock on every byte a variable-length coder writes or reads).
 */
final class Bytes {
  private Bytes() {}

  /** A growing array written by coders. */
  static final class Out extends OutputStream {
    private byte[] buf;
    private int size;

    Out(int initial) {
      buf = new byte[Math.max(16, initial)];
    }

    @Override
    public void write(int b) {
      if (size == buf.length) {
        buf = Arrays.copyOf(buf, buf.length * 2);
      }
      buf[size++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) {
      if (size + len > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + len));
      }
      System.arraycopy(b, off, buf, size, len);
      size += len;
    }

    /** What was written, in an array of its exact length. */
    byte[] toArray() {
      return Arrays.copyOf(buf, size);
    }
  }

  /** Reads an array from the start. */
  static final class In extends InputStream {
    private final byte[] buf;
    private int pos;

    In(byte[] buf) {
      this.buf = buf;
    }

    @Override
    public int read() {
      return pos < buf.length ? buf[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= buf.length) {
        return -1;
      }
      int n = Math.min(len, buf.length - pos);
      System.arraycopy(buf, pos, b, off, n);
      pos += n;
      return n;
    }

    boolean atEnd() {
      return pos >= buf.length;
    }
  }
}
