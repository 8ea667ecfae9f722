package dev.tripflow.runners.partitioned.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.runners.partitioned.exec.RunListener;
import dev.tripflow.runners.partitioned.plan.Plan;
import java.io.IOException;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Consumer;
import org.apache.beam.sdk.metrics.MetricResults;
import org.apache.beam.sdk.options.PipelineOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a run shows of itself: its events go to its event log and to the state its live web UI
 * serves (each optional); the server stops when the run ends, or {@code --uiWaitSeconds} later.
 */
public final class LiveRun {
  private static final Logger LOG = LoggerFactory.getLogger(LiveRun.class);

  private static final DateTimeFormatter ID_TIME =
      DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss-SSS", Locale.ROOT);

  private final String id;
  private final RunEvents events;
  private final RunState state = new RunState();
  private final EventLog log;
  private final UiServer server;
  private final int waitSeconds;

  /**
   * Starts showing a run.
   *
   * @param eventLogDir where the event log goes, or null for none
   * @param uiPort the UI's first port to try, or -1 for no UI
   */
  public LiveRun(
      Plan plan,
      PipelineOptions options,
      int partitions,
      Path eventLogDir,
      int uiPort,
      int waitSeconds) {
    this.id = newId(options.getJobName());
    this.waitSeconds = waitSeconds;
    List<Consumer<JsonNode>> consumers = new ArrayList<>();
    log = eventLogDir == null ? null : new EventLog(eventLogDir, id);
    if (log != null) {
      consumers.add(log);
    }
    UiServer started = null;
    if (uiPort >= 0) {
      try {
        started =
            UiServer.start(
                uiPort,
                new UiServer.Runs() {
                  @Override
                  public List<RunState> list() {
                    return List.of(state);
                  }

                  @Override
                  public boolean live() {
                    return true;
                  }
                });
        System.err.println(
            "tripflow: UI at "
                + started.url()
                + (waitSeconds > 0
                    ? ""
                    : " while the run goes"
                        + (eventLogDir == null ? "" : " (afterwards: tripflow history)")));
        System.err.flush();
      } catch (IOException e) {
        LOG.warn("no web UI for this run: {}", e.getMessage());
      }
    }
    server = started;
    consumers.add(state::apply);
    events = new RunEvents(consumers);
    state.runningCounts(events::runningCounts);
    String command = System.getProperty("tripflow.commandLine", options.getJobName());
    events.runStarted(id, command, plan, partitions, options);
  }

  /** A run's id: when it started (UTC) and its job's name, unique enough to name a file. */
  static String newId(String jobName) {
    String job = jobName == null ? "run" : jobName.replaceAll("[^A-Za-z0-9._-]", "_");
    if (job.length() > 60) {
      job = job.substring(0, 60);
    }
    return ID_TIME.format(ZonedDateTime.now(ZoneOffset.UTC))
        + "-"
        + job
        + "-"
        + Integer.toHexString(ThreadLocalRandom.current().nextInt(0x1000, 0x10000));
  }

  public String id() {
    return id;
  }

  /** The UI's address, or null when it has none. */
  public String url() {
    return server == null ? null : server.url();
  }

  /** The state the UI serves. */
  public RunState state() {
    return state;
  }

  public RunListener listener() {
    return events;
  }

  /**
   * The run ended: its metrics and state are logged, the log closed, and the UI stopped after
   * {@code --uiWaitSeconds}.
   */
  public void finished(String status, Throwable failure, MetricResults metrics) {
    try {
      if (metrics != null) {
        events.metrics(metrics);
      }
    } catch (RuntimeException e) {
      LOG.warn("the run's metrics are not in its event log: {}", e.toString());
    }
    events.runEnded(status, failure);
    events.close();
    if (log != null) {
      log.close();
    }
    if (server != null) {
      if (waitSeconds > 0) {
        System.err.println(
            "tripflow: the run is over; its UI stays at "
                + server.url()
                + " for "
                + waitSeconds
                + " s");
        try {
          Thread.sleep(waitSeconds * 1000L);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      server.close();
    }
  }
}
