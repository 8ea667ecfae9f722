package dev.tripflow.io.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.Serializable;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Commits the outputs of one run together, so that after a crash at any point (a {@code kill -9}
 * included) either all of the previous outputs or all of the new ones are there once the next run
 * on any of them has looked.
 *
 * <p>Beside each target directory {@code T} of run {@code R} the protocol keeps hidden entries:
 *
 * <ol>
 *   <li>{@code .T.run-R}, written before the run: who writes (host, pid, process start) and the
 *       run's outputs. While that process lives, no other run touches {@code T}.
 *   <li>{@code .T.staging-R}: the new files, then their {@code _SUCCESS} manifest.
 *   <li>{@code .P.commit-R}, beside the run's first output {@code P} only: written atomically once
 *       every output is staged. Its existence is the decision: from then on the run's outputs are
 *       rolled forward, never back.
 *   <li>the swap of every output: {@code T} to {@code .T.old-R}, {@code .T.staging-R} to {@code T}
 *       (two atomic renames on a local disk; on an object store, the old objects deleted and the
 *       new ones moved in, the manifest last); then the old directories, the decision and the
 *       markers are deleted, in that order.
 * </ol>
 *
 * A run that died before the decision is rolled back by the next run on any of its outputs (its
 * staging deleted); one that died after it is rolled forward. Both are idempotent, so a retried
 * commit step and a recovery of a recovery are safe.
 */
final class GroupCommit {
  private GroupCommit() {}

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern RUN_ID = Pattern.compile("\\d{8}-\\d{6}-[0-9a-f]{8}");
  private static final Pattern ENTRY =
      Pattern.compile("(staging|old|run|commit)-(" + RUN_ID.pattern() + ")(\\.tmp)?");

  /** How long a remote output's marker keeps other runs away when its owner cannot be asked. */
  static final Duration REMOTE_OWNER_TIMEOUT = Duration.ofHours(24);

  /**
   * Called with the name of each step of the protocol as it completes: a test that throws here
   * stops the protocol as a crash would.
   */
  static volatile Consumer<String> afterStep = step -> {};

  /** A run's identity and outputs; the first output holds the decision. */
  record Run(String id, List<String> targets) implements Serializable {
    Run {
      targets = List.copyOf(targets);
      if (!RUN_ID.matcher(id).matches()) {
        throw new IllegalArgumentException("not a run id: " + id);
      }
      if (targets.isEmpty()) {
        throw new IllegalArgumentException("a run with no outputs");
      }
    }

    String primary() {
      return targets.get(0);
    }
  }

  /** A new run id: its UTC start and 32 random bits. */
  static String newRunId() {
    String time =
        DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss", Locale.ROOT)
            .withZone(ZoneOffset.UTC)
            .format(Instant.now());
    return String.format(Locale.ROOT, "%s-%08x", time, new SecureRandom().nextInt());
  }

  static String staging(String target, String run) {
    return entry(target, "staging", run);
  }

  static String old(String target, String run) {
    return entry(target, "old", run);
  }

  static String marker(String target, String run) {
    return entry(target, "run", run);
  }

  static String decision(Run run) {
    return entry(run.primary(), "commit", run.id());
  }

  private static String entry(String target, String kind, String run) {
    return Store.sibling(target, "." + Store.nameOf(target) + "." + kind + "-" + run);
  }

  private static void step(String name) {
    afterStep.accept(name);
  }

  // ---- before the run -------------------------------------------------------------------------

  /** Writes the run's marker beside every output (creating missing parent directories). */
  static void begin(Run run) throws IOException {
    byte[] marker = markerJson(run);
    for (String t : run.targets()) {
      Store.of(t).writeAtomically(marker(t, run.id()), marker);
    }
  }

