package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.plan.Step;
import dev.tripflow.runners.partitioned.shuffle.CurrentMetrics;
import dev.tripflow.runners.partitioned.shuffle.Receiver;
import java.io.Closeable;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.DoFnRunner;
import org.apache.beam.runners.core.DoFnRunners;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.metrics.MetricsContainerImpl;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/** The in-task operators of fused steps: elements pass between them by reference. */
final class Operators {
  private Operators() {}

  /** Sends an element to every receiver in turn. */
  static Receiver fanOut(List<Receiver> receivers) {
    if (receivers.isEmpty()) {
      return v -> {};
    }
    if (receivers.size() == 1) {
      return receivers.get(0);
    }
    Receiver[] all = receivers.toArray(new Receiver[0]);
    return v -> {
      for (Receiver r : all) {
        r.accept(v);
      }
    };
  }

  /** A step's operator inside one task. */
  abstract static class Operator implements Receiver {
    final Step step;
    final MetricsContainerImpl metrics;

    Operator(Step step, MetricsContainerImpl metrics) {
      this.step = step;
      this.metrics = metrics;
    }

    void start() {}

    void finish() {}

    /** Called once after the task, whether it succeeded or not. */
    void close(boolean failed) {}

    Closeable scope() {
      return MetricsEnvironment.scopedMetricsContainer(metrics);
    }
  }

  /** A stateless ParDo, one bundle per task. */
  static final class ParDoOperator extends Operator {
    private final DoFnPool.Lease lease;
    private final DoFnRunner<Object, Object> runner;
    private final DirectProcess direct;
    // The step's metrics made current per element without a scope object (see CurrentMetrics).
    private final CurrentMetrics current;

    @SuppressWarnings({"unchecked", "rawtypes"})
    ParDoOperator(
        Step step,
        MetricsContainerImpl metrics,
        PipelineOptions options,
        DoFnPool pool,
        SideInputReader sideInputs,
        Map<TupleTag<?>, Receiver> outputs,
        StepContext stepContext,
        boolean direct) {
      super(step, metrics);
      this.current = new CurrentMetrics(metrics);
      ParDo.MultiOutput<Object, Object> parDo =
          (ParDo.MultiOutput<Object, Object>) step.applied.getTransform();
      this.lease = pool.acquire();
      PCollection<Object> input = (PCollection<Object>) step.inputs.get(0);
      Map<TupleTag<?>, Coder<?>> outputCoders = new java.util.HashMap<>();
      for (Map.Entry<TupleTag<?>, PCollection<?>> e : step.outputs.entrySet()) {
        outputCoders.put(e.getKey(), e.getValue().getCoder());
      }
      DoFnRunners.OutputManager outputManager =
          new DoFnRunners.OutputManager() {
            @Override
            public <T> void output(TupleTag<T> tag, WindowedValue<T> output) {
              Receiver r = outputs.get(tag);
              if (r != null) {
                r.accept(output);
              }
            }
          };
      // One task at a time: Beam builds invokers and schema conversions with code generation whose
      // caches were seen to hand a task another step's conversion when two built at once.
      synchronized (ParDoOperator.class) {
        this.runner =
            DoFnRunners.simpleRunner(
                options,
                (DoFn<Object, Object>) lease.fn(),
                sideInputs,
                outputManager,
                (TupleTag<Object>) parDo.getMainOutputTag(),
                new ArrayList<>(parDo.getAdditionalOutputTags().getAll()),
                stepContext,
                input.getCoder(),
                outputCoders,
                (org.apache.beam.sdk.values.WindowingStrategy) input.getWindowingStrategy(),
                step.schemaInformation(),
                step.sideInputMapping());
        this.direct =
            direct && DirectProcess.eligible(parDo, lease.fn())
                ? new DirectProcess(
                    (DoFn<Object, Object>) lease.fn(),
                    outputs.get(parDo.getMainOutputTag()),
                    metrics)
                : null;
      }
    }

    DoFnRunner<Object, Object> runner() {
      return runner;
    }

