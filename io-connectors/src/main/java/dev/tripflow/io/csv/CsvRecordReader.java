package dev.tripflow.io.csv;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.Channels;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPInputStream;
import org.apache.beam.sdk.io.FileSystems;

/**
 * Reads the records of a CSV file as RFC 4180 defines them: a quoted field may hold line breaks, so
 * a record may span several lines; each record is decoded as strict UTF-8. Reading errors (a
 * truncated gzip file, a lost connection) name the file and the line reached.
 *
 * <p>A record whose quoted field never closes would swallow the rest of the file: after {@value
 * #MAX_RECORD_LINES} lines (or at the end of the file) the record's first line is returned on its
 * own as an unterminated record, and reading goes on with the line after it.
 *
 * <pre>{@code
 * try (CsvRecordReader r = CsvRecordReader.open("raw/trips.csv.gz")) {
 *   for (CsvRecordReader.Record rec; (rec = r.next()) != null; ) { ... rec.text() ... }
 * }
 * }</pre>
 */
public final class CsvRecordReader implements Closeable {
  /** The most lines one quoted record may span before its quote is taken as unterminated. */
  public static final int MAX_RECORD_LINES = 1000;

  /**
   * One record: the number of its first line (1 is the file's first), its text without the line
   * break, and why it cannot be read (null when it can).
   */
  public record Record(long line, String text, String error) {}

  private final InputStream in;
  private final String file;
  private byte[] buf = new byte[1 << 16];
  private int pos;
  private int limit;
  private boolean eof;
  private long nextLine;

  /** The offset in the file of {@code buf[0]}. */
  private long bufStart;

  /** No record starting at or after this offset is read. */
  private final long end;

