package dev.tripflow.io.csv;

import dev.tripflow.spi.ColumnOptions;
import dev.tripflow.spi.SizedElement;
import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.SerializableCoder;
import org.apache.beam.sdk.io.Compression;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileIO.ReadableFile;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PInput;
import org.apache.beam.sdk.values.POutput;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.TupleTagList;

/**
 * Reads CSV files with a header line into rows of an explicit schema; gzip files ({@code .gz}) are
 * read transparently. Columns are matched to schema fields by name (case-insensitively), so the
 * header's order does not matter and extra columns are ignored.
 *
 * <p>Records follow RFC 4180: a quoted field may hold commas, doubled quotes and line breaks, so a
 * record may span lines ({@link CsvRecordReader}). Nothing is dropped silently: a record with the
 * wrong number of fields, a value that does not parse or bytes that are not UTF-8 goes to {@link
 * Result#deadLetters()} with its file, the number of its first line, the reason and the raw text,
 * and is counted. Blank lines are skipped and not counted. Every column of the schema must be in
 * the header (unless its field has the option {@link ColumnOptions#OPTIONAL}); a missing one fails
 * the file with one line naming it, and {@link #requireHeader} checks that before a run.
 *
 * <p>An uncompressed file larger than {@value #DEFAULT_SPLIT_BYTES} bytes is read in ranges of
 * about that size wherever the runner deals them, so that one large file keeps every worker busy; a
 * record belongs to the range where it starts, and the rows, dead letters and line numbers are
 * those of reading the file whole. A gzip file is read whole (its stream cannot be entered in the
 * middle).
 *
 * <pre>{@code
 * CsvRows.Result csv = p.apply(CsvRows.read("raw/fhvhv/2021/01/*.csv.gz", TaxiSchemas.FHVHV));
 * csv.rows();        // good rows
 * csv.deadLetters(); // file, line, reason, raw
 * }</pre>
 */
public final class CsvRows extends PTransform<PBegin, CsvRows.Result> {
  private static final long serialVersionUID = 1L;

  /** The schema of dead letters: where the line was, why it was rejected, and the line itself. */
  public static final Schema DEAD_LETTER_SCHEMA =
      Schema.builder()
          .addStringField("file")
          .addInt64Field("line")
          .addStringField("reason")
          .addStringField("raw")
          .build();

  /** The size above which an uncompressed file is read in ranges, and about their size. */
  static final long DEFAULT_SPLIT_BYTES = 64L << 20;

  private final String glob;
  private final Schema schema;
  private final String namespace;
  private final String prefix;
  private final long splitBytes;

  private CsvRows(String glob, Schema schema, String namespace, String prefix, long splitBytes) {
    this.glob = glob;
    this.schema = schema;
    this.namespace = namespace;
    this.prefix = prefix;
    this.splitBytes = splitBytes;
  }

  /** Reads every file matching {@code glob} as rows of {@code schema}. */
  public static CsvRows read(String glob, Schema schema) {
    return new CsvRows(glob, schema, "tripflow", "csv", DEFAULT_SPLIT_BYTES);
  }

  /**
   * Names the counters {@code <prefix>_rows_read} (every record read, rejected ones included),
   * {@code <prefix>_bad_records} (the dead letters) and {@code <prefix>_ranges_read} (the pieces
   * the files were read in: one per file unless split).
   */
  public CsvRows withCounters(String namespace, String prefix) {
    return new CsvRows(glob, schema, namespace, prefix, splitBytes);
  }

  /** Reads uncompressed files larger than {@code bytes} in ranges of about that size. */
  CsvRows withSplitBytes(long bytes) {
    if (bytes < 1) {
      throw new IllegalArgumentException("a split size must be positive, not " + bytes);
    }
    return new CsvRows(glob, schema, namespace, prefix, bytes);
  }

