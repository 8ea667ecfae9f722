package dev.tripflow.runners.partitioned.shuffle;

import java.io.BufferedOutputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * The spilled runs of a compact shuffle (a GroupByKey in the global window), and the grouping of a
 * partition from them with bounded memory: records stay encoded on disk, sorted by their key's
 * bytes; a key's group is handed on as an iterable that reads its records from the runs each time
 * it is iterated, so no key's values, however many (a shard of a 24-file write holds millions), are
 * ever held in memory at once.
 *
 * <p>A run is a file of records: the key's hash (int), the key's length (int) and bytes, the
 * timestamp (long), the value's length (int) and bytes (value coder). Within a run the records are
 * ordered by (hash, key bytes), so a key's records are contiguous there.
 */
final class CompactRuns {
  private CompactRuns() {}

  /** Writes the records of {@code chunks} as one run, sorted; returns its file. */
  static Path write(Spill.Budget budget, List<Chunk> chunks) throws IOException {
    int n = 0;
    for (Chunk c : chunks) {
      n += c.count;
    }
    int[] chunk = new int[n];
    int[] keyFrom = new int[n];
    int[] keyTo = new int[n];
    int[] hash = new int[n];
    int[] valueFrom = new int[n];
    int[] valueTo = new int[n];
    long[] timestamp = new long[n];
    int id = 0;
    for (int ci = 0; ci < chunks.size(); ci++) {
      Chunk c = chunks.get(ci);
      byte[] bytes = c.bytes.array();
      Bytes.In in = new Bytes.In(bytes, 0, c.bytes.size());
      for (int i = 0; i < c.count; i++, id++) {
        int keyLength = VarInt.decodeInt(in);
        chunk[id] = ci;
        keyFrom[id] = in.position();
        keyTo[id] = keyFrom[id] + keyLength;
        in.skip(keyLength);
        hash[id] = hash(bytes, keyFrom[id], keyTo[id]);
        timestamp[id] = in.readLong();
        int valueLength = VarInt.decodeInt(in);
        valueFrom[id] = in.position();
        valueTo[id] = valueFrom[id] + valueLength;
        in.skip(valueLength);
      }
    }
    // Sorted by hash as packed longs (hash high, record low: no boxing, no comparator), then the
    // records of one hash by their key's bytes.
    long[] packed = new long[n];
    for (int i = 0; i < n; i++) {
      packed[i] = ((long) hash[i] << 32) | i;
    }
    Arrays.sort(packed);
    int[] order = new int[n];
    for (int i = 0; i < n; i++) {
      order[i] = (int) packed[i];
    }
    for (int from = 0; from < n; ) {
      int to = from + 1;
      while (to < n && hash[order[to]] == hash[order[from]]) {
        to++;
      }
      if (to - from > 1 && !oneKey(order, from, to, chunks, chunk, keyFrom, keyTo)) {
        Integer[] same = new Integer[to - from];
        for (int i = from; i < to; i++) {
          same[i - from] = order[i];
        }
        Arrays.sort(
            same,
            (a, b) ->
                Arrays.compare(
                    chunks.get(chunk[a]).bytes.array(),
                    keyFrom[a],
                    keyTo[a],
                    chunks.get(chunk[b]).bytes.array(),
                    keyFrom[b],
                    keyTo[b]));
        for (int i = from; i < to; i++) {
          order[i] = same[i - from];
        }
      }
      from = to;
    }
    Path file = budget.newFile();
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
      for (int r : order) {
        byte[] bytes = chunks.get(chunk[r]).bytes.array();
        out.writeInt(hash[r]);
        out.writeInt(keyTo[r] - keyFrom[r]);
        out.write(bytes, keyFrom[r], keyTo[r] - keyFrom[r]);
        out.writeLong(timestamp[r]);
        out.writeInt(valueTo[r] - valueFrom[r]);
        out.write(bytes, valueFrom[r], valueTo[r] - valueFrom[r]);
      }
    }
    return file;
  }

  /** Whether the records {@code order[from..to)} all have the first one's key (a common case). */
  private static boolean oneKey(
      int[] order, int from, int to, List<Chunk> chunks, int[] chunk, int[] keyFrom, int[] keyTo) {
    int f = order[from];
    byte[] first = chunks.get(chunk[f]).bytes.array();
    for (int i = from + 1; i < to; i++) {
      int r = order[i];
      if (!Arrays.equals(
          first, keyFrom[f], keyTo[f], chunks.get(chunk[r]).bytes.array(), keyFrom[r], keyTo[r])) {
        return false;
      }
    }
    return true;
  }

  static int hash(byte[] bytes, int from, int to) {
    int h = 1;
    for (int i = from; i < to; i++) {
      h = 31 * h + bytes[i];
    }
    return h;
  }

  /** The open run files of one partition's read, closed when its shuffle is released. */
  static final class Reading implements AutoCloseable {
    private final List<FileChannel> channels = new ArrayList<>();

    FileChannel open(Path file) throws IOException {
      FileChannel ch = FileChannel.open(file, StandardOpenOption.READ);
      synchronized (channels) {
        channels.add(ch);
      }
      return ch;
    }

    @Override
    public void close() throws IOException {
      synchronized (channels) {
        for (FileChannel ch : channels) {
          ch.close();
        }
        channels.clear();
      }
    }
  }

  /**
   * Gives {@code out} each key's group of the records in {@code runs}: the key decoded, its values
   * an iterable over its records in every run (re-iterable), in the global window, timestamped as
   * {@code combiner} says.
   */
  static void emitGroups(
      List<Path> runs,
      Reading reading,
      Coder<Object> keyCoder,
      Coder<Object> valueCoder,
      TimestampCombiner combiner,
      Receiver out)
      throws IOException {
    List<FileChannel> channels = new ArrayList<>();
    PriorityQueue<Cursor> heads = new PriorityQueue<>(Cursor::compareTo);
    for (Path run : runs) {
      FileChannel ch = reading.open(run);
      channels.add(ch);
      Cursor c = new Cursor(channels.size() - 1, new Input(ch, 0));
      if (c.advance()) {
        heads.add(c);
      }
    }
    boolean endOfWindow = combiner == TimestampCombiner.END_OF_WINDOW;
    BoundedWindow global = GlobalWindow.INSTANCE;
    while (!heads.isEmpty()) {
      Cursor first = heads.poll();
      byte[] key = Arrays.copyOf(first.key, first.keyLength);
      int keyHash = first.hash;
      List<long[]> segments = new ArrayList<>();
      Instant ts = null;
      List<Cursor> same = new ArrayList<>();
      same.add(first);
      while (!heads.isEmpty() && heads.peek().is(keyHash, key)) {
        same.add(heads.poll());
      }
      for (Cursor c : same) {
        long start = c.recordStart;
        boolean more;
        do {
          if (!endOfWindow) {
            Instant t = combiner.assign(global, new Instant(c.timestamp));
            ts = ts == null ? t : combiner.combine(ts, t);
          }
          more = c.advance();
        } while (more && c.is(keyHash, key));
        segments.add(new long[] {c.run, start, more ? c.recordStart : Long.MAX_VALUE});
        if (more) {
          heads.add(c);
        }
      }
      Object k;
      try {
        k = keyCoder.decode(new Bytes.In(key));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot decode a shuffle key", e);
      }
      out.accept(
          WindowedValue.of(
              KV.of(k, new SegmentValues(channels, segments, valueCoder)),
              endOfWindow ? global.maxTimestamp() : ts,
              global,
              PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
  }

  /** A run read one record header at a time, its values skipped. */
  private static final class Cursor implements Comparable<Cursor> {
    final int run;
    private final Input in;
    long recordStart;
    int hash;
    byte[] key = new byte[64];
    int keyLength;
    long timestamp;

    Cursor(int run, Input in) {
      this.run = run;
      this.in = in;
    }

    /** Reads the next record's header, skipping its value; false at the end of the run. */
    boolean advance() throws IOException {
      recordStart = in.position();
      if (!in.hasMore()) {
        return false;
      }
      hash = in.readInt();
      keyLength = in.readInt();
      if (key.length < keyLength) {
        key = new byte[Math.max(keyLength, key.length * 2)];
      }
      in.readFully(key, 0, keyLength);
      timestamp = in.readLong();
      in.skip(in.readInt());
      return true;
    }

    boolean is(int h, byte[] k) {
      return hash == h && Arrays.equals(key, 0, keyLength, k, 0, k.length);
    }

    @Override
    public int compareTo(Cursor o) {
      int c = Integer.compare(hash, o.hash);
      return c != 0 ? c : Arrays.compare(key, 0, keyLength, o.key, 0, o.keyLength);
    }
  }

  /** A key's values: its records' segments of the runs, decoded as they are iterated. */
  private static final class SegmentValues implements Iterable<Object> {
    private final List<FileChannel> channels;
    private final List<long[]> segments;
    private final Coder<Object> coder;

    SegmentValues(List<FileChannel> channels, List<long[]> segments, Coder<Object> coder) {
      this.channels = channels;
      this.segments = segments;
      this.coder = coder;
    }

    @Override
    public Iterator<Object> iterator() {
      return new Iterator<>() {
        private int segment = -1;
        private Input in;
        private long end;
        private byte[] value = new byte[256];

        @Override
        public boolean hasNext() {
          try {
            while (in == null || in.position() >= end || !in.hasMore()) {
              if (++segment >= segments.size()) {
                return false;
              }
              long[] s = segments.get(segment);
              in = new Input(channels.get((int) s[0]), s[1]);
              end = s[2];
            }
            return true;
          } catch (IOException e) {
            throw new UncheckedIOException("cannot read a spilled shuffle run", e);
          }
        }

        @Override
        public Object next() {
          if (!hasNext()) {
            throw new NoSuchElementException();
          }
          try {
            in.readInt();
            in.skip(in.readInt());
            in.readLong();
            int length = in.readInt();
            if (value.length < length) {
              value = new byte[Math.max(length, value.length * 2)];
            }
            in.readFully(value, 0, length);
            return coder.decode(new Bytes.In(value, 0, length));
          } catch (IOException e) {
            throw new UncheckedIOException("cannot decode a shuffle record", e);
          }
        }
      };
    }
  }

  /** Reads a file through its channel's positional reads, buffered; the channel is shared. */
  private static final class Input {
    private final FileChannel channel;
    private final byte[] buf = new byte[1 << 16];
    private long bufStart;
    private int bufLength;
    private long pos;

    Input(FileChannel channel, long pos) {
      this.channel = channel;
      this.pos = pos;
      this.bufStart = pos;
    }

    long position() {
      return pos;
    }

    boolean hasMore() throws IOException {
      return available() > 0 || fill() > 0;
    }

    private int available() {
      long offset = pos - bufStart;
      return offset >= 0 && offset < bufLength ? (int) (bufLength - offset) : 0;
    }

    private int fill() throws IOException {
      bufStart = pos;
      bufLength = 0;
      ByteBuffer b = ByteBuffer.wrap(buf);
      while (b.hasRemaining()) {
        int r = channel.read(b, bufStart + b.position());
        if (r < 0) {
          break;
        }
      }
      bufLength = b.position();
      return bufLength;
    }

    private int readByte() throws IOException {
      if (available() == 0 && fill() == 0) {
        throw new EOFException("truncated spill run");
      }
      return buf[(int) (pos++ - bufStart)] & 0xff;
    }

    int readInt() throws IOException {
      return (readByte() << 24) | (readByte() << 16) | (readByte() << 8) | readByte();
    }

    long readLong() throws IOException {
      return ((long) readInt() << 32) | (readInt() & 0xffffffffL);
    }

    void readFully(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (available() == 0 && fill() == 0) {
          throw new EOFException("truncated spill run");
        }
        int n = Math.min(len, available());
        System.arraycopy(buf, (int) (pos - bufStart), b, off, n);
        pos += n;
        off += n;
        len -= n;
      }
    }

    void skip(long n) {
      pos += n;
    }
  }
}
