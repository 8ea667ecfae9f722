package dev.tripflow.io.output;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.ListCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Wait;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;

/**
 * The outputs of one run, committed together by one step at the end of the pipeline: every {@link
 * AtomicWrite} applied {@link AtomicWrite#in in} the group only stages its directory, and {@link
 * #commit} adds the step that swaps them all in (see {@link GroupCommit} for the protocol). A
 * failure anywhere before that step leaves every previous output as it was.
 *
 * <pre>{@code
 * OutputGroup outputs = plan.group();
 * rows.apply(ParquetRows.write(out).in(outputs));
 * deadLetters.apply(AtomicWrite.via(new CsvRowSink(schema), ".csv").to(dead).in(outputs));
 * outputs.commit(pipeline);
 * pipeline.run().waitUntilFinish();
 * }</pre>
 */
public final class OutputGroup {
  private final GroupCommit.Run run;
  private final List<PCollection<String>> staged = new ArrayList<>();
  private final List<PCollection<?>> gates = new ArrayList<>();
  private final Set<String> added = new HashSet<>();
  private boolean committed;

  OutputGroup(GroupCommit.Run run) {
    this.run = run;
  }

  /** The run's id, part of every staging directory's name. */
  public String runId() {
    return run.id();
  }

  /** The outputs, as the plan resolved them (absolute paths). */
  public List<String> targets() {
    return run.targets();
  }

  GroupCommit.Run run() {
    return run;
  }

  /** The resolved form of {@code target} in this group; throws if it is not one of its outputs. */
  String member(String target) {
    String t = OutputPlan.normalize(target);
    if (!run.targets().contains(t)) {
      throw new IllegalArgumentException(
          target + " is not an output of this run (its outputs: " + run.targets() + ")");
    }
    return t;
  }

  void add(String target, PCollection<String> stagedTarget) {
    if (committed) {
      throw new IllegalStateException("the group's commit step is already in the pipeline");
    }
    if (!added.add(target)) {
      throw new IllegalArgumentException(target + " is written twice in one run");
    }
    staged.add(stagedTarget);
  }

  /**
   * For a writer outside a pipeline: the directory where {@code target}'s files go before the
   * commit (created).
   */
  public String stagingOf(String target) throws java.io.IOException {
    String staging = GroupCommit.staging(member(target), run.id());
    if (Store.isLocal(staging)) {
      java.nio.file.Files.createDirectories(Store.Local.path(staging));
    }
    return staging;
  }

  /**
   * For a writer outside a pipeline: {@code target}'s files are all in its staging directory;
   * writes its manifest, with each file's rows from {@code counter}.
   */
  public void staged(String target, RowCounter counter) throws java.io.IOException {
    String t = member(target);
    String staging = GroupCommit.staging(t, run.id());
    Store store = Store.of(staging);
    List<Manifest.FileEntry> files = new ArrayList<>();
    for (String name : store.filesUnder(staging)) {
      if (name.startsWith(".") || name.equals(Manifest.NAME)) {
        continue;
      }
      String file = Store.child(staging, name);
      files.add(
          new Manifest.FileEntry(
              name,
              counter.rows(file),
              org.apache.beam.sdk.io.FileSystems.matchSingleFileSpec(file).sizeBytes()));
    }
    store.writeAtomically(
        Store.child(staging, Manifest.NAME), new Manifest(run.id(), files, run.targets()).toJson());
    synchronized (added) {
      added.add(t);
    }
  }

  /** For writers outside a pipeline: commits every output, each of which must be staged. */
  public void commitNow() throws java.io.IOException {
    GroupCommit.commit(run);
  }

  /** Commits only after these collections are complete (a failing check stops the commit). */
  public OutputGroup withCommitGate(PCollection<?>... gateCollections) {
    gates.addAll(List.of(gateCollections));
    return this;
  }

  /**
   * Adds the commit step to {@code pipeline}, after every output's staging; call it once, after the
   * last write is applied and before the pipeline runs.
   *
   * @return the committed targets, one list, once they are all in place
   */
  public PCollection<List<String>> commit(Pipeline pipeline) {
    if (committed) {
      throw new IllegalStateException("commit is already in the pipeline");
    }
    if (!added.equals(new HashSet<>(run.targets()))) {
      Set<String> missing = new HashSet<>(run.targets());
      missing.removeAll(added);
      throw new IllegalStateException("outputs of the run that nothing writes: " + missing);
    }
    committed = true;
    PCollection<String> all =
        PCollectionList.of(staged).apply("FlattenStagedOutputs", Flatten.pCollections());
    if (!gates.isEmpty()) {
      all = all.apply("WaitForCommitGates", Wait.on(gates.toArray(new PCollection<?>[0])));
    }
    return commitStep(all, run);
  }

  /** Gathers the staged targets into one element and commits the run when every one is there. */
  static PCollection<List<String>> commitStep(
      PCollection<String> stagedTargets, GroupCommit.Run r) {
    return stagedTargets
        .apply("CollectStagedOutputs", Combine.globally(new AtomicWrite.ListStrings()))
        .setCoder(ListCoder.of(StringUtf8Coder.of()))
        .apply("CommitOutputs", ParDo.of(new CommitFn(r)))
        .setCoder(ListCoder.of(StringUtf8Coder.of()));
  }

  /** The group's one commit step. Retried, it finishes what an earlier attempt began. */
  static final class CommitFn extends DoFn<List<String>, List<String>> {
    private static final long serialVersionUID = 1L;
    private final GroupCommit.Run run;

    CommitFn(GroupCommit.Run run) {
      this.run = run;
    }

    @ProcessElement
    public void process(@Element List<String> stagedTargets, OutputReceiver<List<String>> out)
        throws java.io.IOException {
      if (!new HashSet<>(stagedTargets).containsAll(run.targets())) {
        throw new java.io.IOException(
            "not every output of run " + run.id() + " was staged: " + stagedTargets);
      }
      GroupCommit.commit(run);
      out.output(run.targets());
    }
  }
}
