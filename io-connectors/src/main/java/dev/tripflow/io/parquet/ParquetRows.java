package dev.tripflow.io.parquet;

import dev.tripflow.io.output.AtomicWrite;
import dev.tripflow.io.output.OutputGroup;
import dev.tripflow.io.output.RowCounter;
import java.io.IOException;
import java.util.List;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileIO.ReadableFile;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.PBegin;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.Row;

/**
 * Parquet files as Beam rows, read straight into {@link Row}s (no Avro), decoding only the columns
 * the target schema names; and rows written as Parquet into a directory replaced atomically.
 *
 * <pre>{@code
 * PCollection<Row> trips = p.apply(ParquetRows.read("data/pq/green/2020/*\/*.parquet", schema));
 * report.apply(ParquetRows.write("data/report/revenue").withNumShards(1));
 * }</pre>
 */
public final class ParquetRows {
  private ParquetRows() {}

  /** Reads every file matching {@code glob} (local or any Beam file system) as rows of target. */
  public static Read read(String glob, Schema target) {
    return new Read(java.util.List.of(glob), target, null, null, ColumnMapping.NONE);
  }

  /**
   * Reads every file matching any of {@code globs} as rows of target (a range of scheduled periods:
   * one glob per period). Each glob must match at least one file.
   */
  public static Read read(java.util.List<String> globs, Schema target) {
    if (globs.isEmpty()) {
      throw new IllegalArgumentException("no globs to read");
    }
    return new Read(java.util.List.copyOf(globs), target, null, null, ColumnMapping.NONE);
  }

  /**
   * Checks, before a run, that every file has the columns the read needs, with types that convert:
   * the same checks the read makes when it opens each file.
   *
   * @throws IllegalArgumentException naming the file and the column
   * @throws IOException naming a file that is not readable Parquet
   */
  public static void requireColumns(
      List<org.apache.beam.sdk.io.fs.MatchResult.Metadata> files,
      Schema target,
      ColumnMapping mapping)
      throws IOException {
    for (org.apache.beam.sdk.io.fs.MatchResult.Metadata file : files) {
      try (ParquetRowFileReader r = ParquetRowFileReader.open(file, target, mapping)) {
        // opening checks the footer's columns against the target
      }
    }
  }

  /** Reads already matched files as rows of target. */
  public static ReadFiles readFiles(Schema target) {
    return new ReadFiles(target, null, null, ColumnMapping.NONE);
  }

  /** Writes rows into {@code directory}, replacing it atomically. */
  public static Write write(String directory) {
    return new Write(directory, 1);
  }

  /** Reads a glob of Parquet files. */
  public static final class Read extends PTransform<PBegin, PCollection<Row>> {
    private static final long serialVersionUID = 1L;
    private final java.util.List<String> globs;
    private final Schema target;
    private final String namespace;
    private final String counter;
    private final ColumnMapping mapping;

    Read(
        java.util.List<String> globs,
        Schema target,
        String namespace,
        String counter,
        ColumnMapping mapping) {
      this.globs = globs;
      this.target = target;
      this.namespace = namespace;
      this.counter = counter;
      this.mapping = mapping;
    }

    /** Counts rows read in the Beam counter {@code namespace:name}. */
    public Read withRowsReadCounter(String namespace, String name) {
      return new Read(globs, target, namespace, name, mapping);
    }

    /** Fills the target's fields from differently named columns or constants. */
    public Read withColumns(ColumnMapping mapping) {
      mapping.check(target);
      return new Read(globs, target, namespace, counter, mapping);
    }