  @Override
  public Result expand(PBegin begin) {
    TupleTag<Row> good = new TupleTag<>("rows") {};
    TupleTag<Row> bad = new TupleTag<>("deadLetters") {};
    PCollectionTuple out =
        begin
            .apply(
                "MatchFiles",
                FileIO.match()
                    .filepattern(glob)
                    .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
            .apply("OpenFiles", FileIO.readMatches())
            // A large uncompressed file becomes ranges that start at records, read wherever the
            // runner deals them: one large file keeps every worker busy, not one.
            .apply("SplitRanges", ParDo.of(new SplitFn(schema, splitBytes)))
            .setCoder(SerializableCoder.of(Range.class))
            .apply("Spread", Reshuffle.viaRandomKey())
            .apply(
                "ParseRanges",
                ParDo.of(new ReadRangeFn(schema, good, bad, namespace, prefix))
                    .withOutputTags(good, TupleTagList.of(bad)));
    return new Result(
        begin.getPipeline(),
        out.get(good).setRowSchema(schema),
        out.get(bad).setRowSchema(DEAD_LETTER_SCHEMA));
  }

  /** The good rows and the dead letters. */
  public static final class Result implements POutput {
    private final Pipeline pipeline;
    private final PCollection<Row> rows;
    private final PCollection<Row> deadLetters;

    Result(Pipeline pipeline, PCollection<Row> rows, PCollection<Row> deadLetters) {
      this.pipeline = pipeline;
      this.rows = rows;
      this.deadLetters = deadLetters;
    }

    /** Rows that parsed, with the schema set. */
    public PCollection<Row> rows() {
      return rows;
    }

    /** Rejected lines, {@link #DEAD_LETTER_SCHEMA}. */
    public PCollection<Row> deadLetters() {
      return deadLetters;
    }

    @Override
    public Pipeline getPipeline() {
      return pipeline;
    }

    @Override
    public Map<TupleTag<?>, PValue> expand() {
      Map<TupleTag<?>, PValue> m = new HashMap<>();
      m.put(new TupleTag<Row>("rows"), rows);
      m.put(new TupleTag<Row>("deadLetters"), deadLetters);
      return m;
    }

    @Override
    public void finishSpecifyingOutput(
        String transformName, PInput input, PTransform<?, ?> transform) {}
  }

  /** Maps a header to schema field positions. */
  static final class HeaderMap {
    final int[] fieldOfColumn; // -1 = ignored column
    final int columns;

    HeaderMap(int[] fieldOfColumn) {
      this.fieldOfColumn = fieldOfColumn;
      this.columns = fieldOfColumn.length;
    }

    /**
     * Matches header names to the schema's fields, ignoring case.
     *
     * @throws IllegalArgumentException naming the file and the first schema column the header lacks
     */
    static HeaderMap of(List<String> header, Schema schema, String file) {
      Map<String, Integer> byName = new HashMap<>();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        byName.put(schema.getField(i).getName().toLowerCase(Locale.ROOT), i);
      }
      int[] map = new int[header.size()];
      boolean[] seen = new boolean[schema.getFieldCount()];
      for (int c = 0; c < header.size(); c++) {
        Integer f = byName.get(header.get(c).trim().toLowerCase(Locale.ROOT));
        map[c] = f == null || seen[f] ? -1 : f;
        if (f != null) {
          seen[f] = true;
        }
      }
      for (int f = 0; f < seen.length; f++) {
        if (!seen[f] && !isOptional(schema.getField(f))) {
          throw new IllegalArgumentException(
              file
                  + ": the header has no column '"
                  + schema.getField(f).getName()
                  + "' of the schema (header: "
                  + String.join(",", header)
                  + ")");
        }
      }
      return new HeaderMap(map);
    }
  }

  /** Whether a file may lack the column of {@code field}. */
  static boolean isOptional(Schema.Field field) {
    Schema.Options o = field.getOptions();
    return o.hasOption(ColumnOptions.OPTIONAL)
        && Boolean.TRUE.equals(o.getValue(ColumnOptions.OPTIONAL, Boolean.class));
  }

