package dev.tripflow.io.parquet;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Decodes Parquet's RLE / bit-packed hybrid encoding (definition levels and dictionary ids) from a
 * byte array, a run at a time: a repeated value costs a counter decrement, a bit-packed run is
 * unpacked into a small buffer in one loop.
 */
final class HybridDecoder {
  private final byte[] data;
  private final int end;
  private final int bitWidth;
  private final int byteWidth;
  private final int mask;
  private int pos;
  private int runLeft;
  private boolean repeated;
  private int repeatedValue;
  private int[] packed = new int[64];
  private int packedPos;

  /**
   * @param data the page bytes
   * @param offset where the encoded runs start
   * @param end where they end (exclusive)
   * @param bitWidth bits per value, 0 to 32
   */
  HybridDecoder(byte[] data, int offset, int end, int bitWidth) {
    if (bitWidth < 0 || bitWidth > 32) {
      throw new IllegalArgumentException("bit width " + bitWidth + " is not between 0 and 32");
    }
    this.data = data;
    this.pos = offset;
    this.end = end;
    this.bitWidth = bitWidth;
    this.byteWidth = (bitWidth + 7) / 8;
    this.mask = bitWidth == 32 ? -1 : (1 << bitWidth) - 1;
  }

  /** The next value. */
  int next() {
    if (runLeft == 0) {
      readRun();
    }
    runLeft--;
    return repeated ? repeatedValue : packed[packedPos++];
  }

  private void readRun() {
    int header = readVarInt();
    if ((header & 1) == 0) {
      repeated = true;
      runLeft = header >>> 1;
      int v = 0;
      for (int i = 0; i < byteWidth; i++) {
        v |= (byteAt(pos++) & 0xFF) << (8 * i);
      }
      repeatedValue = v;
    } else {
      repeated = false;
      int count = (header >>> 1) * 8;
      if (packed.length < count) {
        packed = new int[count];
      }
      unpack(count);
      runLeft = count;
      packedPos = 0;
    }
    if (runLeft == 0) {
      throw new IllegalStateException("corrupt page: an empty run in RLE / bit-packed data");
    }
  }

  private static final VarHandle LONG_LE =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

  private void unpack(int count) {
    int bytes = count / 8 * bitWidth;
    if (bitWidth > 0 && pos + bytes + 8 <= end) {
      // Fast path: each value is one unaligned 64-bit read, shifted and masked.
      long bitOffset = 0;
      for (int i = 0; i < count; i++) {
        long word = (long) LONG_LE.get(data, pos + (int) (bitOffset >>> 3));
        packed[i] = (int) (word >>> (bitOffset & 7)) & mask;
        bitOffset += bitWidth;
      }
      pos += bytes;
      return;
    }
    // Values are packed least significant bit first.
    long buffer = 0;
    int bits = 0;
    int p = pos;
    for (int i = 0; i < count; i++) {
      while (bits < bitWidth) {
        buffer |= (long) (byteAt(p++) & 0xFF) << bits;
        bits += 8;
      }
      packed[i] = (int) buffer & mask;
      buffer >>>= bitWidth;
      bits -= bitWidth;
    }
    pos += count / 8 * bitWidth;
  }

  private int byteAt(int i) {
    // Some writers cut the last bit-packed group short; the missing bytes are padding.
    return i < end ? data[i] : 0;
  }

  private int readVarInt() {
    int value = 0;
    int shift = 0;
    while (true) {
      if (pos >= end) {
        throw new IllegalStateException("corrupt page: RLE / bit-packed data ends early");
      }
      int b = data[pos++];
      value |= (b & 0x7F) << shift;
      if ((b & 0x80) == 0) {
        return value;
      }
      shift += 7;
    }
  }

  /** Bits needed for values up to {@code maxValue}. */
  static int bitWidth(int maxValue) {
    return 32 - Integer.numberOfLeadingZeros(maxValue);
  }
}
