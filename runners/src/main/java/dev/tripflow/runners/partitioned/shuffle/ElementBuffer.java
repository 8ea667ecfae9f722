package dev.tripflow.runners.partitioned.shuffle;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.util.CoderUtils;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.util.WindowedValue;

/**
 * One task's elements of a collection that another stage reads: a materialised stage input, the
 * elements of a side input, or what a reshuffle deals. They are held as objects and counted against
 * the run's memory budget; when it is exceeded, the buffer that notices writes what it holds to
 * disk in blocks encoded by the collection's coder. Written by one task, then read by any number of
 * tasks at once, from any position, any number of times.
 */
public final class ElementBuffer {
  /** Elements per block on disk: a read from position i decodes at most this many before it. */
  static final int BLOCK = 1024;

  private final Spill.Budget budget;
  private final Coder<WindowedValue<?>> coder;
  private final String name;
  private List<WindowedValue<?>> memory = new ArrayList<>();
  private final List<Block> blocks = new ArrayList<>();
  private Path file;
  private long fileBytes;
  private FileChannel channel;
  private long spilled;
  private long counted;
  private long pending;
  private long estimate = 64;
  private long seen;
  private long estimatedTotal;
  private long spilledBytes;

  /** Elements {@code start} to {@code start + count} of the buffer, at {@code offset} on disk. */
  private record Block(long start, int count, long offset, int length) {}

  /** A buffer of {@code name}'s elements, encoded with {@code coder} when they go to disk. */
  public ElementBuffer(Spill.Budget budget, Coder<WindowedValue<?>> coder, String name) {
    this.budget = budget;
    this.coder = coder;
    this.name = name;
  }

  public void add(WindowedValue<?> v) {
    memory.add(v);
    if ((seen++ & 63) == 0) {
      // Decoded elements take several times their encoding (see ObjectWriter): four times the
      // encoding of one element in 64, plus the objects around it.
      estimate = 64 + 4L * encode(v).length;
    }
    estimatedTotal += estimate;
    pending += estimate;
    if (pending >= 1 << 16) {
      budget.add(pending);
      counted += pending;
      pending = 0;
      if (budget.over() && counted >= Math.min(1 << 20, budget.limitBytes / 8 + 1)) {
        spill();
      }
    }
  }

  /** The number of elements added. */
  public long size() {
    return spilled + memory.size();
  }

  /** The elements' estimated size as objects, in bytes: what holding them all would take. */
  public long estimatedBytes() {
    return estimatedTotal;
  }

  /** The bytes written to disk. */
  public long spilledBytes() {
    return spilledBytes;
  }

  /**
   * Gives elements {@code from} (inclusive) to {@code to} (exclusive) to {@code action}, in order.
   */
  public void forEach(long from, long to, Consumer<WindowedValue<?>> action) {
    to = Math.min(to, size());
    long i = from;
    int b = firstBlock(from);
    for (; i < to && b < blocks.size(); b++) {
      Block block = blocks.get(b);
      List<WindowedValue<?>> values = read(block);
      for (long j = Math.max(i, block.start());
          j < Math.min(to, block.start() + block.count());
          j++) {
        action.accept(values.get((int) (j - block.start())));
      }
      i = block.start() + block.count();
    }
    for (; i < to; i++) {
      action.accept(memory.get((int) (i - spilled)));
    }
  }

  /** Frees the memory counted and the file written; the buffer is empty afterwards. */
  public synchronized void release() {
    budget.add(-counted);
    counted = 0;
    pending = 0;
    memory = new ArrayList<>();
    blocks.clear();
    spilled = 0;
    try {
      if (channel != null) {
        channel.close();
        channel = null;
      }
      if (file != null) {
        Files.deleteIfExists(file);
        file = null;
      }
    } catch (IOException e) {
      // the file goes with the run's spill directory
    }
  }

  private int firstBlock(long from) {
    int lo = 0;
    int hi = blocks.size() - 1;
    int found = blocks.size();
    while (lo <= hi) {
      int mid = (lo + hi) >>> 1;
      Block m = blocks.get(mid);
      if (m.start() + m.count() > from) {
        found = mid;
        hi = mid - 1;
      } else {
        lo = mid + 1;
      }
    }
    return found;
  }

  /** Writes the elements held to the end of the buffer's file, in blocks, and forgets them. */
  private void spill() {
    try {
      if (file == null) {
        file = budget.newFile();
      }
      try (FileChannel out =
          FileChannel.open(
              file,
              StandardOpenOption.CREATE,
              StandardOpenOption.WRITE,
              StandardOpenOption.APPEND)) {
        Bytes.Out bytes = new Bytes.Out(1 << 16);
        for (int from = 0; from < memory.size(); from += BLOCK) {
          int n = Math.min(BLOCK, memory.size() - from);
          bytes.reset();
          for (int i = from; i < from + n; i++) {
            byte[] e = encode(memory.get(i));
            VarInt.encode(e.length, bytes);
            bytes.write(e, 0, e.length);
          }
          ByteBuffer buf = ByteBuffer.wrap(bytes.array(), 0, bytes.size());
          while (buf.hasRemaining()) {
            out.write(buf);
          }
          blocks.add(new Block(spilled + from, n, fileBytes, bytes.size()));
          fileBytes += bytes.size();
          spilledBytes += bytes.size();
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot spill the elements of " + name + " to disk", e);
    }
    spilled += memory.size();
    memory = new ArrayList<>();
    budget.add(-counted);
    counted = 0;
  }

  private List<WindowedValue<?>> read(Block block) {
    try {
      ByteBuffer buf = ByteBuffer.allocate(block.length());
      FileChannel ch = channel();
      long at = block.offset();
      while (buf.hasRemaining()) {
        int n = ch.read(buf, at + buf.position());
        if (n < 0) {
          throw new IOException("unexpected end of " + file);
        }
      }
      Bytes.In in = new Bytes.In(buf.array(), 0, block.length());
      List<WindowedValue<?>> values = new ArrayList<>(block.count());
      for (int i = 0; i < block.count(); i++) {
        int length = VarInt.decodeInt(in);
        int start = in.position();
        values.add(
            CoderUtils.decodeFromByteArray(
                coder, java.util.Arrays.copyOfRange(buf.array(), start, start + length)));
        in.skip(length);
      }
      return values;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the spilled elements of " + name, e);
    }
  }

  private synchronized FileChannel channel() throws IOException {
    if (channel == null) {
      channel = FileChannel.open(file, StandardOpenOption.READ);
    }
    return channel;
  }

  private byte[] encode(WindowedValue<?> v) {
    try {
      return CoderUtils.encodeToByteArray(coder, v);
    } catch (IOException | RuntimeException e) {
      throw new IllegalStateException(
          "cannot encode an element of "
              + name
              + " with "
              + coder
              + ": "
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()),
          e);
    }
  }
}