  /**
   * Checks, before a run, that a CSV file's header has every column of {@code schema}.
   *
   * @throws IllegalArgumentException naming the file and the missing column
   * @throws IOException naming the file when it cannot be read
   */
  public static void requireHeader(String file, Schema schema) throws IOException {
    try (CsvRecordReader reader = CsvRecordReader.open(file)) {
      readHeader(reader, schema, file);
    }
  }

  /** The header's mapping, or null for an empty file. */
  private static HeaderMap readHeader(CsvRecordReader reader, Schema schema, String name)
      throws IOException {
    CsvRecordReader.Record header = reader.next();
    return header == null ? null : headerMap(header, schema, name);
  }

  /** The mapping of the header record {@code header} of file {@code name}. */
  private static HeaderMap headerMap(CsvRecordReader.Record header, Schema schema, String name) {
    if (header.error() != null) {
      throw new IllegalArgumentException(name + ": line 1 (header): " + header.error());
    }
    try {
      return HeaderMap.of(headerOf(header.text()), schema, name);
    } catch (CsvFormat.BadValueException e) {
      throw new IllegalArgumentException(name + ": line 1 (header): " + e.getMessage());
    }
  }

  /**
   * Parses one record into the values of {@code schema}, or throws with the reason.
   *
   * @return the row's values, in schema order
   */
  static Object[] parseLine(String line, HeaderMap header, Schema schema)
      throws CsvFormat.BadValueException {
    List<String> fields = CsvFormat.split(line, header.columns);
    if (fields.size() != header.columns) {
      throw new CsvFormat.BadValueException(
          "expected " + header.columns + " fields, found " + fields.size());
    }
    Object[] values = new Object[schema.getFieldCount()];
    for (int c = 0; c < fields.size(); c++) {
      int f = header.fieldOfColumn[c];
      if (f < 0) {
        continue;
      }
      Schema.Field field = schema.getField(f);
      FieldType type = field.getType();
      Object v;
      try {
        v = CsvFormat.parse(fields.get(c), type);
      } catch (CsvFormat.BadValueException e) {
        throw new CsvFormat.BadValueException(
            "column '" + field.getName() + "': " + e.getMessage());
      }
      if (v == null && !type.getNullable()) {
        throw new CsvFormat.BadValueException(
            "column '" + field.getName() + "': empty but required");
      }
      values[f] = v;
    }
    return values;
  }

  /**
   * The records of a file that start in its bytes {@code [start, end)}: a split of a CSV read. The
   * first starts on line {@code firstLine}; {@code header} is the text of the file's header record,
   * or null when the range starts at the file's start and reads the header itself. {@code bytes} is
   * the work's size, for the runner to deal large ranges first.
   */
  record Range(
      MatchResult.Metadata file,
      Compression compression,
      long start,
      long end,
      long firstLine,
      String header,
      long bytes)
      implements Serializable, SizedElement {
    private static final long serialVersionUID = 1L;

    /** A whole file, read from its first byte. */
    static Range whole(MatchResult.Metadata file, Compression compression) {
      return new Range(file, compression, 0, Long.MAX_VALUE, 1, null, file.sizeBytes());
    }

    @Override
    public long sizeBytes() {
      return bytes;
    }
  }

  /** One range per file, or several for an uncompressed file larger than the split size. */
  static final class SplitFn extends DoFn<ReadableFile, Range> {
    private static final long serialVersionUID = 1L;
    private final Schema schema;
    private final long splitBytes;

    SplitFn(Schema schema, long splitBytes) {
      this.schema = schema;
      this.splitBytes = splitBytes;
    }

    @ProcessElement
    public void process(@Element ReadableFile file, OutputReceiver<Range> out) throws IOException {
      for (Range range : split(file.getMetadata(), file.getCompression(), schema, splitBytes)) {
        out.output(range);
      }
    }
  }

