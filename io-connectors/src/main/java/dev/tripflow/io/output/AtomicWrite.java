package dev.tripflow.io.output;

import java.io.IOException;
import java.io.Serializable;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.transforms.windowing.GlobalWindow;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.values.PCollection;

/**
 * Writes a collection through a {@link FileIO.Sink} into a directory that is replaced as a whole:
 * shards go to a staging directory beside the target, and only when every shard is written (and
 * every commit gate is complete) does one commit step swap the staging directory in. A run that
 * fails before the commit leaves the target as it was. The committed directory holds the files and
 * a {@code _SUCCESS} {@link Manifest} listing them with their row counts.
 *
 * <p>Files are named {@code part-00000<suffix>}, {@code part-00001<suffix>}, ... Applied on its
 * own, the write commits itself: its output is the target, once committed. Applied {@link #in in}
 * an {@link OutputGroup}, it only stages, and the group's one commit step swaps in every output of
 * the run together.
 *
 * <p>On its own, the write refuses (when the pipeline is built) to replace a directory that is not
 * empty and was not written by tripflow: it would otherwise delete files it never wrote.
 *
 * <pre>{@code
 * rows.apply(AtomicWrite.via(new ParquetRowSink(schema), ".parquet").to("out/report").withNumShards(1));
 * }</pre>
 */
public final class AtomicWrite<T> extends PTransform<PCollection<T>, PCollection<String>> {
  private static final long serialVersionUID = 1L;

  private final FileIO.Sink<T> sink;
  private final String suffix;
  private final String target;
  private final int numShards;
  private final Concatenation concatenation;
  private final RowCounter counter;
  private final transient List<PCollection<?>> gates;
  private final transient OutputGroup group;

  private AtomicWrite(
      FileIO.Sink<T> sink,
      String suffix,
      String target,
      int numShards,
      Concatenation concatenation,
      RowCounter counter,
      List<PCollection<?>> gates,
      OutputGroup group) {
    this.sink = sink;
    this.suffix = suffix;
    this.target = target;
    this.numShards = numShards;
    this.concatenation = concatenation;
    this.counter = counter;
    this.gates = gates;
    this.group = group;
  }

  /** Writes through {@code sink}, naming files with {@code suffix} (e.g. {@code .parquet}). */
  public static <T> AtomicWrite<T> via(FileIO.Sink<T> sink, String suffix) {
    return new AtomicWrite<>(sink, suffix, null, 1, null, RowCounter.UNKNOWN, List.of(), null);
  }

  /** The directory to replace. */
  public AtomicWrite<T> to(String targetDirectory) {
    return new AtomicWrite<>(
        sink, suffix, stripSlash(targetDirectory), numShards, concatenation, counter, gates, group);
  }

