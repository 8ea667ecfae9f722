package dev.tripflow.runners.partitioned.exec;

/** A failure inside a fused step, carrying the step's name to the task. */
final class StepException extends RuntimeException {
  private static final long serialVersionUID = 1L;
  final String step;

  StepException(String step, Throwable cause) {
    super(cause);
    this.step = step;
  }
}