  /**
   * Cuts a file at the first record start at or after each multiple of {@code splitBytes}; the
   * records are found by the reader's own logic, skipped without decoding, so every range starts
   * exactly where reading the file whole would start a record. A compressed file, a file that
   * cannot be read from an offset and a file of at most {@code splitBytes} are one range.
   *
   * @throws IllegalArgumentException when the header lacks a column of {@code schema}, as reading
   *     the file whole would
   */
  static List<Range> split(
      MatchResult.Metadata file, Compression compression, Schema schema, long splitBytes)
      throws IOException {
    if (compression != Compression.UNCOMPRESSED
        || !file.isReadSeekEfficient()
        || file.sizeBytes() <= splitBytes) {
      return List.of(Range.whole(file, compression));
    }
    String name = file.resourceId().toString();
    ReadableByteChannel channel = FileSystems.open(file.resourceId());
    if (!(channel instanceof SeekableByteChannel)) {
      channel.close();
      return List.of(Range.whole(file, compression));
    }
    List<Range> ranges = new ArrayList<>();
    try (CsvRecordReader reader = new CsvRecordReader(Channels.newInputStream(channel), name)) {
      CsvRecordReader.Record header = reader.next();
      if (header == null) {
        return List.of(Range.whole(file, compression));
      }
      headerMap(header, schema, name); // a header that cannot be read fails the file here
      // The scan is cheap next to parsing: skipping a 659 MB yellow month's records took 0.8 s
      // where reading and parsing them took 6.2 s on one thread.
      long start = 0;
      long startLine = 1;
      long cut = splitBytes;
      while (true) {
        long at = reader.position();
        long line = reader.nextLine();
        if (!reader.skip()) {
          break;
        }
        if (at >= cut) {
          ranges.add(range(file, compression, start, at, startLine, header.text()));
          start = at;
          startLine = line;
          cut = (at / splitBytes + 1) * splitBytes;
        }
      }
      ranges.add(range(file, compression, start, Long.MAX_VALUE, startLine, header.text()));
    }
    return ranges;
  }

  private static Range range(
      MatchResult.Metadata file,
      Compression compression,
      long start,
      long end,
      long firstLine,
      String header) {
    long bytes = Math.min(end, file.sizeBytes()) - start;
    return new Range(
        file, compression, start, end, firstLine, start == 0 ? null : header, Math.max(0, bytes));
  }

  /** The bytes of {@code range}'s file from its start, decompressed when the file is. */
  private static ReadableByteChannel open(Range range) throws IOException {
    ReadableByteChannel channel = FileSystems.open(range.file().resourceId());
    if (range.start() == 0) {
      return range.compression().readDecompressed(channel);
    }
    try {
      ((SeekableByteChannel) channel).position(range.start());
    } catch (IOException | RuntimeException e) {
      channel.close();
      throw e;
    }
    return channel;
  }

  /** Reads the records of a range, parsing them into rows and dead letters. */
  static final class ReadRangeFn extends DoFn<Range, Row> {
    private static final long serialVersionUID = 1L;
    private final Schema schema;
    private final TupleTag<Row> good;
    private final TupleTag<Row> bad;
    private final String namespace;
    private final String prefix;
    private transient Counter rowsRead;
    private transient Counter badRecords;
    private transient Counter rangesRead;

    ReadRangeFn(
        Schema schema, TupleTag<Row> good, TupleTag<Row> bad, String namespace, String prefix) {
      this.schema = schema;
      this.good = good;
      this.bad = bad;
      this.namespace = namespace;
      this.prefix = prefix;
    }

    @Setup
    public void setup() {
      rowsRead = Metrics.counter(namespace, prefix + "_rows_read");
      badRecords = Metrics.counter(namespace, prefix + "_bad_records");
      rangesRead = Metrics.counter(namespace, prefix + "_ranges_read");
    }

