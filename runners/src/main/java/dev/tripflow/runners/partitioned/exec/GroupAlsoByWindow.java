package dev.tripflow.runners.partitioned.exec;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.OutputWindowedValue;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.TriggerTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;

/**
 * GroupAlsoByWindow for merging windows and triggers: one of Beam's ReduceFnRunners per key, its
 * timers fired at the end of the input (a bounded pipeline's watermark goes to the end at once).
 */
final class GroupAlsoByWindow {
  private GroupAlsoByWindow() {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  static void reduce(
      Object key,
      List<WindowedValue<KV<Object, Object>>> elements,
      WindowingStrategy<?, BoundedWindow> ws,
      Coder<Object> valueCoder,
      Task task) {
    try {
      InMemoryTimerInternals timers = new InMemoryTimerInternals();
      Instant now = Instant.now();
      timers.advanceProcessingTime(now);
      timers.advanceSynchronizedProcessingTime(now);
      OutputWindowedValue<KV<Object, Iterable<Object>>> output =
          new OutputWindowedValue<>() {
            @Override
            public void outputWindowedValue(
                KV<Object, Iterable<Object>> value,
                Instant timestamp,
                Collection<? extends BoundedWindow> windows,
                PaneInfo pane) {
              task.rootOut.accept(WindowedValue.of(value, timestamp, windows, pane));
            }

            @Override
            public <T> void outputWindowedValue(
                TupleTag<T> tag,
                T value,
                Instant timestamp,
                Collection<? extends BoundedWindow> windows,
                PaneInfo pane) {
              throw new UnsupportedOperationException("GroupByKey has one output");
            }
          };
      ReduceFnRunner<Object, Object, Iterable<Object>, BoundedWindow> runner =
          new ReduceFnRunner<>(
              key,
              ws,
              ExecutableTriggerStateMachine.create(
                  TriggerStateMachines.stateMachineForTrigger(
                      TriggerTranslation.toProto(ws.getTrigger()))),
              InMemoryStateInternals.forKey(key),
              timers,
              output,
              task.ex.sideInputs,
              SystemReduceFn.buffering(valueCoder),
              task.ex.options);
      List<WindowedValue<Object>> values = new ArrayList<>(elements.size());
      for (WindowedValue<KV<Object, Object>> e : elements) {
        values.add(e.withValue(e.getValue().getValue()));
      }
      runner.processElements(values);
      timers.advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
      timers.advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
      timers.advanceSynchronizedProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
      List<TimerData> fire = new ArrayList<>();
      while (true) {
        TimerData t;
        while ((t = timers.removeNextEventTimer()) != null) {
          fire.add(t);
        }
        while ((t = timers.removeNextProcessingTimer()) != null) {
          fire.add(t);
        }
        while ((t = timers.removeNextSynchronizedProcessingTimer()) != null) {
          fire.add(t);
        }
        if (fire.isEmpty()) {
          break;
        }
        runner.onTimers(fire);
        fire.clear();
      }
      runner.persist();
    } catch (RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
