package dev.tripflow.runners.partitioned.ui;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.runners.partitioned.PartitionedPipelineOptions;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.junit.After;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The UI's JSON, live and from the event log, against what the run's result says. */
public class UiServerTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  @After
  public void openGate() {
    UiRuns.gate.countDown();
  }

  /** The history server's JSON of a finished run holds its stages, counts and metrics. */
  @Test
  public void finishedRunEqualsItsResult() throws Exception {
    Path logs = tmp.newFolder("history").toPath();
    PipelineResult result = UiRuns.pipeline(logs, false, 0).run();

    try (UiServer server = UiServer.start(0, new History(logs))) {
      JsonNode runs = UiRuns.json(server.url() + "/api/runs");
      assertEquals(1, runs.size());
      String id = runs.get(0).path("id").asText();
      assertEquals("DONE", runs.get(0).path("status").asText());
      assertEquals("ui-test", runs.get(0).path("command").asText());

      JsonNode run = UiRuns.json(server.url() + "/api/runs/" + id);
      assertEquals("DONE", run.path("status").asText());
      assertEquals(2, run.path("partitions").asInt());
      // Every counter of the result, with its value, and nothing else.
      Map<String, Long> expected = new HashMap<>();
      for (MetricResult<Long> c :
          result.metrics().queryMetrics(MetricsFilter.builder().build()).getCounters()) {
        expected.put(c.getKey().stepName() + " " + c.getName(), c.getAttempted());
      }
      Map<String, Long> served = new HashMap<>();
      for (JsonNode c : run.path("metrics").path("counters")) {
        served.put(
            c.path("step").asText()
                + " "
                + c.path("namespace").asText()
                + ":"
                + c.path("name").asText(),
            c.path("value").asLong());
      }
      assertEquals(expected, served);
      assertEquals(
          Long.valueOf(UiRuns.NUMBERS),
          served.get("KeyByLastDigit/ParMultiDo(KeyByLastDigit) ui-test:numbers_seen"));
      assertEquals(
          Long.valueOf(UiRuns.KEYS),
          served.get("SumGroup/ParMultiDo(SumGroup) ui-test:groups_summed"));

      // Two stages: the numbers keyed into the shuffle, then the groups summed.
      JsonNode stages = run.path("stages");
      assertEquals(2, stages.size());
      assertEquals(2, run.path("plan").path("stages").size());
      JsonNode edge = run.path("plan").path("edges").get(0);
      assertEquals(0, edge.path("from").asInt());
      assertEquals(1, edge.path("to").asInt());
      assertEquals("shuffle", edge.path("kind").asText());
      JsonNode first = stages.get(0);
      JsonNode second = stages.get(1);
      assertTrue(first.path("name").asText().contains("Numbers"));
      assertEquals("GroupByDigit", second.path("name").asText());
      assertEquals(UiRuns.NUMBERS, first.path("out").asLong());
      assertEquals(UiRuns.KEYS, second.path("in").asLong());
      // The sums go nowhere: nothing leaves the last stage.
      assertEquals(0, second.path("out").asLong());
      for (JsonNode stage : stages) {
        assertEquals("SUCCEEDED", stage.path("status").asText());
        assertEquals(stage.path("tasks").asInt(), stage.path("tasksDone").asInt());
        long in = 0;
        long out = 0;
        for (JsonNode p : stage.path("partitions")) {
          assertEquals("SUCCEEDED", p.path("status").asText());
          in += p.path("in").asLong();
          out += p.path("out").asLong();
        }
        assertEquals(stage.path("in").asLong(), in);
        assertEquals(stage.path("out").asLong(), out);
      }
      assertEquals(2, second.path("tasks").asInt());
      assertEquals(2, run.path("options").path("partitions").asInt());

      // The pages themselves are served too.
      assertTrue(UiRuns.get(server.url() + "/").body().contains("app.js"));
      assertTrue(UiRuns.get(server.url() + "/app.js").body().contains("stage-graph"));
      assertEquals(404, UiRuns.get(server.url() + "/api/runs/nope").statusCode());
    }
  }

  /** Fails the first time it sees an element, so that its task's first attempt fails. */
  static final class FailOnce extends DoFn<Integer, Integer> {
    static final AtomicBoolean FAILED = new AtomicBoolean();

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<Integer> out) {
      if (FAILED.compareAndSet(false, true)) {
        throw new IllegalStateException("flaky disk, element " + i);
      }
      out.output(i);
    }
  }

  /** A failed task attempt is shown with its message, beside the retry that succeeded. */
  @Test
  public void failedAttemptKeepsItsMessage() throws Exception {
    Path logs = tmp.newFolder("history").toPath();
    PipelineOptions o =
        PipelineOptionsFactory.fromArgs(
                "--runner=PartitionedRunner", "--partitions=2", "--ui=false")
            .create();
    o.as(PartitionedPipelineOptions.class).setEventLogDir(logs.toString());
    Pipeline p = Pipeline.create(o);
    FailOnce.FAILED.set(false);
    p.apply(Create.of(1, 2, 3)).apply("FailOnce", ParDo.of(new FailOnce()));
    p.run();

    RunState run = new History(logs).list().get(0);
    JsonNode stage = run.toJson().path("stages").get(0);
    assertEquals("DONE", run.summary().path("status").asText());
    assertEquals(1, stage.path("failedAttempts").asInt());
    assertEquals(3, stage.path("in").asLong());
    int retried = 0;
    for (JsonNode part : stage.path("partitions")) {
      assertEquals("SUCCEEDED", part.path("status").asText());
      JsonNode attempts = part.path("attempts");
      if (attempts.size() == 2) {
        retried++;
        String error = attempts.get(0).path("error").asText();
        assertEquals("FAILED", attempts.get(0).path("status").asText());
        assertTrue(error, error.contains("flaky disk"));
        assertEquals("SUCCEEDED", attempts.get(1).path("status").asText());
      }
    }
    assertEquals(1, retried);
  }

  /** Waits at its 5,000th element until the test opens the gate. */
  static final class WaitHalfway extends DoFn<Integer, Integer> {
    private int seen;

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<Integer> out)
        throws InterruptedException {
      if (++seen == 5000 && !UiRuns.gate.await(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the test never opened the gate");
      }
      out.output(i);
    }
  }

  /** A running stage's elements in are counted live, before any of its tasks ends. */
  @Test
  public void liveCountsOfRunningTasks() throws Exception {
    Path logs = tmp.newFolder("history").toPath();
    int port = UiRuns.freePort();
    PipelineOptions o =
        PipelineOptionsFactory.fromArgs(
                "--runner=PartitionedRunner", "--partitions=1", "--uiPort=" + port, "--ui=true")
            .create();
    o.as(PartitionedPipelineOptions.class).setEventLogDir(logs.toString());
    Pipeline p = Pipeline.create(o);
    List<Integer> numbers = new ArrayList<>();
    for (int i = 0; i < 8000; i++) {
      numbers.add(i);
    }
    p.apply(Create.of(numbers)).apply("WaitHalfway", ParDo.of(new WaitHalfway()));
    UiRuns.gate = new CountDownLatch(1);
    CompletableFuture<PipelineResult> run = CompletableFuture.supplyAsync(p::run);
    try {
      JsonNode stage = null;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (System.nanoTime() < deadline) {
        try {
          JsonNode runs = UiRuns.json("http://127.0.0.1:" + port + "/api/runs");
          if (runs.size() == 1) {
            String id = runs.get(0).path("id").asText();
            stage =
                UiRuns.json("http://127.0.0.1:" + port + "/api/runs/" + id).path("stages").get(0);
            if (stage.path("in").asLong() > 0) {
              break;
            }
          }
        } catch (java.io.IOException e) {
          // not up yet
        }
        Thread.sleep(50);
      }
      // 4,096 elements are published at a time; the task waits at its 5,000th.
      assertEquals("RUNNING", stage.path("status").asText());
      assertEquals(4096, stage.path("in").asLong());
      assertEquals(4096, stage.path("partitions").get(0).path("in").asLong());
      assertEquals("RUNNING", stage.path("partitions").get(0).path("status").asText());
    } finally {
      UiRuns.gate.countDown();
    }
    run.get(2, TimeUnit.MINUTES);
    assertEquals(
        8000, new History(logs).list().get(0).toJson().path("stages").get(0).path("in").asLong());
  }

  /**
   * While a run waits in its second stage, the live UI shows the first done, the second running.
   */
  @Test
  public void liveRunShowsItsRunningStage() throws Exception {
    Path logs = tmp.newFolder("history").toPath();
    int port = UiRuns.freePort();
    UiRuns.gate = new CountDownLatch(1);
    CompletableFuture<PipelineResult> run =
        CompletableFuture.supplyAsync(() -> UiRuns.pipeline(logs, true, port).run());
    try {
      JsonNode state = null;
      long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(1);
      while (System.nanoTime() < deadline) {
        try {
          JsonNode runs = UiRuns.json("http://127.0.0.1:" + port + "/api/runs");
          if (runs.size() == 1) {
            state =
                UiRuns.json(
                    "http://127.0.0.1:" + port + "/api/runs/" + runs.get(0).path("id").asText());
            if ("RUNNING".equals(state.path("stages").get(1).path("status").asText())) {
              break;
            }
          }
        } catch (java.net.ConnectException e) {
          // not up yet
        }
        Thread.sleep(50);
      }
      assertTrue("the live UI never showed the second stage running", state != null);
      assertEquals("RUNNING", state.path("status").asText());
      assertEquals("SUCCEEDED", state.path("stages").get(0).path("status").asText());
      assertEquals(UiRuns.NUMBERS, state.path("stages").get(0).path("out").asLong());
      assertEquals("RUNNING", state.path("stages").get(1).path("status").asText());
    } finally {
      UiRuns.gate.countDown();
    }
    run.get(2, TimeUnit.MINUTES);
    // With --uiWaitSeconds=0 the server stops with the run; its event log stays.
    assertEquals(1, Files.list(logs).count());
    assertEquals("DONE", new History(logs).list().get(0).summary().path("status").asText());
  }
}
