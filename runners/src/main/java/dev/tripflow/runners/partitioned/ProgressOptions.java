package dev.tripflow.runners.partitioned;

import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * How much a run tells while it runs, on every runner tripflow starts (declared here, beside the
 * runner that reads it most, and registered with its options): by default one progress line on a
 * terminal and the summary at the end; {@code --verbose} adds a line per stage with its detail.
 */
public interface ProgressOptions extends PipelineOptions {
  @Description(
      "Print each stage's detail while the job runs (its Beam steps, elements in and out, CPU time)"
          + " instead of one progress line")
  @Default.Boolean(false)
  boolean getVerbose();

  void setVerbose(boolean value);

  /**
   * Whether standard error is a terminal a progress line can be redrawn on: a console that is not a
   * dumb one, or forced with {@code TRIPFLOW_PROGRESS=1} (or {@code -Dtripflow.progress=true});
   * never with {@code TRIPFLOW_NO_PROGRESS} set.
   */
  static boolean terminal() {
    if (System.getenv("TRIPFLOW_NO_PROGRESS") != null) {
      return false;
    }
    if ("1".equals(System.getenv("TRIPFLOW_PROGRESS")) || Boolean.getBoolean("tripflow.progress")) {
      return true;
    }
    return System.console() != null && !"dumb".equals(System.getenv("TERM"));
  }
}
