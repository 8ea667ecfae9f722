package dev.tripflow.runners.partitioned.ui;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tripflow.runners.partitioned.exec.RunListener;
import dev.tripflow.runners.partitioned.plan.Explain;
import dev.tripflow.runners.partitioned.plan.Plan;
import dev.tripflow.runners.partitioned.plan.Stage;
import dev.tripflow.runners.partitioned.plan.Step;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.Consumer;
import org.apache.beam.sdk.metrics.DistributionResult;
import org.apache.beam.sdk.metrics.GaugeResult;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.util.common.ReflectHelpers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's events (start with plan and options, stages, task attempts, metrics, end) as JSON
 * objects, handed to their consumers (the event log, the UI's state) in order on one daemon thread,
 * so that the run's own threads only queue a small map per stage or task.
 */
public final class RunEvents implements RunListener {
  private static final Logger LOG = LoggerFactory.getLogger(RunEvents.class);

  /** Jackson with Beam's modules, which know how to write pipeline options. */
  static final ObjectMapper JSON =
      new ObjectMapper()
          .registerModules(ObjectMapper.findModules(ReflectHelpers.findClassLoader()));

  private static final Map<String, Object> END_OF_RUN = Map.of();

  private final LinkedBlockingQueue<Map<String, Object>> queue = new LinkedBlockingQueue<>();
  private final List<Consumer<JsonNode>> consumers;
  private final Thread writer;

  public RunEvents(List<Consumer<JsonNode>> consumers) {
    this.consumers = consumers;
    writer = new Thread(this::drain, "tripflow-events");
    writer.setDaemon(true);
    writer.start();
  }

  private void drain() {
    try {
      for (Map<String, Object> e; (e = queue.take()) != END_OF_RUN; ) {
        JsonNode node;
        try {
          node = toJson(e);
        } catch (RuntimeException ex) {
          LOG.warn("cannot write the run event {}: {}", e.get("event"), ex.toString());
          continue;
        }
        for (Consumer<JsonNode> c : consumers) {
          try {
            c.accept(node);
          } catch (RuntimeException ex) {
            LOG.warn("a run event's consumer failed: {}", ex.toString());
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static JsonNode toJson(Map<String, Object> e) {
    Object options = e.get("options");
    if (options instanceof PipelineOptions po) {
      Map<String, Object> copy = new LinkedHashMap<>(e);
      copy.put("options", optionsJson(po));
      e = copy;
    }
    return JSON.valueToTree(e);
  }

  /** The options a run used, by name, sorted: those set and those whose default was read. */
  static JsonNode optionsJson(PipelineOptions options) {
    JsonNode all;
    try {
      all = JSON.valueToTree(options);
    } catch (RuntimeException e) {
      // An option whose value Jackson cannot write must not lose the run's other events.
      return JSON.createObjectNode().put("(options not shown)", e.getMessage());
    }
    ObjectNode sorted = JSON.createObjectNode();
    JsonNode values = all.path("options");
    new TreeMap<String, JsonNode>(
            values.isObject() ? JSON.convertValue(values, Map.class) : Map.of())
        .keySet()
        .forEach(k -> sorted.set(k, values.get(k)));
    return sorted;
  }

  private void emit(String event, Object... fields) {
    Map<String, Object> e = new LinkedHashMap<>();
    e.put("event", event);
    e.put("time", System.currentTimeMillis());
    for (int i = 0; i < fields.length; i += 2) {
      if (fields[i + 1] != null) {
        e.put((String) fields[i], fields[i + 1]);
      }
    }
    queue.add(e);
  }

  /** The run starts: its id, command line, plan and options. */
  public void runStarted(String id, String command, Plan plan, int partitions, PipelineOptions o) {
    emit(
        "RunStart",
        "id",
        id,
        "command",
        command,
        "jobName",
        o.getJobName(),
        "partitions",
        partitions,
        "plan",
        plan(plan),
        "options",
        o);
  }

  static Map<String, Object> plan(Plan plan) {
    List<Object> stages = new ArrayList<>();
    for (Stage stage : plan.stages) {
      List<Object> steps = new ArrayList<>();
      for (Step s : stage.steps) {
        steps.add(Map.of("name", s.name, "kind", s.kind.name().toLowerCase(java.util.Locale.ROOT)));
      }
      stages.add(
          Map.of(
              "id",
              stage.id(),
              "name",
              stage.root.name,
              "reads",
              Explain.reads(plan, stage),
              "steps",
              steps));
    }
    List<Object> edges = new ArrayList<>();
    for (Explain.Edge edge : Explain.edges(plan)) {
      edges.add(
          Map.of("from", edge.from(), "to", edge.to(), "kind", edge.kind(), "how", edge.how()));
    }
    return Map.of("steps", plan.steps.size(), "stages", stages, "edges", edges);
  }

  // The running tasks' elements in and out so far (two slots per task), by stage: read by the live
  // UI between a stage's tasks' ends, never logged.
  private final Map<Integer, AtomicLongArray> running = new ConcurrentHashMap<>();

  @Override
  public void stageStarted(Stage stage, int tasks) {
    running.put(stage.id(), new AtomicLongArray(2 * tasks));
    emit("StageStart", "stage", stage.id(), "tasks", tasks);
  }

  @Override
  public void taskProgress(Stage stage, int task, long elementsIn, long elementsOut) {
    AtomicLongArray counts = running.get(stage.id());
    if (counts != null) {
      counts.lazySet(2 * task, elementsIn);
      counts.lazySet(2 * task + 1, elementsOut);
    }
  }

  /** A running task's elements in and out so far, or null when its stage is not running. */
  long[] runningCounts(int stage, int task) {
    AtomicLongArray counts = running.get(stage);
    return counts == null || 2 * task + 1 >= counts.length()
        ? null
        : new long[] {counts.get(2 * task), counts.get(2 * task + 1)};
  }

  @Override
  public void taskStarted(Stage stage, int task, int attempt) {
    emit(
        "TaskStart",
        "stage",
        stage.id(),
        "task",
        task,
        "attempt",
        attempt,
        "thread",
        Thread.currentThread().getName());
  }

  @Override
  public void taskEnded(
      Stage stage,
      int task,
      int attempt,
      long elementsIn,
      long elementsOut,
      long spilledBytes,
      long cpuNanos,
      Throwable failure) {
    emit(
        "TaskEnd",
        "stage",
        stage.id(),
        "task",
        task,
        "attempt",
        attempt,
        "in",
        elementsIn,
        "out",
        elementsOut,
        "spilledBytes",
        spilledBytes,
        "cpuNanos",
        cpuNanos,
        "error",
        message(failure));
  }

  @Override
  public void stageEnded(Stage stage, Throwable failure) {
    running.remove(stage.id());
    emit("StageEnd", "stage", stage.id(), "error", message(failure));
  }

  /** The run's Beam metrics so far, per step. */
  public void metrics(MetricResults results) {
    MetricQueryResults q = results.allMetrics();
    List<Object> counters = new ArrayList<>();
    for (MetricResult<Long> r : q.getCounters()) {
      counters.add(metric(r, Map.of("value", value(r))));
    }
    List<Object> distributions = new ArrayList<>();
    for (MetricResult<DistributionResult> r : q.getDistributions()) {
      DistributionResult d = value(r);
      distributions.add(
          metric(
              r,
              Map.of(
                  "count", d.getCount(), "sum", d.getSum(), "min", d.getMin(), "max", d.getMax())));
    }
    List<Object> gauges = new ArrayList<>();
    for (MetricResult<GaugeResult> r : q.getGauges()) {
      gauges.add(metric(r, Map.of("value", value(r).getValue())));
    }
    emit("Metrics", "counters", counters, "distributions", distributions, "gauges", gauges);
  }

  /** The filter of every metric. */
  static final MetricsFilter ALL = MetricsFilter.builder().build();

  private static <T> T value(MetricResult<T> r) {
    try {
      return r.getCommitted();
    } catch (UnsupportedOperationException e) {
      return r.getAttempted();
    }
  }

  private static Map<String, Object> metric(MetricResult<?> r, Map<String, Object> value) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("step", r.getKey().stepName());
    m.put("namespace", r.getKey().metricName().getNamespace());
    m.put("name", r.getKey().metricName().getName());
    m.putAll(value);
    return m;
  }

  /** The run ended: its state (DONE or FAILED) and its failure's message. */
  public void runEnded(String status, Throwable failure) {
    emit("RunEnd", "status", status, "error", message(failure));
  }

  /** Waits until every event so far reached its consumers, then stops the writer thread. */
  public void close() {
    queue.add(END_OF_RUN);
    try {
      writer.join(30_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static String message(Throwable t) {
    if (t == null) {
      return null;
    }
    String m = t.getMessage();
    Throwable cause = t.getCause();
    if (cause != null
        && cause != t
        && cause.getMessage() != null
        && (m == null || !m.contains(cause.getMessage()))) {
      m = (m == null ? "" : m + ": ") + cause;
    }
    return m == null ? t.toString() : m;
  }

  static ArrayNode array() {
    return JSON.createArrayNode();
  }
}