  private final CharsetDecoder strict =
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT);

  /** Bytes of the record being assembled and the offsets where each of its lines starts. */
  private byte[] record = new byte[1024];

  private int recordLength;
  private int[] lineStarts = new int[16];
  private int lineCount;

  /** The first line of the record last assembled, and whether its bytes are all ASCII. */
  private long first;

  private boolean ascii;

  /** Lines handed back after an unterminated quote, read again before the stream. */
  private byte[] pushback = new byte[0];

  private int pushbackPos;

  /** What {@link #assemble} found. */
  private static final int END = 0;

  private static final int COMPLETE = 1;
  private static final int UNTERMINATED = 2;

  /** Reads records from {@code in}; {@code file} names it in errors. */
  public CsvRecordReader(InputStream in, String file) {
    this(in, file, 0, 1, Long.MAX_VALUE);
  }

  /**
   * Reads the records of a file that start in {@code [start, end)}: {@code in} holds the file's
   * bytes from {@code start}, a record start, whose line number is {@code firstLine}. A record that
   * starts before {@code end} is read to its end, past {@code end} if need be.
   */
  CsvRecordReader(InputStream in, String file, long start, long firstLine, long end) {
    this.in = in;
    this.file = file;
    this.bufStart = start;
    this.nextLine = firstLine;
    this.end = end;
  }

  /**
   * Opens a file of any Beam file system; a name ending in {@code .gz} is decompressed.
   *
   * @throws IOException naming the file
   */
  public static CsvRecordReader open(String path) throws IOException {
    InputStream raw;
    try {
      raw =
          Channels.newInputStream(
              FileSystems.open(FileSystems.matchSingleFileSpec(path).resourceId()));
    } catch (IOException e) {
      throw new IOException(path + ": cannot open it (" + e.getMessage() + ")", e);
    }
    return open(raw, path);
  }

  /** Reads {@code raw}, decompressing it when {@code name} ends in {@code .gz}. */
  public static CsvRecordReader open(InputStream raw, String name) throws IOException {
    InputStream in = raw;
    if (name.toLowerCase(Locale.ROOT).endsWith(".gz")) {
      try {
        in = new GZIPInputStream(raw, 1 << 16);
      } catch (IOException e) {
        raw.close();
        throw new IOException(name + ": not a gzip file (" + e.getMessage() + ")", e);
      }
    }
    return new CsvRecordReader(in, name);
  }

  /**
   * The next record, or null at the end of the file. Empty lines are returned as records of empty
   * text (the caller decides whether they count).
   *
   * @throws IOException naming the file and line when the bytes cannot be read
   */
  public Record next() throws IOException {
    switch (assemble()) {
      case END:
        return null;
      case UNTERMINATED:
        return new Record(
            first, stripCr(lenient(record, recordLength)), "unterminated quoted field");
      default:
        return decode();
    }
  }

  /**
   * Moves past the next record as {@link #next} would read it, without decoding it: for finding
   * where records start.
   *
   * @return false at the end of the file (or of the range read)
   */
  boolean skip() throws IOException {
    return assemble() != END;
  }

  /** The offset in the file where the next record starts (or the file ends). */
  long position() {
    return bufStart + pos - (pushback.length - pushbackPos);
  }

  /** The line number of the next record's first line. */
  long nextLine() {
    return nextLine;
  }

  /**
   * Collects the next record's bytes in {@code record} (without its line break; an unterminated
   * record's first line only, its other lines handed back to be read again).
   */
  private int assemble() throws IOException {
    recordLength = 0;
    lineCount = 0;
    first = nextLine;
    if (position() >= end) {
      return END;
    }
    // States: 0 at a field's start, 1 in an unquoted field, 2 in a quoted field, 3 just after a
    // quote inside a quoted field (the field's end, or the first of a doubled quote).
    int state = 0;
    boolean allAscii = true;
    startLine();
    // The bytes are taken a run at a time from the lines handed back or the buffer, in local
    // variables, and copied into the record a run at a time: one pass, no call per byte.
    while (true) {
      byte[] src;
      int to;
      boolean handedBack = pushbackPos < pushback.length;
      if (handedBack) {
        src = pushback;
        to = pushback.length;
      } else if (pos < limit || fill()) {
        src = buf;
        to = limit;
      } else {
        if (recordLength == 0 && lineCount == 1) {
          return END;
        }
        if (state == 2) {
          return unterminated();
        }
        nextLine++;
        ascii = allAscii;
        return complete();
      }
      int from = handedBack ? pushbackPos : pos;
      int runStart = from;
      for (int i = from; i < to; i++) {
        byte b = src[i];
        if (b == '\n') {
          nextLine++;
          if (state != 2) {
            appendRun(src, runStart, i); // without the line break
            consume(handedBack, i + 1);
            ascii = allAscii;
            return complete();
          }
          appendRun(src, runStart, i + 1); // a line break inside quotes belongs to the record
          runStart = i + 1;
          if (lineCount >= MAX_RECORD_LINES) {
            consume(handedBack, i + 1);
            return unterminated();
          }
          startLine();
          continue;
        }
        allAscii &= b >= 0;
        // Only a quote, a comma and other bytes differ: a quote opens a field's quotes (or is
        // the first of a doubled one), closes them, or is text in an unquoted field; a comma
        // ends a field unless quoted; any other byte is text.
        if (b == '"') {
          state = state == 0 || state == 3 ? 2 : state == 2 ? 3 : 1;
        } else if (b == ',') {
          state = state == 2 ? 2 : 0;
        } else {
          state = state == 2 ? 2 : 1;
        }
      }
      appendRun(src, runStart, to);
      consume(handedBack, to);
    }
  }

  /** Marks the bytes before {@code next} of the lines handed back, or of the buffer, as read. */
  private void consume(boolean handedBack, int next) {
    if (handedBack) {
      pushbackPos = next;
    } else {
      pos = next;
    }
  }

  /** Drops a CR before the line break. */
  private int complete() {
    if (recordLength > 0 && record[recordLength - 1] == '\r') {
      recordLength--;
    }
    return COMPLETE;
  }

  /**
   * Keeps the record's first line alone (its CR, if any, still on it); the lines after it go back
   * to be read again.
   */
  private int unterminated() {
    int firstEnd = lineCount > 1 ? lineStarts[1] : recordLength;
    byte[] rest = Arrays.copyOfRange(record, firstEnd, recordLength);
    byte[] left = Arrays.copyOfRange(pushback, pushbackPos, pushback.length);
    pushback = new byte[rest.length + left.length];
    System.arraycopy(rest, 0, pushback, 0, rest.length);
    System.arraycopy(left, 0, pushback, rest.length, left.length);
    pushbackPos = 0;
    nextLine = first + 1;
    recordLength = firstEnd > 0 && record[firstEnd - 1] == '\n' ? firstEnd - 1 : firstEnd;
    return UNTERMINATED;
  }

  private Record decode() {
    int length = recordLength;
    if (ascii) {
      return new Record(first, new String(record, 0, length, StandardCharsets.ISO_8859_1), null);
    }
    try {
      CharBuffer chars = strict.reset().decode(ByteBuffer.wrap(record, 0, length));
      return new Record(first, chars.toString(), null);
    } catch (CharacterCodingException e) {
      return new Record(
          first, lenient(record, length), "invalid UTF-8 at byte " + (firstInvalid(length) + 1));
    }
  }

  /** The offset of the first byte that does not decode. */
  private int firstInvalid(int length) {
    ByteBuffer bytes = ByteBuffer.wrap(record, 0, length);
    CharBuffer out = CharBuffer.allocate(length + 1);
    strict.reset().decode(bytes, out, true);
    return bytes.position();
  }

  private static String lenient(byte[] bytes, int length) {
    return new String(bytes, 0, length, StandardCharsets.UTF_8);
  }

  private static String stripCr(String s) {
    return s.endsWith("\r") ? s.substring(0, s.length() - 1) : s;
  }

  private void startLine() {
    if (lineCount == lineStarts.length) {
      lineStarts = Arrays.copyOf(lineStarts, lineCount * 2);
    }
    lineStarts[lineCount++] = recordLength;
  }

  private void appendRun(byte[] src, int from, int to) {
    int n = to - from;
    if (recordLength + n > record.length) {
      record = Arrays.copyOf(record, Math.max(record.length * 2, recordLength + n));
    }
    System.arraycopy(src, from, record, recordLength, n);
    recordLength += n;
  }

  /** Reads the next bufferful of the stream: false at its end. */
  private boolean fill() throws IOException {
    if (eof) {
      return false;
    }
    bufStart += limit;
    try {
      limit = in.read(buf, 0, buf.length);
    } catch (IOException e) {
      throw new IOException(
          file + ": cannot be read after line " + (nextLine - 1) + " (" + describe(e) + ")", e);
    }
    pos = 0;
    if (limit <= 0) {
      limit = 0;
      eof = true;
      return false;
    }
    return true;
  }

  private String describe(IOException e) {
    String m = e.getMessage() == null ? "unexpected end of the data" : e.getMessage();
    if (e instanceof java.io.EOFException || m.contains("Unexpected end of ZLIB")) {
      return "the gzip data is truncated: " + m;
    }
    if (e instanceof java.util.zip.ZipException) {
      return "corrupt gzip data: " + m;
    }
    return m;
  }

  @Override
  public void close() throws IOException {
    in.close();
  }
}
