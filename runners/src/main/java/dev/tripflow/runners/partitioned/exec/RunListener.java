package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.plan.Stage;

/**
 * What an {@link Executor} tells about a run as it goes, per stage and per task attempt (never per
 * element), for the event log and the web UI. Called from the run's threads: implementations must
 * be thread-safe and quick.
 */
public interface RunListener {
  /** A listener that ignores everything. */
  RunListener NONE = new RunListener() {};

  /** A stage starts, as {@code tasks} partition tasks. */
  default void stageStarted(Stage stage, int tasks) {}

  /** An attempt of a partition task starts, on the current thread. */
  default void taskStarted(Stage stage, int task, int attempt) {}

  /**
   * A running task attempt's elements read and written so far, every few thousand elements: for a
   * live view only (not logged), so it must be cheaper still.
   */
  default void taskProgress(Stage stage, int task, long elementsIn, long elementsOut) {}

  /**
   * An attempt of a partition task ended: the elements it read and wrote, the bytes it spilled, the
   * CPU time it used, and its failure (null when it succeeded).
   */
  default void taskEnded(
      Stage stage,
      int task,
      int attempt,
      long elementsIn,
      long elementsOut,
      long spilledBytes,
      long cpuNanos,
      Throwable failure) {}

  /** A stage ended; {@code failure} is null when all its tasks succeeded. */
  default void stageEnded(Stage stage, Throwable failure) {}
}
