package dev.tripflow.runners.partitioned.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Instant;

/**
 * What the UI shows of one run, built from its events alone: the same code serves a live run (its
 * events as they come) and a past one (its event log read back).
 */
public final class RunState {
  private final ObjectNode run = RunEvents.JSON.createObjectNode();
  private final ArrayNode stages = RunEvents.array();

  /** The running tasks' counts so far, which a live run knows between their events. */
  interface RunningCounts {
    /** Elements in and out of a running task so far, or null. */
    long[] of(int stage, int task);
  }

  private volatile RunningCounts runningCounts;

  void runningCounts(RunningCounts counts) {
    this.runningCounts = counts;
  }

  public RunState() {
    run.put("status", "STARTING");
  }

  /** Applies one event of the run, in the order they happened. */
  public synchronized void apply(JsonNode e) {
    long time = e.path("time").asLong();
    switch (e.path("event").asText()) {
      case "RunStart" -> {
        run.put("id", e.path("id").asText());
        run.put("command", e.path("command").asText());
        run.put("jobName", e.path("jobName").asText());
        run.put("partitions", e.path("partitions").asInt());
        run.put("status", "RUNNING");
        run.put("startTime", time);
        run.set("options", e.path("options"));
        run.set("plan", e.path("plan"));
        for (JsonNode s : e.path("plan").path("stages")) {
          ObjectNode stage = stages.addObject();
          stage.put("id", s.path("id").asInt());
          stage.put("name", s.path("name").asText());
          stage.put("status", "PENDING");
          stage.put("tasks", 0);
          stage.put("tasksDone", 0);
          stage.put("failedAttempts", 0);
          stage.put("in", 0L);
          stage.put("out", 0L);
          stage.put("spilledBytes", 0L);
          stage.put("cpuNanos", 0L);
          stage.putArray("partitions");
        }
      }
      case "StageStart" -> {
        ObjectNode stage = stage(e);
        if (stage != null) {
          stage.put("status", "RUNNING");
          stage.put("startTime", time);
          int tasks = e.path("tasks").asInt();
          stage.put("tasks", tasks);
          ArrayNode parts = stage.putArray("partitions");
          for (int t = 0; t < tasks; t++) {
            ObjectNode p = parts.addObject();
            p.put("task", t);
            p.put("status", "PENDING");
            p.putArray("attempts");
          }
        }
      }
      case "TaskStart" -> {
        ObjectNode p = partition(e);
        if (p != null) {
          p.put("status", "RUNNING");
          ObjectNode a = ((ArrayNode) p.get("attempts")).addObject();
          a.put("attempt", e.path("attempt").asInt());
          a.put("thread", e.path("thread").asText());
          a.put("startTime", time);
          a.put("status", "RUNNING");
        }
      }
      case "TaskEnd" -> {
        ObjectNode stage = stage(e);
        ObjectNode p = partition(e);
        if (stage == null || p == null) {
          return;
        }
        ArrayNode attempts = (ArrayNode) p.get("attempts");
        ObjectNode a = null;
        for (JsonNode x : attempts) {
          if (x.path("attempt").asInt() == e.path("attempt").asInt()) {
            a = (ObjectNode) x;
          }
        }
        if (a == null) {
          a = attempts.addObject();
          a.put("attempt", e.path("attempt").asInt());
        }
        a.put("endTime", time);
        for (String f : new String[] {"in", "out", "spilledBytes", "cpuNanos"}) {
          a.put(f, e.path(f).asLong());
        }
        stage.put("cpuNanos", stage.path("cpuNanos").asLong() + e.path("cpuNanos").asLong());
        if (e.hasNonNull("error")) {
          a.put("status", "FAILED");
          a.put("error", e.path("error").asText());
          p.put("status", "FAILED");
          stage.put("failedAttempts", stage.path("failedAttempts").asInt() + 1);
        } else {
          a.put("status", "SUCCEEDED");
          p.put("status", "SUCCEEDED");
          for (String f : new String[] {"in", "out", "spilledBytes"}) {
            p.put(f, e.path(f).asLong());
            stage.put(f, stage.path(f).asLong() + e.path(f).asLong());
          }
          stage.put("tasksDone", stage.path("tasksDone").asInt() + 1);
        }
      }
      case "StageEnd" -> {
        ObjectNode stage = stage(e);
        if (stage != null) {
          stage.put("endTime", time);
          if (e.hasNonNull("error")) {
            stage.put("status", "FAILED");
            stage.put("error", e.path("error").asText());
          } else {
            stage.put("status", "SUCCEEDED");
          }
        }
      }
      case "Metrics" -> {
        ObjectNode m = run.putObject("metrics");
        m.set("counters", e.path("counters"));
        m.set("distributions", e.path("distributions"));
        m.set("gauges", e.path("gauges"));
      }
      case "RunEnd" -> {
        run.put("status", e.path("status").asText());
        run.put("endTime", time);
        if (e.hasNonNull("error")) {
          run.put("error", e.path("error").asText());
        }
      }
      default -> {
        // an event of a later version: ignored
      }
    }
    run.put("lastEventTime", time);
  }

