package dev.tripflow.runners.partitioned;

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
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.WindowFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.ParDoTranslation;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/** The in-task operators of fused steps: elements pass between them by reference. */
final class Operators {
  private Operators() {}

  /** Accepts one element. */
  interface Receiver {
    void accept(WindowedValue<?> value);
  }

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

    @SuppressWarnings({"unchecked", "rawtypes"})
    ParDoOperator(
        Step step,
        MetricsContainerImpl metrics,
        PipelineOptions options,
        DoFnPool pool,
        SideInputReader sideInputs,
        Map<TupleTag<?>, Receiver> outputs,
        StepContext stepContext) {
      super(step, metrics);
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
              ParDoTranslation.getSchemaInformation(step.applied),
              ParDoTranslation.getSideInputMapping(step.applied));
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
      try (Closeable c = scope()) {
        runner.processElement((WindowedValue<Object>) value);
      } catch (IOException e) {
        throw new IllegalStateException(e);
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