    @Override
    void start() {
      try (Closeable c = scope()) {
        runner.startBundle();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    @SuppressWarnings("unchecked")
    public void accept(WindowedValue<?> value) {
      if (direct != null) {
        direct.process((WindowedValue<Object>) value);
        return;
      }
      org.apache.beam.sdk.metrics.MetricsContainer previous = current.enter();
      try {
        runner.processElement((WindowedValue<Object>) value);
      } finally {
        current.exit(previous);
      }
    }

    @Override
    void finish() {
      try (Closeable c = scope()) {
        runner.finishBundle();
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    }

    @Override
    void close(boolean failed) {
      if (failed) {
        lease.discard();
      } else {
        lease.release();
      }
    }
  }

  /**
   * Calls a plain DoFn's {@code @ProcessElement} directly, without Beam's per-element runner
   * machinery: for DoFns that take only the element and the main output receiver and have no bundle
   * methods, side inputs, state, timers or restrictions (most map and filter steps). One argument
   * provider is reused for every element; an output carries the input's timestamp, windows and
   * pane, as with {@code SimpleDoFnRunner}.
   */
  static final class DirectProcess extends DoFnInvoker.BaseArgumentProvider<Object, Object>
      implements DoFn.OutputReceiver<Object> {
    private final DoFn<Object, Object> fn;
    private final DoFnInvoker<Object, Object> invoker;
    private final Receiver main;
    private final CurrentMetrics metrics;
    private final org.joda.time.Duration skew;
    private WindowedValue<Object> current;

    DirectProcess(DoFn<Object, Object> fn, Receiver main, MetricsContainerImpl metrics) {
      this.fn = fn;
      this.invoker = DoFnInvokers.invokerFor(fn);
      this.main = main == null ? v -> {} : main;
      this.metrics = new CurrentMetrics(metrics);
      this.skew = fn.getAllowedTimestampSkew();
    }

    /** Whether the step's DoFn can be called directly. */
    static boolean eligible(ParDo.MultiOutput<?, ?> parDo, DoFn<?, ?> fn) {
      if (!parDo.getSideInputs().isEmpty()) {
        return false;
      }
      DoFnSignature s = DoFnSignatures.getSignature(fn.getClass());
      DoFnSignature.ProcessElementMethod process = s.processElement();
      if (s.startBundle() != null
          || s.finishBundle() != null
          || s.onWindowExpiration() != null
          || !s.stateDeclarations().isEmpty()
          || !s.timerDeclarations().isEmpty()
          || !s.timerFamilyDeclarations().isEmpty()
          || s.usesState()
          || s.usesTimers()
          || process.isSplittable()
          || process.requiresStableInput()
          || process.requiresTimeSortedInput()
          || process.hasReturnValue()) {
        return false;
      }
      for (DoFnSignature.Parameter p : process.extraParameters()) {
        boolean element = p instanceof DoFnSignature.Parameter.ElementParameter;
        boolean output =
            p instanceof DoFnSignature.Parameter.OutputReceiverParameter o && !o.isRowReceiver();
        if (!element && !output) {
          return false;
        }
      }
      return true;
    }

    void process(WindowedValue<Object> value) {
      current = value;
      org.apache.beam.sdk.metrics.MetricsContainer previous = metrics.enter();
      try {
        invoker.invokeProcessElement(this);
      } catch (Exception e) {
        throw org.apache.beam.sdk.util.UserCodeException.wrap(e);
      } finally {
        metrics.exit(previous);
        current = null;
      }
    }

    @Override
    public Object element(DoFn<Object, Object> doFn) {
      return current.getValue();
    }

    @Override
    public DoFn.OutputReceiver<Object> outputReceiver(DoFn<Object, Object> doFn) {
      return this;
    }

    @Override
    public void output(Object output) {
      main.accept(current.withValue(output));
    }

    @Override
    public void outputWithTimestamp(Object output, Instant timestamp) {
      checkTimestamp(timestamp);
      main.accept(WindowedValue.of(output, timestamp, current.getWindows(), current.getPane()));
    }

    @Override
    public void outputWindowedValue(
        Object output,
        Instant timestamp,
        Collection<? extends BoundedWindow> windows,
        org.apache.beam.sdk.transforms.windowing.PaneInfo pane) {
      checkTimestamp(timestamp);
      main.accept(WindowedValue.of(output, timestamp, windows, pane));
    }

    private void checkTimestamp(Instant timestamp) {
      Instant input = current.getTimestamp();
      long skewMillis = skew.getMillis();
      // A skew reaching past the smallest timestamp (Long.MAX_VALUE: any) leaves no lower bound.
      boolean bounded = input.getMillis() >= Long.MIN_VALUE + skewMillis;
      boolean tooEarly = bounded && timestamp.getMillis() < input.getMillis() - skewMillis;
      if (tooEarly || timestamp.isAfter(BoundedWindow.TIMESTAMP_MAX_VALUE)) {
        throw new IllegalArgumentException(
            String.format(
                "Cannot output with timestamp %s. Output timestamps must be no earlier than the"
                    + " timestamp of the current input (%s) minus the allowed skew (%s) and no"
                    + " later than %s. See the DoFn#getAllowedTimestampSkew() Javadoc for details"
                    + " on changing the allowed skew.",
                timestamp, input, skew, BoundedWindow.TIMESTAMP_MAX_VALUE));
      }
    }

    @Override
    public String getErrorContext() {
      return "PartitionedRunner calling " + fn.getClass().getName();
    }
  }

  /** Window.Assign: assigns each element (per window it was in) to the new windows. */
  static final class WindowOperator extends Operator {
    private final WindowFn<Object, BoundedWindow> windowFn;
    private final Receiver out;

    @SuppressWarnings("unchecked")
    WindowOperator(Step step, MetricsContainerImpl metrics, Receiver out) {
      super(step, metrics);
      this.windowFn =
          (WindowFn<Object, BoundedWindow>)
              ((org.apache.beam.sdk.transforms.windowing.Window.Assign<?>)
                      step.applied.getTransform())
                  .getWindowFn();
      this.out = out;
    }

    @Override
    public void accept(WindowedValue<?> value) {
      if (windowFn == null) {
        out.accept(value);
        return;
      }
      for (WindowedValue<?> single : value.explodeWindows()) {
        BoundedWindow window = single.getWindows().iterator().next();
        Collection<BoundedWindow> windows;
        try {
          windows =
              windowFn.assignWindows(
                  windowFn.new AssignContext() {
                    @Override
                    public Object element() {
                      return single.getValue();
                    }

                    @Override
                    public Instant timestamp() {
                      return single.getTimestamp();
                    }

                    @Override
                    public BoundedWindow window() {
                      return window;
                    }
                  });
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
        out.accept(
            WindowedValue.of(single.getValue(), single.getTimestamp(), windows, single.getPane()));
      }
    }
  }

  /** Flatten: passes every element on. */
  static final class FlattenOperator extends Operator {
    private final Receiver out;

    FlattenOperator(Step step, MetricsContainerImpl metrics, Receiver out) {
      super(step, metrics);
      this.out = out;
    }

    @Override
    public void accept(WindowedValue<?> value) {
      out.accept(value);
    }
  }
}
