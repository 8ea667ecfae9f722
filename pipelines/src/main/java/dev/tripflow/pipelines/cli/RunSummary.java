package dev.tripflow.pipelines.cli;

import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricQueryResults;
import org.apache.beam.sdk.metrics.MetricResult;
import org.apache.beam.sdk.metrics.MetricsFilter;

/**
 * The summary a command prints after its pipeline: rows read per input, bad rows, rows written and
 * where, and wall time; counts come from the pipeline's Beam metrics in namespace {@value
 * #NAMESPACE}.
 */
public final class RunSummary {
  /** The metrics namespace tripflow's counters use. */
  public static final String NAMESPACE = "tripflow";

  private final String command;
  private final List<String[]> lines = new ArrayList<>();
  private final PipelineResult result;

  public RunSummary(String command, PipelineResult result) {
    this.command = command;
    this.result = result;
  }

  /** The value of counter {@code name}, summed over steps; 0 when the runner reported none. */
  public long counter(String name) {
    if (result == null || Outputs.detached(result)) {
      return 0;
    }
    try {
      MetricQueryResults q =
          result
              .metrics()
              .queryMetrics(
                  MetricsFilter.builder()
                      .addNameFilter(MetricNameFilter.named(NAMESPACE, name))
                      .build());
      long total = 0;
      for (MetricResult<Long> c : q.getCounters()) {
        Long v;
        try {
          v = c.getCommitted();
        } catch (UnsupportedOperationException e) {
          v = c.getAttempted();
        }
        total += v == null ? 0 : v;
      }
      return total;
    } catch (UnsupportedOperationException e) {
      return 0;
    }
  }

  /** Adds a line {@code label count detail}. */
  public RunSummary line(String label, long count, String detail) {
    lines.add(new String[] {label, String.format(Locale.ROOT, "%,d", count), detail});
    return this;
  }

  /**
   * Adds a line with the rows of committed output {@code output}, read from its manifest: a fact
   * about the files, whatever the runner's counters say.
   */
  public RunSummary outputLine(String label, String output, String detail) {
    if (Outputs.detached(result)) {
      lines.add(new String[] {label, "(when the job ends)", detail});
      return this;
    }
    try {
      return line(label, Outputs.rows(output), detail);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  /** Adds a line with the value of counter {@code counterName}. */
  public RunSummary counterLine(String label, String counterName, String detail) {
    return line(label, counter(counterName), detail);
  }

  /** Prints the summary with the elapsed wall time. */
  public void print(PrintStream out, Duration elapsed, String runner) {
    if (Outputs.detached(result)) {
      out.printf(
          Locale.ROOT,
          "%s submitted to the cluster in %.1f s on %s (detached: the job commits its outputs"
              + " when it ends)%n",
          command,
          elapsed.toMillis() / 1000.0,
          runner);
      lines.clear();
      return;
    }
    out.printf(
        Locale.ROOT, "%s finished in %.1f s on %s%n", command, elapsed.toMillis() / 1000.0, runner);
    int w0 = 0;
    int w1 = 0;
    for (String[] l : lines) {
      w0 = Math.max(w0, l[0].length());
      w1 = Math.max(w1, l[1].length());
    }
    for (String[] l : lines) {
      out.printf(
          Locale.ROOT,
          "  %-" + w0 + "s  %" + w1 + "s%s%n",
          l[0],
          l[1],
          l[2] == null || l[2].isEmpty() ? "" : "  " + l[2]);
    }
  }
}
