package dev.tripflow.pipelines.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.runners.partitioned.PartitionedRunner;
import dev.tripflow.runners.partitioned.ProgressOptions;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.spark.SparkContext;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkStatusTracker;

/**
 * Progress of a run on a runner that reports none of its own to tripflow (Flink, Spark, the
 * DirectRunner), so that no run is a silent minute: on a terminal one line rewritten in place
 * ({@code SparkRunner: stage 3 (2 running), 5/8 tasks, 12 s} from Spark's status tracker, {@code
 * FlinkRunner: job RUNNING, 12/30 tasks finished, 20 s} from a Flink cluster's REST API, the time
 * alone for an embedded Flink), elsewhere the same line every 30 s. The PartitionedRunner draws its
 * own.
 *
 * <pre>{@code
 * try (RunProgress progress = RunProgress.start(options)) {
 *   pipeline.run().waitUntilFinish();
 * }
 * }</pre>
 */
public final class RunProgress implements AutoCloseable {
  private static final long QUIET_HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(30);

  private final String runner;
  private final String flinkRest;
  private final String jobName;
  private final boolean live;
  private final PrintStream err;
  private final Thread painter;
  private final long started = System.nanoTime();
  private final long startedMillis = System.currentTimeMillis();
  private final HttpClient http =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
  private int width;

  private RunProgress(
      String runner, String flinkRest, String jobName, boolean live, PrintStream err) {
    this.runner = runner;
    this.flinkRest = flinkRest;
    this.jobName = jobName;
    this.live = live;
    this.err = err;
    painter = new Thread(this::loop, "tripflow-run-progress");
    painter.setDaemon(true);
    painter.start();
  }

  /** Starts the line for the run {@code options} describe; a no-op for the PartitionedRunner. */
  public static RunProgress start(PipelineOptions options) {
    Class<? extends PipelineRunner<?>> runner = options.getRunner();
    if (runner == null || runner == PartitionedRunner.class) {
      return null;
    }
    if (options.as(ProgressOptions.class).getVerbose()) {
      // The schedulers' own line per task and stage state; slf4j-simple reads a logger's level
      // when the logger is made, which for these is when the run starts, after this.
      for (String logger :
          List.of(
              "org.apache.flink.runtime.executiongraph.ExecutionGraph",
              "org.apache.spark.scheduler.DAGScheduler")) {
        System.setProperty("org.slf4j.simpleLogger.log." + logger, "info");
      }
      return null;
    }
    return new RunProgress(
        runner.getSimpleName(),
        flinkRest(options),
        options.getJobName(),
        ProgressOptions.terminal(),
        System.err);
  }

  /**
   * The REST address of the Flink cluster a job is submitted to ({@code --flinkMaster=HOST:PORT},
   * the address of its dashboard), or null for an embedded Flink or another runner.
   */
  private static String flinkRest(PipelineOptions options) {
    try {
      Class<?> flink = Class.forName("org.apache.beam.runners.flink.FlinkPipelineOptions");
      @SuppressWarnings("unchecked")
      Object view = options.as((Class<? extends PipelineOptions>) flink);
      String master = (String) flink.getMethod("getFlinkMaster").invoke(view);
      return master != null && master.matches("[A-Za-z0-9.\\-]+:[0-9]+")
          ? "http://" + master
          : null;
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return null;
    }
  }

