package dev.tripflow.runners.partitioned.exec;

import org.apache.beam.sdk.Pipeline.PipelineExecutionException;

/**
 * A pipeline step threw: the cause is the user's own exception (an {@code AssertionError} for a
 * failed {@code PAssert}), and the message names the step.
 */
public final class StepFailedException extends PipelineExecutionException {
  private static final long serialVersionUID = 1L;
  private final String step;
  private final String where;

  StepFailedException(String step, Throwable cause) {
    this(step, null, cause);
  }

  StepFailedException(String step, String where, Throwable cause) {
    super(cause);
    this.step = step;
    this.where = where;
  }

  /** The full name of the step that failed. */
  public String step() {
    return step;
  }

  @Override
  public String getMessage() {
    Throwable c = getCause();
    return "step '"
        + step
        + "' failed"
        + (where == null ? "" : " (" + where + ")")
        + ": "
        + (c == null ? "" : c.toString());
  }
}
