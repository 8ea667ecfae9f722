package dev.tripflow.runners.partitioned.exec;

/** What task {@code task} of a stage reads, given to the task's first operator. */
interface TaskInput {
  void emit(int task, Task context);
}
