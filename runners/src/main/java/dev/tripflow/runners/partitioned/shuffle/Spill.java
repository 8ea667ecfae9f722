package dev.tripflow.runners.partitioned.shuffle;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.PriorityQueue;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/**
 * The shuffle's memory budget and its sorted runs on disk. When the estimated size of the elements
 * buffered by all shuffles goes over the budget, the writer that notices writes its buckets to disk
 * as runs sorted by (key hash, encoded key); a partition with runs is read back by merging its runs
 * and what is still in memory, one key at a time, so only one key's values are held at once.
 */
public final class Spill {
  private Spill() {}

  /** The budget shared by every shuffle of one run, and the run's own spill directory. */
  public static final class Budget implements AutoCloseable {
    final long limitBytes;
    private final Path parent;
    private final AtomicLong used = new AtomicLong();
    private final AtomicLong files = new AtomicLong();
    private volatile Path dir;

    public Budget(long limitBytes, Path parent) {
      this.limitBytes = limitBytes;
      this.parent = parent;
    }

    long add(long bytes) {
      return used.addAndGet(bytes);
    }

    boolean over() {
      return used.get() > limitBytes;
    }

    synchronized Path newFile() throws IOException {
      if (dir == null) {
        Files.createDirectories(parent);
        dir = Files.createTempDirectory(parent, "tripflow-spill-");
      }
      return dir.resolve("run-" + files.incrementAndGet() + ".bin");
    }

    /** Removes the run's spill directory and whatever is left in it. */
    @Override
    public synchronized void close() {
      if (dir == null) {
        return;
      }
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot remove the spill directory " + dir, e);
      }
      dir = null;
    }
  }

  /** An element with its encoded key and the key's hash, the order of runs. */
  record Entry(int hash, byte[] key, WindowedValue<KV<Object, Object>> value) {}

  static final Comparator<Entry> ORDER =
      (a, b) -> {
        int c = Integer.compare(a.hash(), b.hash());
        return c != 0 ? c : Arrays.compare(a.key(), b.key());
      };

  static Entry entry(Keyed k, Coder<Object> keyCoder) {
    try {
      byte[] key = CoderUtils.encodeToByteArray(keyCoder, k.value().getValue().getKey());
      return new Entry(Arrays.hashCode(key), key, k.value());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Writes a sorted run; returns its file. */
  static Path write(
      Budget budget, List<Entry> sorted, Coder<WindowedValue<KV<Object, Object>>> coder)
      throws IOException {
    Path file = budget.newFile();
    try (DataOutputStream out =
        new DataOutputStream(new BufferedOutputStream(Files.newOutputStream(file), 1 << 16))) {
      for (Entry e : sorted) {
        byte[] value = CoderUtils.encodeToByteArray(coder, e.value());
        out.writeInt(e.hash());
        out.writeInt(e.key().length);
        out.write(e.key());
        out.writeInt(value.length);
        out.write(value);
      }
    }
    return file;
  }

  /** Reads a run back, one entry at a time. */
  static final class RunReader implements Iterator<Entry>, AutoCloseable {
    private final DataInputStream in;
    private final Coder<WindowedValue<KV<Object, Object>>> coder;
    private Entry next;

    RunReader(Path file, Coder<WindowedValue<KV<Object, Object>>> coder) throws IOException {
      this.in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16));
      this.coder = coder;
      advance();
    }

    private void advance() throws IOException {
      int hash;
      try {
        hash = in.readInt();
      } catch (EOFException end) {
        next = null;
        return;
      }
      byte[] key = new byte[in.readInt()];
      in.readFully(key);
      byte[] value = new byte[in.readInt()];
      in.readFully(value);
      next = new Entry(hash, key, CoderUtils.decodeFromByteArray(coder, value));
    }

    @Override
    public boolean hasNext() {
      return next != null;
    }

    @Override
    public Entry next() {
      if (next == null) {
        throw new NoSuchElementException();
      }
      Entry e = next;
      try {
        advance();
      } catch (IOException ex) {
        throw new UncheckedIOException(ex);
      }
      return e;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }

  /**
   * Merges sorted runs into groups of one key each: the key (decoded from its first element) and
   * all of the key's elements, in run order.
   */
  static Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> mergeByKey(
      List<Iterator<Entry>> runs) {
    record Head(Entry entry, Iterator<Entry> run) {}
    PriorityQueue<Head> heads = new PriorityQueue<>((a, b) -> ORDER.compare(a.entry(), b.entry()));
    for (Iterator<Entry> run : runs) {
      if (run.hasNext()) {
        heads.add(new Head(run.next(), run));
      }
    }
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return !heads.isEmpty();
      }

      @Override
      public KV<Object, List<WindowedValue<KV<Object, Object>>>> next() {
        if (heads.isEmpty()) {
          throw new NoSuchElementException();
        }
        Entry first = heads.peek().entry();
        List<WindowedValue<KV<Object, Object>>> values = new ArrayList<>();
        while (!heads.isEmpty() && ORDER.compare(heads.peek().entry(), first) == 0) {
          Head h = heads.poll();
          values.add(h.entry().value());
          if (h.run().hasNext()) {
            heads.add(new Head(h.run().next(), h.run()));
          }
        }
        return KV.of(first.value().getValue().getKey(), values);
      }
    };
  }
}