  private ObjectNode stage(JsonNode e) {
    int id = e.path("stage").asInt(-1);
    return id >= 0 && id < stages.size() ? (ObjectNode) stages.get(id) : null;
  }

  private ObjectNode partition(JsonNode e) {
    ObjectNode stage = stage(e);
    int task = e.path("task").asInt(-1);
    if (stage == null || task < 0) {
      return null;
    }
    ArrayNode parts = (ArrayNode) stage.get("partitions");
    return task < parts.size() ? (ObjectNode) parts.get(task) : null;
  }

  /** The run's id (its event log's name without {@code .jsonl}), or null before it started. */
  public synchronized String id() {
    return run.hasNonNull("id") ? run.get("id").asText() : null;
  }

  /** When the run started, in epoch milliseconds. */
  public synchronized long startTime() {
    return run.path("startTime").asLong();
  }

  /**
   * The run's line in the list of runs: command, status, start (ISO-8601, UTC), duration and rows
   * read (its counters named {@code rows_read*}, where its pipeline has them).
   */
  public synchronized ObjectNode summary() {
    ObjectNode s = RunEvents.JSON.createObjectNode();
    s.put("id", id());
    s.put("command", run.path("command").asText());
    s.put("status", run.path("status").asText());
    long start = run.path("startTime").asLong();
    s.put("startTime", start);
    s.put("start", Instant.ofEpochMilli(start).toString());
    long end = run.path("endTime").asLong(run.path("lastEventTime").asLong(start));
    s.put("durationMs", end - start);
    s.put("stages", stages.size());
    long rows = -1;
    for (JsonNode c : run.path("metrics").path("counters")) {
      if (c.path("name").asText().startsWith("rows_read")) {
        rows = Math.max(rows, 0) + c.path("value").asLong();
      }
    }
    if (rows >= 0) {
      s.put("rowsRead", rows);
    } else {
      s.putNull("rowsRead");
    }
    return s;
  }

  /** Everything the UI shows of the run, as one JSON object (a copy). */
  public synchronized ObjectNode toJson() {
    ObjectNode json = run.deepCopy();
    json.setAll(summary());
    ArrayNode copy = stages.deepCopy();
    RunningCounts counts = runningCounts;
    if (counts != null) {
      for (JsonNode stage : copy) {
        if (!"RUNNING".equals(stage.path("status").asText())) {
          continue;
        }
        for (JsonNode p : stage.path("partitions")) {
          long[] c =
              "RUNNING".equals(p.path("status").asText())
                  ? counts.of(stage.path("id").asInt(), p.path("task").asInt())
                  : null;
          if (c != null) {
            ((ObjectNode) p).put("in", c[0]).put("out", c[1]);
            ((ObjectNode) stage).put("in", stage.path("in").asLong() + c[0]);
            ((ObjectNode) stage).put("out", stage.path("out").asLong() + c[1]);
          }
        }
      }
    }
    json.set("stages", copy);
    if (!json.has("metrics")) {
      ObjectNode m = json.putObject("metrics");
      m.putArray("counters");
      m.putArray("distributions");
      m.putArray("gauges");
    }
    return json;
  }

  /** Marks a run whose log ends without its end, and whose process is gone, as incomplete. */
  synchronized void markIncomplete() {
    if ("RUNNING".equals(run.path("status").asText())) {
      run.put("status", "INCOMPLETE");
    }
  }
}
