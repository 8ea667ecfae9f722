package dev.tripflow.runners.partitioned.ui;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;
import static org.junit.Assume.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineResult;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The UI in a real browser: headless Chromium (Debian's {@code chromium}, which {@code .ci/setup}
 * installs) loads the live page during a run and the history pages after it; the stage graph must
 * be drawn (an SVG holding the stages' names), with no console message, and a screenshot of each
 * page is written under {@code target/}. Skipped where Chromium is not installed.
 */
public class UiBrowserTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Path CHROMIUM =
      Path.of(System.getProperty("tripflow.chromium", "/usr/bin/chromium"));
  private static final Path TARGET = Path.of("target", "ui-screenshots");

  @After
  public void openGate() {
    UiRuns.gate.countDown();
  }

  /** What Chromium made of a page: its DOM after the scripts ran, and its console lines. */
  private record Page(String dom, String console) {}

  private Page load(String url, String screenshot) throws Exception {
    List<String> common =
        List.of(
            CHROMIUM.toString(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--window-size=1280,1000",
            "--enable-logging=stderr",
            "--v=0",
            // Time for the page's fetches and drawing (virtual: it passes as soon as all is idle).
            "--virtual-time-budget=3000");
    List<String> dump = new ArrayList<>(common);
    dump.add("--user-data-dir=" + tmp.newFolder());
    dump.add("--dump-dom");
    dump.add(url);
    String[] dumped = run(dump);
    if (screenshot != null) {
      Files.createDirectories(TARGET);
      List<String> shot = new ArrayList<>(common);
      shot.add("--user-data-dir=" + tmp.newFolder());
      shot.add("--screenshot=" + TARGET.resolve(screenshot).toAbsolutePath());
      shot.add(url);
      run(shot);
      assertTrue(screenshot + " not written", Files.size(TARGET.resolve(screenshot)) > 1000);
    }
    StringBuilder console = new StringBuilder();
    for (String line : dumped[1].split("\n")) {
      if (line.contains(":CONSOLE")) {
        console.append(line).append('\n');
      }
    }
    return new Page(dumped[0], console.toString());
  }

  private String[] run(List<String> command) throws Exception {
    Path out = tmp.newFile().toPath();
    Path err = tmp.newFile().toPath();
    Process p =
        new ProcessBuilder(command)
            .redirectOutput(out.toFile())
            .redirectError(err.toFile())
            .start();
    if (!p.waitFor(2, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("chromium did not finish in 2 minutes: " + command);
    }
    String stderr = Files.readString(err, StandardCharsets.UTF_8);
    assertEquals("chromium failed: " + stderr, 0, p.exitValue());
    return new String[] {Files.readString(out, StandardCharsets.UTF_8), stderr};
  }

  private static void assertGraphDrawn(Page page, String... texts) {
    assertEquals("console messages", "", page.console());
    assertTrue("no stage graph in:\n" + page.dom(), page.dom().contains("class=\"stage-graph\""));
    for (String t : texts) {
      assertTrue("'" + t + "' not in the page:\n" + page.dom(), page.dom().contains(t));
    }
  }

  /** The live page during a run, then the history's list and run page after it. */
  @Test
  public void liveAndHistoryPagesDrawTheStageGraph() throws Exception {
    assumeTrue("no " + CHROMIUM + " (apt-get install chromium)", Files.isExecutable(CHROMIUM));
    Path logs = tmp.newFolder("history").toPath();
    int port = UiRuns.freePort();
    String live = "http://127.0.0.1:" + port;
    UiRuns.gate = new CountDownLatch(1);
    CompletableFuture<PipelineResult> run =
        CompletableFuture.supplyAsync(() -> UiRuns.pipeline(logs, true, port).run());
    String id;
    try {
      id = waitForSecondStage(live);
      Page page = load(live + "/", "live.png");
      assertGraphDrawn(
          page, "GroupByDigit", "stage 1 · succeeded", "stage 2 · running", "KeyByLastDigit");
      assertTrue(page.dom().contains("id=\"timeline\""));
    } finally {
      UiRuns.gate.countDown();
    }
    run.get(2, TimeUnit.MINUTES);

    try (UiServer history = UiServer.start(0, new History(logs))) {
      Page list = load(history.url() + "/", null);
      assertEquals("", list.console());
      assertTrue(list.dom().contains("id=\"runs\""));
      assertTrue(list.dom().contains("ui-test"));
      assertTrue(list.dom().contains("DONE"));
      Page page = load(history.url() + "/#/run/" + id, "history.png");
      assertGraphDrawn(
          page,
          "GroupByDigit",
          "stage 2 · succeeded",
          "KeyByLastDigit",
          "class=\"timeline-chart\"",
          "numbers_seen");
    }
  }

  private static String waitForSecondStage(String url) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
    while (System.nanoTime() < deadline) {
      try {
        JsonNode runs = UiRuns.json(url + "/api/runs");
        if (runs.size() == 1) {
          String id = runs.get(0).path("id").asText();
          JsonNode state = UiRuns.json(url + "/api/runs/" + id);
          if ("RUNNING".equals(state.path("stages").get(1).path("status").asText())) {
            return id;
          }
        }
      } catch (IOException e) {
        // not up yet
      }
      Thread.sleep(50);
    }
    throw new AssertionError("the live UI never showed the second stage running");
  }
}
