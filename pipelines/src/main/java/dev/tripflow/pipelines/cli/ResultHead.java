package dev.tripflow.pipelines.cli;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderRegistry;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.RowCoder;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.util.MimeTypes;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;

/**
 * The first rows of a result, for printing them like Spark's {@code show()}: at most {@code n} rows
 * in the order they arrive (the order Beam SQL emits an {@code ORDER BY ... LIMIT} in), written
 * encoded into one file that the command reads back after the run, so it works on every runner
 * whose workers can write where the command reads.
 *
 * <pre>{@code
 * result.apply("ShowResult", ResultHead.write(21, "/tmp/head.bin"));
 * pipeline.run().waitUntilFinish();
 * List<Row> first = ResultHead.read("/tmp/head.bin", result.getSchema());
 * }</pre>
 */
public final class ResultHead extends PTransform<PCollection<Row>, PDone> {
  private static final long serialVersionUID = 1L;

  private final int n;
  private final String file;

  private ResultHead(int n, String file) {
    this.n = n;
    this.file = file;
  }

  /** Keeps the first {@code n} rows and writes them to {@code file} (local or gs://). */
  public static ResultHead write(int n, String file) {
    return new ResultHead(n, file);
  }

  /** The rows {@link #write} wrote, in their order. */
  public static List<Row> read(String file, Schema schema) throws IOException {
    ResourceId id = FileSystems.matchSingleFileSpec(file).resourceId();
    try (InputStream in = Channels.newInputStream(FileSystems.open(id))) {
      return ListCoder.of(RowCoder.of(schema)).decode(in);
    }
  }

  @Override
  public PDone expand(PCollection<Row> rows) {
    Schema schema = rows.getSchema();
    rows.apply("FirstRows", Combine.globally(new FirstRows(n, schema)))
        .setCoder(ListCoder.of(RowCoder.of(schema)))
        .apply("WriteRows", ParDo.of(new WriteFn(file, schema)));
    return PDone.in(rows.getPipeline());
  }

  /** Keeps the first rows of each partial, concatenated in order when partials merge. */
  static final class FirstRows extends Combine.CombineFn<Row, List<Row>, List<Row>> {
    private static final long serialVersionUID = 1L;
    private final int n;
    private final Schema schema;

    FirstRows(int n, Schema schema) {
      this.n = n;
      this.schema = schema;
    }

    @Override
    public List<Row> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<Row> addInput(List<Row> acc, Row row) {
      if (acc.size() < n) {
        acc.add(row);
      }
      return acc;
    }

    @Override
    public List<Row> mergeAccumulators(Iterable<List<Row>> accs) {
      List<Row> merged = new ArrayList<>();
      for (List<Row> acc : accs) {
        for (Row r : acc) {
          if (merged.size() < n) {
            merged.add(r);
          }
        }
      }
      return merged;
    }

    @Override
    public List<Row> extractOutput(List<Row> acc) {
      return acc;
    }

    @Override
    public Coder<List<Row>> getAccumulatorCoder(CoderRegistry registry, Coder<Row> inputCoder) {
      return ListCoder.of(RowCoder.of(schema));
    }

    @Override
    public Coder<List<Row>> getDefaultOutputCoder(CoderRegistry registry, Coder<Row> inputCoder) {
      return ListCoder.of(RowCoder.of(schema));
    }
  }

  /** Writes the one list of rows to the file. */
  static final class WriteFn extends DoFn<List<Row>, Void> {
    private static final long serialVersionUID = 1L;
    private final String file;
    private final Schema schema;

    WriteFn(String file, Schema schema) {
      this.file = file;
      this.schema = schema;
    }

    @ProcessElement
    public void process(@Element List<Row> rows) throws IOException {
      ResourceId id = FileSystems.matchNewResource(file, false);
      try (OutputStream out = Channels.newOutputStream(FileSystems.create(id, MimeTypes.BINARY))) {
        ListCoder.of(RowCoder.of(schema)).encode(rows, out);
      }
    }
  }
}
