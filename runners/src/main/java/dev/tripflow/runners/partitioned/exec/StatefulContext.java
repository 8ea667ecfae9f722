package dev.tripflow.runners.partitioned.exec;

import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.sdk.transforms.DoFn;

/** The state and timers of the key being processed by a stateful ParDo. */
final class StatefulContext implements StepContext {
  private final DoFn.BundleFinalizer finalizer;
  private StateInternals state;
  private TimerInternals timers;

  StatefulContext(DoFn.BundleFinalizer finalizer) {
    this.finalizer = finalizer;
  }

  @Override
  public DoFn.BundleFinalizer bundleFinalizer() {
    return finalizer;
  }

  void set(StateInternals state, TimerInternals timers) {
    this.state = state;
    this.timers = timers;
  }

  @Override
  public StateInternals stateInternals() {
    return state;
  }

  @Override
  public TimerInternals timerInternals() {
    return timers;
  }
}
