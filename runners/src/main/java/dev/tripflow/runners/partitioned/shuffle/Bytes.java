package dev.tripflow.runners.partitioned.shuffle;

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

    /** The number of bytes written. */
    int size() {
      return size;
    }

    /** The array written into (valid up to {@link #size}); it changes as the stream grows. */
    byte[] array() {
      return buf;
    }

    /** Forgets what was written, keeping the array. */
    void reset() {
      size = 0;
    }

    /** Makes room for {@code n} more bytes at once. */
    void ensure(int n) {
      if (size + n > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + n));
      }
    }

    /** Writes an unsigned varint, as Beam's {@code VarInt} does, straight into the array. */
    void writeVarLong(long v) {
      ensure(10);
      while ((v & ~0x7FL) != 0) {
        buf[size++] = (byte) ((v & 0x7F) | 0x80);
        v >>>= 7;
      }
      buf[size++] = (byte) v;
    }

    /** Writes eight bytes, high first. */
    void writeLong(long v) {
      if (size + 8 > buf.length) {
        buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + 8));
      }
      for (int i = 56; i >= 0; i -= 8) {
        buf[size++] = (byte) (v >>> i);
      }
    }
  }

  /** Reads an array from the start. */
  static final class In extends InputStream {
    private final byte[] buf;
    private final int limit;
    private int pos;

    In(byte[] buf) {
      this(buf, 0, buf.length);
    }

    /** Reads {@code buf[pos..limit)}. */
    In(byte[] buf, int pos, int limit) {
      this.buf = buf;
      this.pos = pos;
      this.limit = limit;
    }

    @Override
    public int read() {
      return pos < limit ? buf[pos++] & 0xff : -1;
    }

    @Override
    public int read(byte[] b, int off, int len) {
      if (pos >= limit) {
        return -1;
      }
      int n = Math.min(len, limit - pos);
      System.arraycopy(buf, pos, b, off, n);
      pos += n;
      return n;
    }

    @Override
    public long skip(long n) {
      int k = (int) Math.max(0, Math.min(n, limit - pos));
      pos += k;
      return k;
    }

    /** Reads an unsigned varint ({@link Out#writeVarLong}). */
    long readVarLong() throws java.io.EOFException {
      long v = 0;
      for (int shift = 0; shift < 64; shift += 7) {
        if (pos >= limit) {
          throw new java.io.EOFException("truncated varint");
        }
        byte b = buf[pos++];
        v |= (long) (b & 0x7F) << shift;
        if (b >= 0) {
          return v;
        }
      }
      throw new java.io.EOFException("varint too long");
    }

    /** Reads one byte, or -1 at the end. */
    int readByte() {
      return pos < limit ? buf[pos++] & 0xff : -1;
    }

    /** Reads {@code n} bytes as UTF-8. */
    String readUtf8(int n) throws java.io.EOFException {
      if (limit - pos < n) {
        throw new java.io.EOFException("truncated string");
      }
      String s = new String(buf, pos, n, java.nio.charset.StandardCharsets.UTF_8);
      pos += n;
      return s;
    }

    /** Reads eight bytes, high first ({@link Out#writeLong}). */
    long readLong() throws java.io.EOFException {
      if (limit - pos < 8) {
        throw new java.io.EOFException("truncated record");
      }
      long v = 0;
      for (int i = 0; i < 8; i++) {
        v = (v << 8) | (buf[pos++] & 0xff);
      }
      return v;
    }

    /** The index of the next byte to read. */
    int position() {
      return pos;
    }

    boolean atEnd() {
      return pos >= limit;
    }
  }
}
