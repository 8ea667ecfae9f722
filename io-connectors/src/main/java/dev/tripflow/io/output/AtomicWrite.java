package dev.tripflow.io.output;

import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.channels.WritableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.io.FileIO;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.WriteFilesResult;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a collection through a {@link FileIO.Sink} into a directory that is replaced as a whole:
 * shards go to a staging directory beside the target, and only when every shard is written (and
 * every commit gate is complete) does one commit step swap the staging directory in and delete the
 * old target. A run that fails before the commit leaves the target as it was.
 *
 * <p>Files are named {@code part-00000<suffix>}, {@code part-00001<suffix>}, ... The output is the
 * list of final file paths, one element, so later steps can {@code Wait.on} it.
 *
 * <p>On local disks the swap is two directory renames. Object stores such as {@code gs://} have no
 * directory rename: there the old objects are deleted and the staged ones copied in, so a reader
 * could see a partial directory during that step. Staging directories that a crashed run left
 * behind ({@code .<name>.staging-*}) are removed by the next commit once a day old.
 *
 * <pre>{@code
 * rows.apply(AtomicWrite.via(new ParquetRowSink(schema), ".parquet").to("out/report").withNumShards(1));
 * }</pre>
 */
public final class AtomicWrite<T> extends PTransform<PCollection<T>, PCollection<List<String>>> {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(AtomicWrite.class);

  private final FileIO.Sink<T> sink;
  private final String suffix;
  private final String target;
  private final int numShards;
  private final Concatenation concatenation;
  private final transient List<PCollection<?>> gates;

  private AtomicWrite(
      FileIO.Sink<T> sink,
      String suffix,
      String target,
      int numShards,
      Concatenation concatenation,
      List<PCollection<?>> gates) {
    this.sink = sink;
    this.suffix = suffix;
    this.target = target;
    this.numShards = numShards;
    this.concatenation = concatenation;
    this.gates = gates;
  }

  /** Writes through {@code sink}, naming files with {@code suffix} (e.g. {@code .parquet}). */
  public static <T> AtomicWrite<T> via(FileIO.Sink<T> sink, String suffix) {
    return new AtomicWrite<>(sink, suffix, null, 1, null, List.of());
  }

  /** The directory to replace. */
  public AtomicWrite<T> to(String targetDirectory) {
    return new AtomicWrite<>(
        sink, suffix, stripSlash(targetDirectory), numShards, concatenation, gates);
  }

  /** How many files to write (at least 1); 1 writes a single file. */
  public AtomicWrite<T> withNumShards(int shards) {
    if (shards < 1) {
      throw new IllegalArgumentException("number of shards must be at least 1, not " + shards);
    }
    return new AtomicWrite<>(sink, suffix, target, shards, concatenation, gates);
  }

  /**
   * How the sink's files are joined into one. With it, a single-file write of a collection in the
   * global window needs no shuffle: every bundle writes its own piece where it runs (in parallel),
   * and one step joins the pieces into the one file before the commit. Without it, all elements are
   * first grouped into one shard and written by one worker, as {@code FileIO} does.
   */
  public AtomicWrite<T> concatenatedBy(Concatenation joiner) {
    return new AtomicWrite<>(sink, suffix, target, numShards, joiner, gates);
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
    return new AtomicWrite<>(sink, suffix, target, numShards, concatenation, all);
  }

  private static String stripSlash(String dir) {
    String d = dir;
    while (d.length() > 1 && d.endsWith("/")) {
      d = d.substring(0, d.length() - 1);
    }
    return d;
  }

  /** The staging directory for a target: hidden, beside it, unique per pipeline. */
  static String stagingFor(String target, String runId) {
    int slash = target.lastIndexOf('/');
    String parent = slash < 0 ? "" : target.substring(0, slash + 1);
    String name = slash < 0 ? target : target.substring(slash + 1);
    return parent + "." + name + ".staging-" + runId;
  }

  @Override
  public PCollection<List<String>> expand(PCollection<T> input) {
    if (target == null) {
      throw new IllegalStateException("AtomicWrite needs .to(targetDirectory)");
    }
    String runId = UUID.randomUUID().toString().substring(0, 8);
    String staging = stagingFor(target, runId);
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
    return files
        // One element listing every written file (an empty list when nothing was written).
        .apply("CollectFileNames", Combine.globally(new ListStrings()))
        .setCoder(ListCoder.of(StringUtf8Coder.of()))
        .apply("CommitDirectory", ParDo.of(new CommitFn<>(sink, staging, target, suffix)))
        .setCoder(ListCoder.of(StringUtf8Coder.of()));
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

  /** Gathers the written file names into one sorted list. */
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

  /** Swaps the staging directory in for the target. Runs once, after every shard is written. */
  static final class CommitFn<T> extends DoFn<List<String>, List<String>> {
    private static final long serialVersionUID = 1L;
    private final FileIO.Sink<T> sink;
    private final String staging;
    private final String target;
    private final String suffix;

    CommitFn(FileIO.Sink<T> sink, String staging, String target, String suffix) {
      this.sink = sink;
      this.staging = staging;
      this.target = target;
      this.suffix = suffix;
    }

    @ProcessElement
    public void process(@Element List<String> written, OutputReceiver<List<String>> out)
        throws IOException {
      List<String> stagedNames = new ArrayList<>();
      for (String f : written) {
        stagedNames.add(f.substring(f.lastIndexOf('/') + 1));
      }
      if (stagedNames.isEmpty()) {
        // No shard was written (no input): the output is still one valid, empty file.
        String name = "part-00000" + suffix;
        ResourceId empty = FileSystems.matchNewResource(staging + "/" + name, false);
        try (var channel = FileSystems.create(empty, "application/octet-stream")) {
          sink.open(channel);
          sink.flush();
        }
        stagedNames.add(name);
      }
      List<String> finalFiles = new ArrayList<>();
      for (String n : stagedNames) {
        finalFiles.add(target + "/" + n);
      }
      if (isLocal(target)) {
        commitLocal();
      } else {
        commitRemote(stagedNames);
      }
      LOG.info("wrote {} file(s) to {}", finalFiles.size(), target);
      out.output(finalFiles);
    }

    private static boolean isLocal(String path) {
      return !path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || path.startsWith("file://");
    }

    private static Path local(String path) {
      return Path.of(path.startsWith("file://") ? path.substring("file://".length()) : path);
    }

    private void commitLocal() throws IOException {
      Path stagingDir = local(staging);
      Path targetDir = local(target);
      deleteRecursively(stagingDir.resolve(".tmp"));
      if (!Files.isDirectory(stagingDir)) {
        if (Files.isDirectory(targetDir)) {
          return; // an earlier attempt of this step already committed
        }
        throw new IOException("staging directory " + stagingDir + " is missing");
      }
      Path old = null;
      if (Files.exists(targetDir)) {
        old = targetDir.resolveSibling("." + targetDir.getFileName() + ".old-" + UUID.randomUUID());
        Files.move(targetDir, old, StandardCopyOption.ATOMIC_MOVE);
      }
      try {
        Files.move(stagingDir, targetDir, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        if (old != null) {
          Files.move(old, targetDir, StandardCopyOption.ATOMIC_MOVE); // put the old output back
        }
        throw e;
      }
      if (old != null) {
        deleteRecursively(old);
      }
      removeStaleStaging(targetDir);
    }

    private static void removeStaleStaging(Path targetDir) {
      Path parent = targetDir.toAbsolutePath().getParent();
      String prefix = "." + targetDir.getFileName() + ".";
      Instant dayAgo = Instant.now().minus(Duration.ofDays(1));
      try (Stream<Path> siblings = Files.list(parent)) {
        for (Path p : siblings.toList()) {
          String n = p.getFileName().toString();
          if (n.startsWith(prefix)
              && (n.contains(".staging-") || n.contains(".old-"))
              && Files.getLastModifiedTime(p).toInstant().isBefore(dayAgo)) {
            deleteRecursively(p);
          }
        }
      } catch (IOException e) {
        LOG.warn(
            "could not clean stale staging directories beside {}: {}", targetDir, e.toString());
      }
    }

    private void commitRemote(List<String> stagedNames) throws IOException {
      List<ResourceId> existing = new ArrayList<>();
      for (Metadata m : FileSystems.match(target + "/**", EmptyMatchTreatment.ALLOW).metadata()) {
        existing.add(m.resourceId());
      }
      FileSystems.delete(existing, StandardMoveOptions.IGNORE_MISSING_FILES);
      List<ResourceId> from = new ArrayList<>();
      List<ResourceId> to = new ArrayList<>();
      for (String n : stagedNames) {
        from.add(FileSystems.matchNewResource(staging + "/" + n, false));
        to.add(FileSystems.matchNewResource(target + "/" + n, false));
      }
      FileSystems.rename(from, to, StandardMoveOptions.IGNORE_MISSING_FILES);
      List<ResourceId> leftovers = new ArrayList<>();
      for (Metadata m : FileSystems.match(staging + "/**", EmptyMatchTreatment.ALLOW).metadata()) {
        leftovers.add(m.resourceId());
      }
      FileSystems.delete(leftovers, StandardMoveOptions.IGNORE_MISSING_FILES);
    }

    private static void deleteRecursively(Path dir) {
      if (!Files.exists(dir)) {
        return;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete " + dir, e);
      }
    }
  }
}
