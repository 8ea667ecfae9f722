package dev.tripflow.runners.partitioned.exec;

import java.io.Closeable;
import java.util.List;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/**
 * Runs a stateful ParDo over a partition's key groups: per key, fresh state and timers; its timers
 * fire at the end of the key's input, then window expirations.
 */
final class StatefulKeys {
  private StatefulKeys() {}

  @SuppressWarnings({"unchecked", "rawtypes"})
  static void run(
      java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups, Task task) {
    Operators.ParDoOperator op = (Operators.ParDoOperator) task.rootOperator;
    DoFn<?, ?> fn = ((ParDo.MultiOutput<?, ?>) task.stage.root.applied.getTransform()).getFn();
    DoFnSignature signature = DoFnSignatures.getSignature(fn.getClass());
    boolean sorted = DoFnSignatures.requiresTimeSortedInput(fn);
    boolean expiration = signature.onWindowExpiration() != null;
    while (groups.hasNext()) {
      KV<Object, List<WindowedValue<KV<Object, Object>>>> group = groups.next();
      Object key = group.getKey();
      List<WindowedValue<KV<Object, Object>>> elements = group.getValue();
      if (sorted) {
        elements.sort(java.util.Comparator.comparing(WindowedValue::getTimestamp));
      }
      InMemoryTimerInternals timers = new InMemoryTimerInternals();
      try {
        timers.advanceProcessingTime(Instant.now());
        task.stateful.set(InMemoryStateInternals.forKey(key), timers);
        java.util.Set<BoundedWindow> windows = new java.util.LinkedHashSet<>();
        for (WindowedValue<KV<Object, Object>> e : elements) {
          for (WindowedValue<KV<Object, Object>> single : e.explodeWindows()) {
            windows.addAll(single.getWindows());
            op.accept(single);
          }
        }
        timers.advanceInputWatermark(BoundedWindow.TIMESTAMP_MAX_VALUE);
        while (true) {
          TimerData t = timers.removeNextEventTimer();
          if (t == null) {
            timers.advanceProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
            t = timers.removeNextProcessingTimer();
          }
          if (t == null) {
            timers.advanceSynchronizedProcessingTime(BoundedWindow.TIMESTAMP_MAX_VALUE);
            t = timers.removeNextSynchronizedProcessingTimer();
          }
          if (t == null) {
            break;
          }
          BoundedWindow window =
              ((StateNamespaces.WindowNamespace<?>) t.getNamespace()).getWindow();
          TimerData timer = t;
          try (Closeable c = op.scope()) {
            op.runner()
                .onTimer(
                    timer.getTimerId(),
                    timer.getTimerFamilyId(),
                    key,
                    window,
                    timer.getTimestamp(),
                    timer.getOutputTimestamp(),
                    timer.getDomain());
          }
        }
        if (expiration) {
          for (BoundedWindow w : windows) {
            try (Closeable c = op.scope()) {
              op.runner().onWindowExpiration(w, w.maxTimestamp(), key);
            }
          }
        }
      } catch (RuntimeException e) {
        throw e;
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