    @Override
    public PCollection<Row> expand(PBegin begin) {
      PCollection<org.apache.beam.sdk.io.fs.MatchResult.Metadata> files =
          globs.size() == 1
              ? begin.apply(
                  "MatchFiles",
                  FileIO.match()
                      .filepattern(globs.get(0))
                      .withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW))
              : begin
                  .apply("Globs", org.apache.beam.sdk.transforms.Create.of(globs))
                  .apply(
                      "MatchFiles",
                      FileIO.matchAll().withEmptyMatchTreatment(EmptyMatchTreatment.DISALLOW));
      // A file is read a row group at a time wherever the runner deals the groups: one large
      // file keeps every worker busy, not one.
      return files
          .apply("SplitRowGroups", ParDo.of(new SplitRowGroupsFn()))
          .setCoder(org.apache.beam.sdk.coders.SerializableCoder.of(RowGroups.class))
          .apply("Spread", org.apache.beam.sdk.transforms.Reshuffle.viaRandomKey())
          .apply(
              "ReadRowGroups", ParDo.of(new ReadRowGroupsFn(target, namespace, counter, mapping)))
          .setRowSchema(target);
    }
  }

  /** A file's row groups {@code [first, first + count)}: a split of a Parquet read. */
  public record RowGroups(String path, long fileSize, int first, int count, long bytes)
      implements java.io.Serializable, dev.tripflow.spi.SizedElement {
    @Override
    public long sizeBytes() {
      return bytes;
    }
  }

  /**
   * One element per row group of each file (from its footer); a file whose footer cannot be read is
   * one element, so that reading it fails naming it.
   */
  static final class SplitRowGroupsFn
      extends DoFn<org.apache.beam.sdk.io.fs.MatchResult.Metadata, RowGroups> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(
        @Element org.apache.beam.sdk.io.fs.MatchResult.Metadata file,
        OutputReceiver<RowGroups> out) {
      String path = file.resourceId().toString();
      long[] sizes;
      try {
        sizes = ParquetRowFileReader.rowGroupSizes(path, file.sizeBytes());
      } catch (IOException | RuntimeException e) {
        out.output(new RowGroups(path, file.sizeBytes(), 0, Integer.MAX_VALUE, file.sizeBytes()));
        return;
      }
      if (sizes.length == 0) {
        // No row group: read whole, so that the schema is still checked.
        out.output(new RowGroups(path, file.sizeBytes(), 0, Integer.MAX_VALUE, 0));
      }
      for (int i = 0; i < sizes.length; i++) {
        out.output(new RowGroups(path, file.sizeBytes(), i, 1, sizes[i]));
      }
    }
  }

  /** Reads the row groups of one split. */
  static final class ReadRowGroupsFn extends DoFn<RowGroups, Row> {
    private static final long serialVersionUID = 1L;
    private final Schema target;
    private final String namespace;
    private final String counterName;
    private final ColumnMapping mapping;
    private transient Counter rowsRead;

    ReadRowGroupsFn(Schema target, String namespace, String counterName, ColumnMapping mapping) {
      this.target = target;
      this.namespace = namespace;
      this.counterName = counterName;
      this.mapping = mapping;
    }

    @Setup
    public void setup() {
      if (counterName != null) {
        rowsRead = Metrics.counter(namespace, counterName);
      }
    }

    @ProcessElement
    public void process(@Element RowGroups split, OutputReceiver<Row> out) throws IOException {
      ParquetRowFileReader reader;
      try {
        reader =
            ParquetRowFileReader.open(
                split.path(), split.fileSize(), target, mapping, split.first(), split.count());
      } catch (RuntimeException | StackOverflowError e) {
        throw new IOException(
            split.path() + ": not a readable Parquet file (" + ReadFn.describe(e) + ")", e);
      }
      ReadFn.readAll(reader, split.path(), out, rowsRead);
    }
  }

  /** Reads matched Parquet files. */
  public static final class ReadFiles
      extends PTransform<PCollection<ReadableFile>, PCollection<Row>> {
    private static final long serialVersionUID = 1L;
    private final Schema target;
    private final String namespace;
    private final String counter;
    private final ColumnMapping mapping;

    ReadFiles(Schema target, String namespace, String counter, ColumnMapping mapping) {
      this.target = target;
      this.namespace = namespace;
      this.counter = counter;
      this.mapping = mapping;
    }

    /** Counts rows read in the Beam counter {@code namespace:name}. */
    public ReadFiles withRowsReadCounter(String namespace, String name) {
      return new ReadFiles(target, namespace, name, mapping);
    }

    /** Fills the target's fields from differently named columns or constants. */
    public ReadFiles withColumns(ColumnMapping mapping) {
      mapping.check(target);
      return new ReadFiles(target, namespace, counter, mapping);
    }

    @Override
    public PCollection<Row> expand(PCollection<ReadableFile> files) {
      return files
          .apply("DecodeParquet", ParDo.of(new ReadFn(target, namespace, counter, mapping)))
          .setRowSchema(target);
    }
  }

  static final class ReadFn extends DoFn<ReadableFile, Row> {
    private static final long serialVersionUID = 1L;
    private final Schema target;
    private final String namespace;
    private final String counterName;
    private final ColumnMapping mapping;
    private transient Counter rowsRead;

    ReadFn(Schema target, String namespace, String counterName, ColumnMapping mapping) {
      this.target = target;
      this.namespace = namespace;
      this.counterName = counterName;
      this.mapping = mapping;
    }

    @Setup
    public void setup() {
      if (counterName != null) {
        rowsRead = Metrics.counter(namespace, counterName);
      }
    }

    @ProcessElement
    public void process(@Element ReadableFile file, OutputReceiver<Row> out) throws IOException {
      readAll(openOrExplain(file), file.getMetadata().resourceId().toString(), out, rowsRead);
    }

    /** Gives every row of {@code reader} to {@code out}, counting them; closes the reader. */
    static void readAll(
        ParquetRowFileReader opened, String name, OutputReceiver<Row> out, Counter rowsRead)
        throws IOException {
      long n = 0;
      try (ParquetRowFileReader reader = opened) {
        while (true) {
          Row row;
          try {
            if (!reader.hasNext()) {
              break;
            }
            row = reader.next();
          } catch (RuntimeException | StackOverflowError e) {
            // A corrupt page can make the decoder throw anything (a page header's thrift parser
            // even recurses without end); the user needs to know which file, and where.
            throw new IOException(
                name + ": unreadable Parquet data after " + n + " rows (" + describe(e) + ")", e);
          }
          out.output(row);
          n++;
          if (rowsRead != null && (n & 1023) == 0) {
            rowsRead.inc(1024);
          }
        }
      }
      if (rowsRead != null) {
        rowsRead.inc(n & 1023);
      }
    }

    private ParquetRowFileReader openOrExplain(ReadableFile file) throws IOException {
      try {
        return ParquetRowFileReader.open(file.getMetadata(), target, mapping);
      } catch (RuntimeException | StackOverflowError e) {
        throw new IOException(
            file.getMetadata().resourceId() + ": not a readable Parquet file (" + describe(e) + ")",
            e);
      }
    }

    static String describe(Throwable e) {
      if (e instanceof StackOverflowError) {
        return "corrupt page header";
      }
      String m = e.getMessage();
      return e.getClass().getSimpleName() + (m == null ? "" : ": " + m.replace('\n', ' '));
    }
  }

  /** Writes rows as Parquet into a directory replaced atomically. */
  public static final class Write extends PTransform<PCollection<Row>, PCollection<String>> {
    private static final long serialVersionUID = 1L;
    private final String directory;
    private final int shards;
    private final transient PCollection<?>[] gates;
    private final transient OutputGroup group;

    Write(String directory, int shards) {
      this(directory, shards, new PCollection<?>[0], null);
    }

    private Write(String directory, int shards, PCollection<?>[] gates, OutputGroup group) {
      this.directory = directory;
      this.shards = shards;
      this.gates = gates;
      this.group = group;
    }

    /** Number of files (1 = one file, like Spark's coalesce(1)). */
    public Write withNumShards(int n) {
      return new Write(directory, n, gates, group);
    }

    /** Replaces the directory only once these collections are complete. */
    public Write withCommitGate(PCollection<?>... gateCollections) {
      return new Write(directory, shards, gateCollections, group);
    }

    /** Only stages the directory: {@code outputs} commits it with the run's other outputs. */
    public Write in(OutputGroup outputs) {
      return new Write(directory, shards, gates, outputs);
    }

    @Override
    public PCollection<String> expand(PCollection<Row> rows) {
      Schema schema = rows.getSchema();
      AtomicWrite<Row> write =
          AtomicWrite.via(new ParquetRowSink(schema), ".parquet")
              .to(directory)
              .withNumShards(shards)
              .concatenatedBy(new ParquetConcatenation(schema))
              .countedBy(new FooterRows())
              .withCommitGate(gates);
      return rows.apply("WriteParquet", group == null ? write : write.in(group));
    }
  }

  /** Counts a Parquet file's rows from its footer, for a manifest. */
  public static RowCounter footerRows() {
    return new FooterRows();
  }

  /** A Parquet file's rows, from its footer. */
  static final class FooterRows implements RowCounter {
    private static final long serialVersionUID = 1L;

    @Override
    public long rows(String file) throws IOException {
      org.apache.beam.sdk.io.fs.MatchResult.Metadata m =
          org.apache.beam.sdk.io.FileSystems.matchSingleFileSpec(file);
      try (ParquetRowFileReader r = ParquetRowFileReader.open(m, null)) {
        return r.rowCount();
      }
    }
  }
}