  private static byte[] markerJson(Run run) {
    ObjectNode m = JSON.createObjectNode();
    m.put("run", run.id());
    m.put("host", hostName());
    m.put("pid", ProcessHandle.current().pid());
    m.put(
        "processStart",
        ProcessHandle.current().info().startInstant().map(Instant::toString).orElse(""));
    m.put("written", Instant.now().toString());
    run.targets().forEach(m.putArray("outputs")::add);
    return m.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String hostName() {
    try {
      return InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      return "unknown";
    }
  }

  // ---- the commit ----------------------------------------------------------------------------

  /**
   * Decides and swaps every output in. Every output must be staged with its manifest. Safe to call
   * again after a failure at any point.
   */
  static void commit(Run run) throws IOException {
    String decision = decision(run);
    Store primary = Store.of(run.primary());
    if (!primary.exists(decision)) {
      for (String t : run.targets()) {
        String staged = Store.child(staging(t, run.id()), Manifest.NAME);
        boolean done = Manifest.of(t).map(m -> m.run().equals(run.id())).orElse(false);
        if (!done && !Store.of(t).isFile(staged)) {
          throw new IOException(t + ": not staged (no " + staged + ")");
        }
      }
      step("staged");
      primary.writeAtomically(decision, markerJson(run));
      step("decided");
    }
    rollForward(run);
  }

  /** Finishes a decided run: swaps every output in, then removes what the protocol left. */
  private static void rollForward(Run run) throws IOException {
    for (String t : run.targets()) {
      swapIn(t, run.id());
    }
    for (String t : run.targets()) {
      Store.of(t).deleteRecursively(old(t, run.id()));
      step("deleted old " + t);
    }
    Store.of(run.primary()).deleteFile(decision(run));
    step("deleted decision");
    for (String t : run.targets()) {
      Store.of(t).deleteFile(marker(t, run.id()));
      step("deleted marker " + t);
    }
  }

  private static void swapIn(String target, String run) throws IOException {
    Store store = Store.of(target);
    String staging = staging(target, run);
    if (store.atomicDirectoryRename()) {
      if (!store.exists(staging)) {
        return; // swapped in already
      }
      if (store.exists(target)) {
        if (store.exists(old(target, run))) {
          throw new IOException(
              target + ": both the old output and the staged one are still there; not touching it");
        }
        store.moveDirectory(target, old(target, run));
        step("moved old " + target);
      }
      store.moveDirectory(staging, target);
      step("moved new " + target);
      return;
    }
    // An object store: no directory rename. The old manifest goes first (the directory is no
    // longer a committed output), then the objects the new output does not have; the staged
    // objects move in, the new manifest last.
    String stagedManifest = Store.child(staging, Manifest.NAME);
    if (!store.isFile(stagedManifest)) {
      store.deleteRecursively(staging); // moved in already: only leftovers
      return;
    }
    Manifest next =
        Manifest.parse(store.read(stagedManifest))
            .orElseThrow(() -> new IOException(stagedManifest + ": not a manifest"));
    Set<String> keep = new HashSet<>(next.fileNames());
    store.deleteFile(Store.child(target, Manifest.NAME));
    for (String f : store.filesUnder(target)) {
      if (!keep.contains(f)) {
        store.deleteFile(Store.child(target, f));
      }
    }
    step("deleted old " + target);
    for (String f : next.fileNames()) {
      String from = Store.child(staging, f);
      if (store.isFile(from)) {
        store.moveFile(from, Store.child(target, f));
      }
    }
    store.moveFile(stagedManifest, Store.child(target, Manifest.NAME));
    step("moved new " + target);
    store.deleteRecursively(staging);
  }

  /** Undoes a run that was not decided: its staging goes, every output stays as it was. */
  private static void rollBack(Run run) throws IOException {
    for (String t : run.targets()) {
      Store store = Store.of(t);
      store.deleteRecursively(staging(t, run.id()));
      String old = old(t, run.id());
      if (store.exists(old)) {
        // Only a decided run moves an output aside; put it back rather than lose it.
        if (!store.exists(t) && store.atomicDirectoryRename()) {
          store.moveDirectory(old, t);
        }
      }
      step("rolled back " + t);
    }
    for (String t : run.targets()) {
      Store.of(t).deleteFile(marker(t, run.id()));
    }
  }

  /** After a failed run: finishes it if it was decided, else undoes it. */
  static void abort(Run run) throws IOException {
    if (Store.of(run.primary()).exists(decision(run))) {
      rollForward(run);
    } else {
      rollBack(run);
    }
  }

  // ---- recovery ------------------------------------------------------------------------------

  /** Thrown when a live run is writing an output. */
  static final class BusyException extends IOException {
    private static final long serialVersionUID = 1L;

    BusyException(String message) {
      super(message);
    }
  }

  /**
   * Finishes or undoes every run that left entries beside {@code target} and is no longer running.
   *
   * @return the ids of the runs recovered
   * @throws BusyException when a live process is writing {@code target}
   */
  static List<String> recover(String target) throws IOException {
    Store store = Store.of(target);
    String prefix = "." + Store.nameOf(target) + ".";
    Map<String, List<String>> kindsByRun = new LinkedHashMap<>();
    for (String name : store.siblings(Store.parentOf(target), prefix)) {
      Matcher m = ENTRY.matcher(name.substring(prefix.length()));
      if (m.matches() && m.group(3) != null) {
        store.deleteFile(Store.sibling(target, name)); // a marker or decision never completed
      } else if (m.matches()) {
        kindsByRun.computeIfAbsent(m.group(2), r -> new ArrayList<>()).add(m.group(1));
      }
    }
    List<String> recovered = new ArrayList<>();
    for (Map.Entry<String, List<String>> e : kindsByRun.entrySet()) {
      String id = e.getKey();
      List<String> kinds = e.getValue();
      Optional<JsonNode> marker =
          readJson(store, kinds.contains("run") ? marker(target, id) : null)
              .or(
                  () ->
                      readJson(
                          store, kinds.contains("commit") ? entry(target, "commit", id) : null));
      if (marker.isPresent()) {
        String owner = liveOwner(marker.get(), store);
        if (owner != null) {
          throw new BusyException(
              target + ": another tripflow run (" + owner + ") is writing it; wait for it to end");
        }
        List<String> targets = new ArrayList<>();
        marker.get().path("outputs").forEach(o -> targets.add(o.asText()));
        if (!targets.contains(target)) {
          targets.add(target);
        }
        abort(new Run(id, targets));
      } else {
        // Entries of a run without its marker: staging is never committed without one; an old
        // output moved aside is put back when nothing replaced it.
        store.deleteRecursively(staging(target, id));
        String old = old(target, id);
        if (store.exists(old)) {
          if (!store.exists(target) && store.atomicDirectoryRename()) {
            store.moveDirectory(old, target);
          } else {
            store.deleteRecursively(old);
          }
        }
      }
      recovered.add(id);
    }
    return recovered;
  }

  private static Optional<JsonNode> readJson(Store store, String file) {
    if (file == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(JSON.readTree(store.read(file)));
    } catch (IOException e) {
      return Optional.empty(); // half-written before the rename, or gone meanwhile
    }
  }

  /** A description of the marker's process if it still runs, else null. */
  private static String liveOwner(JsonNode marker, Store store) {
    long pid = marker.path("pid").asLong(-1);
    String host = marker.path("host").asText();
    if (host.equals(hostName()) && pid > 0) {
      if (pid == ProcessHandle.current().pid()) {
        return null; // this process: an earlier command of the same JVM, finished
      }
      Optional<ProcessHandle> p = ProcessHandle.of(pid);
      if (p.isEmpty() || !p.get().isAlive()) {
        return null;
      }
      String started = p.get().info().startInstant().map(Instant::toString).orElse("");
      String recorded = marker.path("processStart").asText();
      return started.equals(recorded) || recorded.isEmpty() ? "pid " + pid : null;
    }
    if (store.atomicDirectoryRename()) {
      return null; // another host's run on a local path cannot be asked; nor can it be writing here
    }
    Instant written;
    try {
      written = Instant.parse(marker.path("written").asText());
    } catch (RuntimeException e) {
      return null;
    }
    return written.isAfter(Instant.now().minus(REMOTE_OWNER_TIMEOUT))
        ? "pid " + pid + " on " + host + ", started " + written
        : null;
  }
}