  /** How many files to write (at least 1); 1 writes a single file. */
  public AtomicWrite<T> withNumShards(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("number of shards must be at least 1, not " + shards);
    }
    return new AtomicWrite<>(sink, suffix, target, shards, concatenation, counter, gates, group);
  }

  /**
   * How the sink's files are joined into one. With it, a single-file write of a collection in the
   * global window needs no shuffle: every bundle writes its own piece where it runs (in parallel),
   * and one step joins the pieces into the one file before the commit. Without it, all elements are
   * first grouped into one shard and written by one worker, as {@code FileIO} does.
   */
  public AtomicWrite<T> concatenatedBy(Concatenation joiner) {
    return new AtomicWrite<>(sink, suffix, target, numShards, joiner, counter, gates, group);
  }

  /** How the manifest counts the rows of a written file (the sink's format knows). */
  public AtomicWrite<T> countedBy(RowCounter rows) {
    return new AtomicWrite<>(sink, suffix, target, numShards, concatenation, rows, gates, group);
  }

  /** Stages the directory only; {@code outputs} commits it with the run's other outputs. */
  public AtomicWrite<T> in(OutputGroup outputs) {
    return new AtomicWrite<>(
        sink, suffix, target, numShards, concatenation, counter, gates, outputs);
  }

  /** Joins files written by one sink into one file of the same format. */
  public interface Concatenation extends Serializable {
    /**
     * Writes the contents of {@code pieces}, in this order, as one file at {@code target} (created
     * or overwritten). The pieces are left as they are.
     */
    void concatenate(List<ResourceId> pieces, ResourceId target) throws IOException;
  }

  /**
   * Commits only after these collections are complete; if computing one fails, the target is left
   * untouched (for example a check that fails on too many bad records).
   */
  public AtomicWrite<T> withCommitGate(PCollection<?>... gateCollections) {
    List<PCollection<?>> all = new ArrayList<>(gates);
    all.addAll(List.of(gateCollections));
    return new AtomicWrite<>(sink, suffix, target, numShards, concatenation, counter, all, group);
  }

  private static String stripSlash(String dir) {
    String d = dir;
    while (d.length() > 1 && d.endsWith("/")) {
      d = d.substring(0, d.length() - 1);
    }
    return d;
  }

  @Override
  public PCollection<String> expand(PCollection<T> input) {
    if (target == null) {
      throw new IllegalStateException("AtomicWrite needs .to(targetDirectory)");
    }
    GroupCommit.Run run;
    String resolved;
    if (group != null) {
      resolved = group.member(target);
      run = group.run();
    } else {
      resolved = OutputPlan.normalize(target);
      OutputPlan.recoverAndRequireReplaceable(resolved);
      run = new GroupCommit.Run(GroupCommit.newRunId(), List.of(resolved));
    }
    String staging = GroupCommit.staging(resolved, run.id());
    String prefix = "part-";
    PCollection<String> files;
    if (numShards == 1
        && concatenation != null
        && input.getWindowingStrategy().getWindowFn() instanceof GlobalWindows) {
      files =
          input
              .apply("WritePieces", ParDo.of(new WritePiecesFn<>(sink, staging + "/.tmp", suffix)))
              .setCoder(StringUtf8Coder.of())
              .apply("CollectPieces", Combine.globally(new ListStrings()))
              .setCoder(ListCoder.of(StringUtf8Coder.of()))
              .apply(
                  "ConcatenatePieces",
                  ParDo.of(
                      new ConcatenateFn(concatenation, staging + "/" + prefix + "00000" + suffix)))
              .setCoder(StringUtf8Coder.of());
    } else {
      WriteFilesResult<Void> written =
          input.apply(
              "WriteShards",
              FileIO.<T>write()
                  .via(sink)
                  .to(staging)
                  .withTempDirectory(staging + "/.tmp")
                  .withNumShards(numShards)
                  .withNaming(
                      (window, pane, shards, index, compression) ->
                          String.format(Locale.ROOT, "%s%05d%s", prefix, index, suffix)));
      files = written.getPerDestinationOutputFilenames().apply(Values.create());
    }
    if (!gates.isEmpty()) {
      files = files.apply("WaitForGates", Wait.on(gates.toArray(new PCollection<?>[0])));
    }
    PCollection<String> staged =
        files
            // One element listing every written file (an empty list when nothing was written).
            .apply("CollectFileNames", Combine.globally(new ListStrings()))
            .setCoder(ListCoder.of(StringUtf8Coder.of()))
            .apply(
                "FinishStaging",
                ParDo.of(new FinishStagingFn<>(sink, counter, resolved, run, suffix)))
            .setCoder(StringUtf8Coder.of());
    if (group != null) {
      group.add(resolved, staged);
      return staged;
    }
    return OutputGroup.commitStep(staged, run)
        .apply("CommittedTarget", ParDo.of(new FirstFn()))
        .setCoder(StringUtf8Coder.of());
  }

  /** The one target of a lone write's commit. */
  static final class FirstFn extends DoFn<List<String>, String> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element List<String> targets, OutputReceiver<String> out) {
      out.output(targets.get(0));
    }
  }

  /**
   * Writes each bundle's elements into a piece of its own under the staging directory's temporary
   * directory, and outputs the piece's path when the bundle ends. A retried bundle writes a new
   * piece; the failed attempt's is never listed and goes with the temporary directory.
   */
  static final class WritePiecesFn<T> extends DoFn<T, String> {
    private static final long serialVersionUID = 1L;
    private final FileIO.Sink<T> sink;
    private final String directory;
    private final String suffix;
    private transient WritableByteChannel channel;
    private transient String piece;

    WritePiecesFn(FileIO.Sink<T> sink, String directory, String suffix) {
      this.sink = sink;
      this.directory = directory;
      this.suffix = suffix;
    }

    @StartBundle
    public void startBundle() {
      channel = null;
      piece = null;
    }

    @ProcessElement
    public void process(@Element T element) throws IOException {
      if (channel == null) {
        piece = directory + "/piece-" + UUID.randomUUID() + suffix;
        channel =
            FileSystems.create(
                FileSystems.matchNewResource(piece, false), "application/octet-stream");
        sink.open(channel);
      }
      sink.write(element);
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext context) throws IOException {
      if (channel == null) {
        return;
      }
      try {
        sink.flush();
      } finally {
        channel.close();
        channel = null;
      }
      context.output(piece, GlobalWindow.INSTANCE.maxTimestamp(), GlobalWindow.INSTANCE);
    }

    /** Closes the piece of a bundle that failed (the piece itself is never listed). */
    @Teardown
    public void teardown() throws IOException {
      if (channel != null) {
        channel.close();
        channel = null;
      }
    }
  }

  /**
   * Joins the pieces into the one output file (a single piece is renamed). Outputs the file's path,
   * nothing when there are no pieces. Safe to run again: the pieces stay until the commit.
   */
  static final class ConcatenateFn extends DoFn<List<String>, String> {
    private static final long serialVersionUID = 1L;
    private final Concatenation concatenation;
    private final String file;

    ConcatenateFn(Concatenation concatenation, String file) {
      this.concatenation = concatenation;
      this.file = file;
    }

    @ProcessElement
    public void process(@Element List<String> pieces, OutputReceiver<String> out)
        throws IOException {
      if (pieces.isEmpty()) {
        return;
      }
      ResourceId target = FileSystems.matchNewResource(file, false);
      List<ResourceId> from = new ArrayList<>();
      for (String p : pieces) {
        from.add(FileSystems.matchNewResource(p, false));
      }
      if (from.size() == 1) {
        // Renamed before by an earlier attempt of this step: the piece is gone, the file there.
        FileSystems.rename(from, List.of(target), StandardMoveOptions.IGNORE_MISSING_FILES);
      } else {
        concatenation.concatenate(from, target);
      }
      out.output(file);
    }
  }

  /** Gathers strings into one sorted list. */
  static final class ListStrings extends Combine.CombineFn<String, List<String>, List<String>> {
    private static final long serialVersionUID = 1L;

    @Override
    public List<String> createAccumulator() {
      return new ArrayList<>();
    }

    @Override
    public List<String> addInput(List<String> acc, String s) {
      acc.add(s);
      return acc;
    }

    @Override
    public List<String> mergeAccumulators(Iterable<List<String>> accs) {
      List<String> all = new ArrayList<>();
      accs.forEach(all::addAll);
      return all;
    }

    @Override
    public List<String> extractOutput(List<String> acc) {
      List<String> sorted = new ArrayList<>(acc);
      sorted.sort(Comparator.naturalOrder());
      return sorted;
    }
  }

  /**
   * Completes the staging directory: drops the writers' temporary files, writes one empty file when
   * nothing was written (an output is always a valid, readable directory), counts every file's rows
   * from the file itself and writes the {@code _SUCCESS} manifest. Outputs the target.
   */
  static final class FinishStagingFn<T> extends DoFn<List<String>, String> {
    private static final long serialVersionUID = 1L;
    private final FileIO.Sink<T> sink;
    private final RowCounter counter;
    private final String target;
    private final GroupCommit.Run run;
    private final String suffix;

    FinishStagingFn(
        FileIO.Sink<T> sink,
        RowCounter counter,
        String target,
        GroupCommit.Run run,
        String suffix) {
      this.sink = sink;
      this.counter = counter;
      this.target = target;
      this.run = run;
      this.suffix = suffix;
    }

    @ProcessElement
    public void process(@Element List<String> written, OutputReceiver<String> out)
        throws IOException {
      String staging = GroupCommit.staging(target, run.id());
      Store store = Store.of(staging);
      if (Manifest.of(target).map(m -> m.run().equals(run.id())).orElse(false)) {
        out.output(target); // committed by an earlier attempt of the whole run's last steps
        return;
      }
      store.deleteRecursively(Store.child(staging, ".tmp"));
      List<String> names = new ArrayList<>();
      for (String f : written) {
        names.add(f.substring(f.lastIndexOf('/') + 1));
      }
      if (names.isEmpty()) {
        String name = "part-00000" + suffix;
        ResourceId empty = FileSystems.matchNewResource(Store.child(staging, name), false);
        try (var channel = FileSystems.create(empty, "application/octet-stream")) {
          sink.open(channel);
          sink.flush();
        }
        names.add(name);
      }
      List<Manifest.FileEntry> entries = new ArrayList<>();
      for (String n : names) {
        String file = Store.child(staging, n);
        long bytes = FileSystems.matchSingleFileSpec(file).sizeBytes();
        entries.add(new Manifest.FileEntry(n, counter.rows(file), bytes));
      }
      Manifest manifest = new Manifest(run.id(), entries, run.targets());
      store.writeAtomically(Store.child(staging, Manifest.NAME), manifest.toJson());
      out.output(target);
    }
  }
}