    @ProcessElement
    public void process(@Element Range range, MultiOutputReceiver out) throws IOException {
      String name = range.file().resourceId().toString();
      rangesRead.inc();
      // open() decompresses a compressed file (known by its name's extension), read whole.
      try (CsvRecordReader reader =
          new CsvRecordReader(
              Channels.newInputStream(open(range)),
              name,
              range.start(),
              range.firstLine(),
              range.end())) {
        HeaderMap header =
            range.header() == null
                ? readHeader(reader, schema, name)
                : headerMap(new CsvRecordReader.Record(1, range.header(), null), schema, name);
        if (header == null) {
          return; // an empty file has no rows
        }
        // This thread reads records (decompressing and finding their ends, which cannot be
        // split) and gives out the rows; batches of records are parsed on the parsing threads
        // meanwhile, a few at a time, so that one large range keeps more than one core busy.
        java.util.ArrayDeque<java.util.concurrent.Future<Parsed>> inFlight =
            new java.util.ArrayDeque<>();
        List<CsvRecordReader.Record> batch = new ArrayList<>(BATCH);
        CsvRecordReader.Record record;
        while ((record = reader.next()) != null) {
          if (record.error() == null && record.text().isBlank()) {
            continue;
          }
          batch.add(record);
          if (batch.size() == BATCH) {
            inFlight.add(parse(batch, header, name));
            batch = new ArrayList<>(BATCH);
            if (inFlight.size() >= IN_FLIGHT) {
              emit(inFlight.poll(), out);
            }
          }
        }
        if (!batch.isEmpty()) {
          inFlight.add(parse(batch, header, name));
        }
        while (!inFlight.isEmpty()) {
          emit(inFlight.poll(), out);
        }
      }
    }

    /** A parsed batch: its rows and its dead letters. */
    private record Parsed(List<Row> rows, List<Row> deadLetters) {}

    private java.util.concurrent.Future<Parsed> parse(
        List<CsvRecordReader.Record> records, HeaderMap header, String name) {
      return PARSERS.submit(
          () -> {
            List<Row> rows = new ArrayList<>(records.size());
            List<Row> dead = new ArrayList<>();
            for (CsvRecordReader.Record r : records) {
              try {
                if (r.error() != null) {
                  throw new CsvFormat.BadValueException(r.error());
                }
                Object[] values = parseLine(r.text(), header, schema);
                rows.add(Row.withSchema(schema).attachValues(Arrays.asList(values)));
              } catch (CsvFormat.BadValueException e) {
                dead.add(
                    Row.withSchema(DEAD_LETTER_SCHEMA)
                        .addValues(name, r.line(), e.getMessage(), r.text())
                        .build());
              }
            }
            return new Parsed(rows, dead);
          });
    }

    /** Gives out a parsed batch, counting on this thread (a counter belongs to its thread). */
    private void emit(java.util.concurrent.Future<Parsed> next, MultiOutputReceiver out)
        throws IOException {
      Parsed parsed;
      try {
        parsed = next.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new java.io.InterruptedIOException("interrupted while parsing");
      } catch (java.util.concurrent.ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof RuntimeException re) {
          throw re;
        }
        throw new IOException(cause);
      }
      rowsRead.inc(parsed.rows().size() + parsed.deadLetters().size());
      badRecords.inc(parsed.deadLetters().size());
      for (Row r : parsed.rows()) {
        out.get(good).output(r);
      }
      for (Row r : parsed.deadLetters()) {
        out.get(bad).output(r);
      }
    }
  }

  /** Records parsed together on a parsing thread. */
  private static final int BATCH = 2048;

  /** Batches a reader has parsing or parsed but not given out: the memory it holds is bounded. */
  private static final int IN_FLIGHT = 2 * Runtime.getRuntime().availableProcessors() + 2;

  /**
   * The threads that parse records, one per core, shared by every reader of the JVM (daemons: a
   * reader's thread never waits for them to end).
   */
  private static final java.util.concurrent.ExecutorService PARSERS =
      java.util.concurrent.Executors.newFixedThreadPool(
          Runtime.getRuntime().availableProcessors(),
          r -> {
            Thread t = new Thread(r, "tripflow-csv-parser");
            t.setDaemon(true);
            return t;
          });

  /** The column names of a header line (for tools that inspect files). */
  public static List<String> headerOf(String line) throws CsvFormat.BadValueException {
    return new ArrayList<>(CsvFormat.split(line.startsWith("\uFEFF") ? line.substring(1) : line));
  }
}
