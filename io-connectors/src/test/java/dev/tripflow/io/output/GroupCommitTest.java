package dev.tripflow.io.output;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The commit protocol of a run's outputs, stopped after every one of its steps as a crash would
 * stop it: once the next run has recovered, the two outputs are both the old ones or both the new
 * ones, and nothing of the protocol is left beside them.
 */
public class GroupCommitTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @After
  public void noFaults() {
    GroupCommit.afterStep = step -> {};
  }

  /** Thrown by the fault hook: stands for the process dying there. */
  private static final class Crash extends Error {
    private static final long serialVersionUID = 1L;
  }

  private Path a;
  private Path b;

  /**
   * Writes a committed output: its files hold {@code content}, its manifest names run {@code id}.
   */
  private static void committed(Path dir, String id, String content) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("part-00000.txt"), content);
    Manifest m =
        new Manifest(id, List.of(new Manifest.FileEntry("part-00000.txt", 1, 3)), List.of());
    Files.write(dir.resolve(Manifest.NAME), m.toJson());
  }

  /** Stages run {@code run}'s new output beside {@code target}, manifest last. */
  private static void stage(Path target, GroupCommit.Run run, String content) throws IOException {
    Path staging = Path.of(GroupCommit.staging(target.toString(), run.id()));
    Files.createDirectories(staging);
    Files.writeString(staging.resolve("part-00000.txt"), content);
    Files.writeString(staging.resolve("part-00001.txt"), content + "-2");
    Manifest m =
        new Manifest(
            run.id(),
            List.of(
                new Manifest.FileEntry("part-00000.txt", 1, 3),
                new Manifest.FileEntry("part-00001.txt", 1, 5)),
            run.targets());
    Files.write(staging.resolve(Manifest.NAME), m.toJson());
  }

  private GroupCommit.Run prepare(String oldRun) throws IOException {
    Path root = tmp.newFolder().toPath();
    a = root.resolve("report");
    b = root.resolve("report-rejected");
    committed(a, oldRun, "old");
    committed(b, oldRun, "old");
    GroupCommit.Run run =
        new GroupCommit.Run(GroupCommit.newRunId(), List.of(a.toString(), b.toString()));
    GroupCommit.begin(run);
    stage(a, run, "new");
    stage(b, run, "new");
    return run;
  }

  private static String state(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      return "missing";
    }
    String content = Files.readString(dir.resolve("part-00000.txt"), StandardCharsets.UTF_8);
    Manifest m = Manifest.require(dir.toString());
    List<String> names;
    try (Stream<Path> files = Files.list(dir)) {
      names = files.map(f -> f.getFileName().toString()).sorted().toList();
    }
    List<String> expected = new ArrayList<>(m.fileNames());
    expected.add(Manifest.NAME);
    expected.sort(null);
    assertEquals(dir + " holds exactly its manifest's files", expected, names);
    return content;
  }

  private List<String> leftovers() throws IOException {
    try (Stream<Path> files = Files.list(a.getParent())) {
      return files
          .map(f -> f.getFileName().toString())
          .filter(n -> n.startsWith("."))
          .sorted()
          .toList();
    }
  }

  /** The steps a whole commit goes through, counted once without faults. */
  private int steps() throws IOException {
    GroupCommit.Run run = prepare("20200101-000000-00000000");
    AtomicInteger n = new AtomicInteger();
    GroupCommit.afterStep = step -> n.incrementAndGet();
    GroupCommit.commit(run);
    GroupCommit.afterStep = step -> {};
    assertEquals("new", state(a));
    assertEquals("new", state(b));
    assertEquals(List.of(), leftovers());
    return n.get();
  }

  @Test
  public void aCrashAfterAnyStepLeavesAllOldOrAllNewOnceRecovered() throws Exception {
    int steps = steps();
    assertTrue("the protocol has steps: " + steps, steps >= 8);
    for (int crashAfter = 0; crashAfter < steps; crashAfter++) {
      GroupCommit.Run run = prepare("20200101-000000-00000000");
      AtomicInteger n = new AtomicInteger();
      int at = crashAfter;
      List<String> seen = new ArrayList<>();
      GroupCommit.afterStep =
          step -> {
            seen.add(step);
            if (n.getAndIncrement() == at) {
              throw new Crash();
            }
          };
      assertThrows(Crash.class, () -> GroupCommit.commit(run));
      GroupCommit.afterStep = step -> {};
      // The next run on either output finishes or undoes the crashed one.
      GroupCommit.recover((crashAfter % 2 == 0 ? a : b).toString());
      GroupCommit.recover(a.toString());
      GroupCommit.recover(b.toString());
      // Before the decision the run is undone; from it on, finished.
      String expected = seen.contains("decided") ? "new" : "old";
      assertEquals("after " + seen, expected, state(a));
      assertEquals("after " + seen, expected, state(b));
      assertEquals("after " + seen, List.of(), leftovers());
    }
  }

  /** A run killed while staging (no decision) is undone: its staging goes, the outputs stay. */
  @Test
  public void aRunKilledBeforeItsDecisionIsRolledBack() throws Exception {
    GroupCommit.Run run = prepare("20200101-000000-00000000");
    Files.delete(Path.of(GroupCommit.staging(b.toString(), run.id())).resolve(Manifest.NAME));
    assertThrows(IOException.class, () -> GroupCommit.commit(run));
    assertEquals(List.of(run.id()), GroupCommit.recover(b.toString()));
    assertEquals("old", state(a));
    assertEquals("old", state(b));
    assertEquals(List.of(), leftovers());
  }

  /** An output whose writer still runs is refused, naming the process. */
  @Test
  public void aLiveWriterKeepsOthersAway() throws Exception {
    Process sleeper = new ProcessBuilder("sleep", "60").start();
    try {
      Path root = tmp.newFolder().toPath();
      Path out = root.resolve("out");
      String id = GroupCommit.newRunId();
      String marker =
          "{\"run\":\""
              + id
              + "\",\"host\":\""
              + java.net.InetAddress.getLocalHost().getHostName()
              + "\",\"pid\":"
              + sleeper.pid()
              + ",\"processStart\":\""
              + sleeper.info().startInstant().orElseThrow()
              + "\",\"outputs\":[\""
              + out
              + "\"]}";
      Files.writeString(Path.of(GroupCommit.marker(out.toString(), id)), marker);
      Files.createDirectories(Path.of(GroupCommit.staging(out.toString(), id)));
      GroupCommit.BusyException busy =
          assertThrows(GroupCommit.BusyException.class, () -> GroupCommit.recover(out.toString()));
      assertTrue(busy.getMessage(), busy.getMessage().contains("pid " + sleeper.pid()));
      sleeper.destroyForcibly().waitFor();
      // Once it is gone, its staging is removed.
      GroupCommit.recover(out.toString());
      assertFalse(Files.exists(Path.of(GroupCommit.staging(out.toString(), id))));
      assertFalse(Files.exists(Path.of(GroupCommit.marker(out.toString(), id))));
    } finally {
      sleeper.destroyForcibly();
    }
  }
}
