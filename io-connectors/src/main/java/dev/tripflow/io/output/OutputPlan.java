package dev.tripflow.io.output;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * What a run reads and writes, checked before any work: the safety rules of tripflow's outputs.
 *
 * <ul>
 *   <li>Whatever the mode, an output that equals, contains or lies inside an input (a glob's
 *       directory, a file read) or another output of the run is refused.
 *   <li>What killed runs left beside an output (staging, a half-done swap) is finished or undone
 *       first; an output another live run is writing is refused.
 *   <li>{@link OutputMode#OVERWRITE} replaces an output only if it is empty or a directory tripflow
 *       committed (its {@code _SUCCESS} manifest lists every file in it); {@link
 *       OutputMode#ERROR_IF_EXISTS} refuses an existing output; {@link OutputMode#IGNORE} skips the
 *       whole run when any output exists.
 * </ul>
 *
 * Refusals are {@link RefusedException}s whose message is one line naming the option and path.
 * {@link #prepare} marks the outputs as this run's; {@link #group} then stages and commits them
 * together in the pipeline, and {@link #abort} cleans up after a failed run.
 *
 * <pre>{@code
 * OutputPlan plan = OutputPlan.builder(OutputMode.OVERWRITE)
 *     .input("inputGreen", "data/pq/green/*\/*\/*.parquet")
 *     .output("output", "data/report/revenue")
 *     .build();
 * if (plan.prepare().isPresent()) { ... skipped ... }
 * rows.apply(ParquetRows.write("data/report/revenue").in(plan.group()));
 * plan.group().commit(pipeline);
 * }</pre>
 */
public final class OutputPlan {
  /** A refusal, one line naming the option and the path. */
  public static final class RefusedException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    public RefusedException(String message) {
      super(message);
    }
  }

  private record Input(String option, String spec, String root) {}

  private record Output(String option, String path, Predicate<byte[]> ours, String kind) {
    boolean isFile() {
      return ours != null;
    }
  }

  private final OutputMode mode;
  private final List<Input> inputs;
  private final List<Output> outputs;
  private OutputGroup group;
  private boolean prepared;

  private OutputPlan(OutputMode mode, List<Input> inputs, List<Output> outputs) {
    this.mode = mode;
    this.inputs = inputs;
    this.outputs = outputs;
  }

  public static Builder builder(OutputMode mode) {
    return new Builder(mode);
  }

  /** Collects a run's inputs and outputs. */
  public static final class Builder {
    private final OutputMode mode;
    private final List<Input> inputs = new ArrayList<>();
    private final List<Output> outputs = new ArrayList<>();

    private Builder(OutputMode mode) {
      this.mode = mode;
    }

    /**
     * Data the run reads: a file, a directory or a glob (its directory up to the first wildcard).
     */
    public Builder input(String option, String spec) {
      if (spec != null && !spec.isBlank()) {
        inputs.add(new Input(option, spec, normalize(globRoot(spec))));
      }
      return this;
    }

    /** A directory the run replaces as a whole. */
    public Builder output(String option, String directory) {
      if (directory != null && !directory.isBlank()) {
        outputs.add(new Output(option, normalize(directory), null, null));
      }
      return this;
    }

    /**
     * A single file the run writes (atomically). {@code ours} tells whether existing contents are a
     * {@code kind} tripflow wrote, which {@link OutputMode#OVERWRITE} may replace.
     */
    public Builder outputFile(String option, String file, String kind, Predicate<byte[]> ours) {
      if (file != null && !file.isBlank()) {
        outputs.add(new Output(option, normalize(file), ours, kind));
      }
      return this;
    }

    public OutputPlan build() {
      return new OutputPlan(mode, List.copyOf(inputs), List.copyOf(outputs));
    }
  }

  /** The directory outputs, resolved. */
  public List<String> directories() {
    List<String> dirs = new ArrayList<>();
    outputs.stream().filter(o -> !o.isFile()).forEach(o -> dirs.add(o.path()));
    return dirs;
  }

  /**
   * Checks every rule, recovers what killed runs left, and marks the directory outputs as this
   * run's.
   *
   * @return empty to go on; with {@link OutputMode#IGNORE} and an existing output, the line saying
   *     why nothing is written
   * @throws RefusedException for any output the rules refuse
   */
  public Optional<String> prepare() throws IOException {
    if (prepared) {
      throw new IllegalStateException("already prepared");
    }
    checkOverlaps();
    for (Input in : inputs) {
      if (Store.of(in.root()).exists(in.root()) && !Store.of(in.root()).isFile(in.root())) {
        recover("--" + in.option() + "=" + in.spec(), in.root());
      }
    }
    List<String> existing = new ArrayList<>();
    for (Output o : outputs) {
      String name = "--" + o.option() + "=" + o.path();
      Store store = Store.of(o.path());
      requireWritablePlace(name, o.path());
      requireOutsideCommittedOutputs(name, o.path());
      if (!o.isFile()) {
        recover(name, o.path());
      }
      if (!store.exists(o.path())) {
        continue;
      }
      boolean file = store.isFile(o.path());
      if (o.isFile() != file) {
        throw new RefusedException(
            name + ": exists and is " + (file ? "a file, not a directory" : "a directory"));
      }
      switch (mode) {
        case ERROR_IF_EXISTS:
          throw new RefusedException(name + ": already exists (--mode=errorIfExists)");
        case IGNORE:
          existing.add(name);
          break;
        case OVERWRITE:
          if (o.isFile()) {
            requireOurFile(name, o);
          } else {
            requireReplaceable(name, o.path());
          }
          break;
      }
    }
    if (!existing.isEmpty()) {
      prepared = true;
      return Optional.of(
          "nothing written: "
              + String.join(", ", existing)
              + (existing.size() == 1 ? " exists" : " exist")
              + " (--mode=ignore)");
    }
    List<String> dirs = directories();
    if (!dirs.isEmpty()) {
      group = new OutputGroup(new GroupCommit.Run(GroupCommit.newRunId(), dirs));
      GroupCommit.begin(group.run());
    }
    prepared = true;
    return Optional.empty();
  }

  /** The group that stages and commits the directory outputs; after {@link #prepare}. */
  public OutputGroup group() {
    if (group == null) {
      throw new IllegalStateException(
          prepared ? "the run has no directory outputs" : "prepare() first");
    }
    return group;
  }

  /** After a failed run: undoes its staging, or finishes its commit if that was decided. */
  public void abort() throws IOException {
    if (group != null) {
      GroupCommit.abort(group.run());
    }
  }

  /**
   * An output inside a directory tripflow committed would make that directory hold files its
   * manifest does not list (and a later overwrite of it would be refused, or delete this one).
   */
  private static void requireOutsideCommittedOutputs(String name, String path) throws IOException {
    String parent = Store.parentOf(path);
    while (!parent.isEmpty() && !parent.endsWith(":/") && !parent.endsWith(":")) {
      if (Store.isLocal(parent) || parent.substring(parent.indexOf("://") + 3).contains("/")) {
        if (Manifest.of(parent).isPresent()) {
          throw new RefusedException(
              name
                  + ": lies inside "
                  + parent
                  + ", an output tripflow committed; choose a directory outside it");
        }
      }
      parent = Store.parentOf(parent);
    }
  }

  /** An output needs a parent to stage beside it in, and a place that can be written. */
  private static void requireWritablePlace(String name, String path) {
    if (!Store.isLocal(path)) {
      String rest = path.substring(path.indexOf("://") + 3);
      if (!rest.contains("/")) {
        throw new RefusedException(
            name
                + ": a bucket's root cannot be replaced; give a directory in it, e.g. "
                + path
                + "/out");
      }
      return;
    }
    Path p = Path.of(path);
    if (p.getParent() == null) {
      throw new RefusedException(name + ": the root directory cannot be an output");
    }
    Path existing = p.getParent();
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
      throw new RefusedException(
          name + ": cannot write there (" + existing + " is not a writable directory)");
    }
  }

  private static void recover(String name, String target) throws IOException {
    try {
      GroupCommit.recover(target);
    } catch (GroupCommit.BusyException e) {
      throw new RefusedException(name + ": " + e.getMessage().substring(target.length() + 2));
    }
  }

  private void checkOverlaps() {
    List<Output> seen = new ArrayList<>();
    for (Output o : outputs) {
      String name = "--" + o.option() + "=" + o.path();
      String real = real(o.path());
      for (Input in : inputs) {
        String root = real(in.root());
        String what = "input --" + in.option() + "=" + in.spec();
        if (real.equals(root)) {
          throw new RefusedException(name + ": is the " + what + "; choose another output");
        }
        if (inside(root, real)) {
          throw new RefusedException(name + ": contains the " + what + "; choose another output");
        }
        if (inside(real, root)) {
          throw new RefusedException(
              name + ": lies inside the " + what + "; choose another output");
        }
      }
      for (Output other : seen) {
        String r = real(other.path());
        String what = "output --" + other.option() + "=" + other.path();
        if (real.equals(r)) {
          throw new RefusedException(name + ": is also the " + what + "; give each its own");
        }
        if (inside(r, real) || inside(real, r)) {
          throw new RefusedException(
              name + ": " + (inside(r, real) ? "contains" : "lies inside") + " the " + what);
        }
      }
      seen.add(o);
    }
  }

  /** Whether {@code path} lies strictly inside directory {@code dir}. */
  static boolean inside(String path, String dir) {
    String d = dir.endsWith("/") ? dir : dir + "/";
    return path.startsWith(d) && path.length() > d.length();
  }

  private static void requireOurFile(String name, Output o) throws IOException {
    byte[] bytes = Store.of(o.path()).read(o.path());
    if (!o.ours().test(bytes)) {
      throw new RefusedException(
          name
              + ": exists and is not a "
              + o.kind()
              + " written by tripflow; remove it or choose another file");
    }
  }

  /**
   * Finishes or undoes what earlier runs left beside {@code target}, and refuses (when the pipeline
   * is built) to replace a directory that is not empty and not tripflow's own; for a write applied
   * on its own, outside any plan.
   */
  static void recoverAndRequireReplaceable(String target) {
    try {
      GroupCommit.recover(target);
      if (Store.of(target).exists(target) && !Store.of(target).isFile(target)) {
        requireReplaceable(target, target);
      }
    } catch (GroupCommit.BusyException e) {
      throw new RefusedException(e.getMessage());
    } catch (IOException e) {
      throw new RefusedException(target + ": cannot be listed (" + e.getMessage() + ")");
    }
  }

  private static void requireReplaceable(String name, String dir) throws IOException {
    List<String> files = Store.of(dir).filesUnder(dir);
    if (files.isEmpty()) {
      return;
    }
    Optional<Manifest> manifest = Manifest.of(dir);
    if (manifest.isEmpty()) {
      throw new RefusedException(
          name
              + ": exists and was not written by tripflow (no "
              + Manifest.NAME
              + " manifest; it holds "
              + describe(files)
              + "); remove it or choose another directory");
    }
    Set<String> ours = new HashSet<>(manifest.get().fileNames());
    ours.add(Manifest.NAME);
    List<String> foreign = new ArrayList<>();
    for (String f : files) {
      if (!ours.contains(f)) {
        foreign.add(f);
      }
    }
    if (!foreign.isEmpty()) {
      throw new RefusedException(
          name
              + ": holds files tripflow did not write ("
              + describe(foreign)
              + "); move them away or choose another directory");
    }
  }

  private static String describe(List<String> files) {
    return files.size() <= 3
        ? String.join(", ", files)
        : String.join(", ", files.subList(0, 3)) + " and " + (files.size() - 3) + " more";
  }

  /** An absolute local path (normalised) or a remote one without trailing slashes. */
  public static String normalize(String path) {
    String p = path;
    if (Store.isLocal(p)) {
      if (p.startsWith("file://")) {
        p = p.substring("file://".length());
      }
      return Path.of(p).toAbsolutePath().normalize().toString();
    }
    while (p.endsWith("/") && p.indexOf("://") + 3 < p.length() - 1) {
      p = p.substring(0, p.length() - 1);
    }
    return p;
  }

  /** A local path with the symbolic links of its existing part resolved; a remote one as is. */
  static String real(String path) {
    if (!Store.isLocal(path)) {
      return path.toLowerCase(Locale.ROOT).startsWith("gs://") ? "gs://" + path.substring(5) : path;
    }
    Path abs = Path.of(path).toAbsolutePath().normalize();
    Deque<Path> rest = new ArrayDeque<>();
    Path existing = abs;
    while (existing != null && !Files.exists(existing)) {
      rest.push(existing.getFileName());
      existing = existing.getParent();
    }
    Path r;
    try {
      r = existing == null ? abs : existing.toRealPath();
    } catch (IOException e) {
      return abs.toString();
    }
    while (!rest.isEmpty()) {
      r = r.resolve(rest.pop());
    }
    return r.toString();
  }

  /** The directory a glob reads under: its path up to the first component with a wildcard. */
  static String globRoot(String spec) {
    if (!spec.matches(".*[*?\\[{].*")) {
      return spec;
    }
    int wild = indexOfWildcard(spec);
    int slash = spec.lastIndexOf('/', wild);
    if (slash < 0) {
      return ".";
    }
    String root = spec.substring(0, slash);
    if (root.endsWith(":/") || root.endsWith(":")) {
      return spec.substring(0, slash + 1);
    }
    return root.isEmpty() ? "/" : root;
  }

  private static int indexOfWildcard(String spec) {
    for (int i = 0; i < spec.length(); i++) {
      if ("*?[{".indexOf(spec.charAt(i)) >= 0) {
        return i;
      }
    }
    return spec.length();
  }
}