  private void loop() {
    long last = System.nanoTime();
    try {
      while (!Thread.currentThread().isInterrupted()) {
        Thread.sleep(live ? 500 : 1000);
        if (live) {
          draw(line());
        } else if (System.nanoTime() - last >= QUIET_HEARTBEAT_NANOS) {
          last = System.nanoTime();
          synchronized (this) {
            err.println(line());
            err.flush();
          }
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** What the runner is doing: Spark's running stages and tasks when it tells, else the time. */
  String line() {
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    String state = flinkRest != null ? flinkTasks() : sparkTasks();
    return state == null
        ? String.format(Locale.ROOT, "%s: running, %d s", runner, seconds)
        : String.format(Locale.ROOT, "%s: %s, %d s", runner, state, seconds);
  }

  /**
   * The job's state and tasks from the Flink cluster's REST API ({@code /jobs/overview}, what its
   * dashboard shows), or null when it does not answer or has no job of this name yet.
   */
  private String flinkTasks() {
    try {
      HttpResponse<String> response =
          http.send(
              HttpRequest.newBuilder(URI.create(flinkRest + "/jobs/overview"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      if (response.statusCode() != 200) {
        return null;
      }
      JsonNode newest = null;
      for (JsonNode job : new ObjectMapper().readTree(response.body()).path("jobs")) {
        // A job of the same name the cluster ran before this one is not this run's (a clock
        // 2 s behind ours still matches).
        if (job.path("name").asText().equals(jobName)
            && job.path("start-time").asLong() >= startedMillis - 2_000
            && (newest == null
                || job.path("start-time").asLong() > newest.path("start-time").asLong())) {
          newest = job;
        }
      }
      if (newest == null) {
        return null;
      }
      JsonNode tasks = newest.path("tasks");
      return String.format(
          Locale.ROOT,
          "job %s, %d/%d tasks finished",
          newest.path("state").asText(),
          tasks.path("finished").asInt(),
          tasks.path("total").asInt());
    } catch (IOException | RuntimeException e) {
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * The running Spark stages' tasks from Spark's status tracker (the numbers of its UI), or null
   * when no Spark context is active in this JVM.
   */
  private static String sparkTasks() {
    SparkContext sc;
    try {
      // SparkContext.getActive is Spark-internal in Scala but public to the JVM; the tracker is
      // Spark's public API.
      Class<?> companion = Class.forName("org.apache.spark.SparkContext$");
      Object module = companion.getField("MODULE$").get(null);
      Object option = companion.getMethod("getActive").invoke(module);
      if (!(Boolean) option.getClass().getMethod("isDefined").invoke(option)) {
        return null;
      }
      sc = (SparkContext) option.getClass().getMethod("get").invoke(option);
    } catch (ReflectiveOperationException | LinkageError | RuntimeException e) {
      return null;
    }
    JavaSparkStatusTracker tracker = JavaSparkContext.fromSparkContext(sc).statusTracker();
    int[] stages = tracker.getActiveStageIds();
    int done = 0;
    int total = 0;
    int newest = -1;
    for (int id : stages) {
      SparkStageInfo info = tracker.getStageInfo(id);
      if (info != null) {
        done += info.numCompletedTasks();
        total += info.numTasks();
        newest = Math.max(newest, id);
      }
    }
    if (newest < 0) {
      return "running";
    }
    return String.format(
        Locale.ROOT,
        "stage %d%s, %d/%d tasks",
        newest,
        stages.length > 1 ? " (" + stages.length + " running)" : "",
        done,
        total);
  }

  private synchronized void draw(String text) {
    int columns = 80;
    try {
      String c = System.getenv("COLUMNS");
      columns = c == null ? 80 : Math.max(20, Integer.parseInt(c.trim()));
    } catch (NumberFormatException e) {
      // keep 80
    }
    if (text.length() >= columns) {
      text = text.substring(0, columns - 1);
    }
    err.print("\r" + text + " ".repeat(Math.max(0, width - text.length())));
    err.flush();
    width = text.length();
  }

  /** Stops the line; on a terminal its last state stays, ended by a newline before the summary. */
  @Override
  public void close() {
    painter.interrupt();
    try {
      painter.join(1000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (this) {
      if (live && width > 0) {
        draw(
            String.format(
                Locale.ROOT,
                "%s: done, %d s",
                runner,
                (System.nanoTime() - started) / 1_000_000_000L));
        err.println();
        err.flush();
      }
    }
  }
}
