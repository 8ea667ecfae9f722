package dev.tripflow.runners.partitioned.exec;

import java.util.Collection;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformOverrideFactory;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.DoFnOutputReceivers;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Values;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.transforms.splittabledofn.RestrictionTracker;
import org.apache.beam.sdk.transforms.splittabledofn.SplitResult;
import org.apache.beam.sdk.transforms.splittabledofn.WatermarkEstimator;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.construction.PTransformReplacements;
import org.apache.beam.sdk.util.construction.ReplacementOutputs;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionTuple;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.joda.time.Instant;

/**
 * Runs a splittable DoFn in batch: the (element, restriction) pairs left after the initial split
 * are spread over the partitions, and each restriction is processed to its end in one call,
 * resuming in place when the DoFn asks to (so an unbounded-per-element DoFn that stops on its own,
 * such as a {@code PeriodicImpulse} with a stop time, also runs). Bundle finalizers, side inputs,
 * every output and {@code @FinishBundle} output are the runner's own.
 */
public final class SplittableProcess {
  private SplittableProcess() {}

  /** Replaces {@code ProcessKeyedElements}, bounded or not, with {@link Expand}. */
  public static final class OverrideFactory<InputT, OutputT, RestrictionT, WatermarkStateT>
      implements PTransformOverrideFactory<
          PCollection<KV<byte[], KV<InputT, RestrictionT>>>,
          PCollectionTuple,
          SplittableParDo.ProcessKeyedElements<InputT, OutputT, RestrictionT, WatermarkStateT>> {
    @Override
    public PTransformReplacement<
            PCollection<KV<byte[], KV<InputT, RestrictionT>>>, PCollectionTuple>
        getReplacementTransform(
            AppliedPTransform<
                    PCollection<KV<byte[], KV<InputT, RestrictionT>>>,
                    PCollectionTuple,
                    SplittableParDo.ProcessKeyedElements<
                        InputT, OutputT, RestrictionT, WatermarkStateT>>
                transform) {
      return PTransformReplacement.of(
          PTransformReplacements.getSingletonMainInput(transform),
          new Expand<>(transform.getTransform()));
    }

    @Override
    public Map<PCollection<?>, ReplacementOutput> mapOutputs(
        Map<TupleTag<?>, PCollection<?>> outputs, PCollectionTuple newOutput) {
      return ReplacementOutputs.tagged(outputs, newOutput);
    }
  }

  /** Reshuffle the restrictions, then process each to its end. */
  static final class Expand<InputT, OutputT, RestrictionT, WatermarkStateT>
      extends PTransform<PCollection<KV<byte[], KV<InputT, RestrictionT>>>, PCollectionTuple> {
    private final SplittableParDo.ProcessKeyedElements<
            InputT, OutputT, RestrictionT, WatermarkStateT>
        original;

    Expand(
        SplittableParDo.ProcessKeyedElements<InputT, OutputT, RestrictionT, WatermarkStateT>
            original) {
      this.original = original;
    }

    @Override
    public PCollectionTuple expand(PCollection<KV<byte[], KV<InputT, RestrictionT>>> input) {
      return input
          .apply("SpreadRestrictions", Reshuffle.of())
          .apply("DropKeys", Values.create())
          .apply(
              "ProcessRestrictions",
              ParDo.of(
                      new ProcessFn<InputT, OutputT, RestrictionT, WatermarkStateT>(
                          original.getFn(), original.getSideInputMapping()))
                  .withSideInputs(original.getSideInputs())
                  .withOutputTags(original.getMainOutputTag(), original.getAdditionalOutputTags()));
    }
  }

  /** Invokes the user's splittable DoFn on one restriction until it is done. */
  static final class ProcessFn<InputT, OutputT, RestrictionT, WatermarkStateT>
      extends DoFn<KV<InputT, RestrictionT>, OutputT> {
    private static final long serialVersionUID = 1L;
    private final DoFn<InputT, OutputT> fn;
    private final Map<String, PCollectionView<?>> sideInputMapping;
    private transient DoFnInvoker<InputT, OutputT> invoker;

    ProcessFn(DoFn<InputT, OutputT> fn, Map<String, PCollectionView<?>> sideInputMapping) {
      this.fn = fn;
      this.sideInputMapping = sideInputMapping;
    }

    @Setup
    public void setup(PipelineOptions options) {
      invoker = DoFnInvokers.invokerFor(fn);
      invoker.invokeSetup(new Args(options));
    }

    @StartBundle
    public void startBundle(StartBundleContext c) {
      Args args = new Args(c.getPipelineOptions());
      args.startContext =
          fn.new StartBundleContext() {
            @Override
            public PipelineOptions getPipelineOptions() {
              return c.getPipelineOptions();
            }
          };
      invoker.invokeStartBundle(args);
    }

    @ProcessElement
    @SuppressWarnings("unchecked")
    public void process(ProcessContext c, BoundedWindow window, BundleFinalizer finalizer) {
      Args args = new Args(c.getPipelineOptions());
      args.outer = c;
      args.window = window;
      // A resume ends the bundle of the work done so far (a checkpoint): its finalizers run before
      // the residual is processed; those of the last call run with the task's bundle.
      java.util.List<BundleFinalizer.Callback> pending = new java.util.ArrayList<>();
      java.util.List<Instant> expiries = new java.util.ArrayList<>();
      args.finalizer =
          (expiry, callback) -> {
            pending.add(callback);
            expiries.add(expiry);
          };
      args.restriction = c.element().getValue();
      args.watermarkState = invoker.invokeGetInitialWatermarkEstimatorState(args);
      while (true) {
        args.tracker = invoker.invokeNewTracker(args);
        args.watermarkEstimator = invoker.invokeNewWatermarkEstimator(args);
        ProcessContinuation continuation = invoker.invokeProcessElement(args);
        if (!continuation.shouldResume()) {
          for (int i = 0; i < pending.size(); i++) {
            finalizer.afterBundleCommit(expiries.get(i), pending.get(i));
          }
          return;
        }
        for (BundleFinalizer.Callback callback : pending) {
          try {
            callback.onBundleSuccess();
          } catch (Exception e) {
            throw new IllegalStateException("a bundle finalizer failed", e);
          }
        }
        pending.clear();
        expiries.clear();
        args.watermarkState = args.watermarkEstimator.getState();
        SplitResult<?> split = ((RestrictionTracker<Object, ?>) args.tracker).trySplit(0);
        if (split == null) {
          return;
        }
        args.restriction = split.getResidual();
        long delay = continuation.resumeDelay().getMillis();
        if (delay > 0) {
          try {
            TimeUnit.MILLISECONDS.sleep(delay);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while a splittable DoFn waited", e);
          }
        }
      }
    }

    @FinishBundle
    public void finishBundle(FinishBundleContext c) {
      Args args = new Args(c.getPipelineOptions());
      args.finishContext =
          fn.new FinishBundleContext() {
            @Override
            public PipelineOptions getPipelineOptions() {
              return c.getPipelineOptions();
            }

            @Override
            public void output(OutputT output, Instant timestamp, BoundedWindow window) {
              c.output(output, timestamp, window);
            }

            @Override
            public <T> void output(
                TupleTag<T> tag, T output, Instant timestamp, BoundedWindow window) {
              c.output(tag, output, timestamp, window);
            }
          };
      invoker.invokeFinishBundle(args);
    }

    @Teardown
    public void teardown() {
      if (invoker != null) {
        invoker.invokeTeardown();
      }
    }

    /** What the user's DoFn methods may ask for, for the restriction being processed. */
    private final class Args extends DoFnInvoker.BaseArgumentProvider<InputT, OutputT> {
      private final PipelineOptions options;
      DoFn<KV<InputT, RestrictionT>, OutputT>.ProcessContext outer;
      DoFn<InputT, OutputT>.StartBundleContext startContext;
      DoFn<InputT, OutputT>.FinishBundleContext finishContext;
      BoundedWindow window;
      BundleFinalizer finalizer;
      Object restriction;
      Object watermarkState;
      RestrictionTracker<?, ?> tracker;
      WatermarkEstimator<?> watermarkEstimator;

      Args(PipelineOptions options) {
        this.options = options;
      }

      @Override
      public PipelineOptions pipelineOptions() {
        return options;
      }

      @Override
      public DoFn<InputT, OutputT>.StartBundleContext startBundleContext(
          DoFn<InputT, OutputT> doFn) {
        return startContext;
      }

      @Override
      public DoFn<InputT, OutputT>.FinishBundleContext finishBundleContext(
          DoFn<InputT, OutputT> doFn) {
        return finishContext;
      }

      @Override
      public InputT element(DoFn<InputT, OutputT> doFn) {
        return outer.element().getKey();
      }

      @Override
      public Object restriction() {
        return restriction;
      }

      @Override
      public RestrictionTracker<?, ?> restrictionTracker() {
        return tracker;
      }

      @Override
      public Object watermarkEstimatorState() {
        return watermarkState;
      }

      @Override
      public WatermarkEstimator<?> watermarkEstimator() {
        return watermarkEstimator;
      }

      @Override
      public Instant timestamp(DoFn<InputT, OutputT> doFn) {
        return outer.timestamp();
      }

      @Override
      public PaneInfo paneInfo(DoFn<InputT, OutputT> doFn) {
        return outer.pane();
      }

      @Override
      public BoundedWindow window() {
        return window;
      }

      @Override
      public BundleFinalizer bundleFinalizer() {
        return finalizer;
      }

      @Override
      public Object sideInput(String tagId) {
        PCollectionView<?> view = sideInputMapping.get(tagId);
        if (view == null) {
          throw new IllegalArgumentException("no side input " + tagId);
        }
        return outer.sideInput(view);
      }

      @Override
      public OutputReceiver<OutputT> outputReceiver(DoFn<InputT, OutputT> doFn) {
        return DoFnOutputReceivers.windowedReceiver(outer, null);
      }

      @Override
      public MultiOutputReceiver taggedOutputReceiver(DoFn<InputT, OutputT> doFn) {
        return DoFnOutputReceivers.windowedMultiReceiver(outer);
      }

      @Override
      public DoFn<InputT, OutputT>.ProcessContext processContext(DoFn<InputT, OutputT> doFn) {
        DoFn<KV<InputT, RestrictionT>, OutputT>.ProcessContext c = outer;
        return doFn.new ProcessContext() {
          @Override
          public InputT element() {
            return c.element().getKey();
          }

          @Override
          public <T> T sideInput(PCollectionView<T> view) {
            return c.sideInput(view);
          }

          @Override
          public Instant timestamp() {
            return c.timestamp();
          }

          @Override
          public PaneInfo pane() {
            return c.pane();
          }

          @Override
          public PipelineOptions getPipelineOptions() {
            return c.getPipelineOptions();
          }

          @Override
          public void output(OutputT output) {
            c.output(output);
          }

          @Override
          public void outputWithTimestamp(OutputT output, Instant timestamp) {
            c.outputWithTimestamp(output, timestamp);
          }

          @Override
          public void outputWindowedValue(
              OutputT output,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo paneInfo) {
            c.outputWindowedValue(output, timestamp, windows, paneInfo);
          }

          @Override
          public <T> void output(TupleTag<T> tag, T output) {
            c.output(tag, output);
          }

          @Override
          public <T> void outputWithTimestamp(TupleTag<T> tag, T output, Instant timestamp) {
            c.outputWithTimestamp(tag, output, timestamp);
          }

          @Override
          public <T> void outputWindowedValue(
              TupleTag<T> tag,
              T output,
              Instant timestamp,
              Collection<? extends BoundedWindow> windows,
              PaneInfo paneInfo) {
            c.outputWindowedValue(tag, output, timestamp, windows, paneInfo);
          }
        };
      }

      @Override
      public String getErrorContext() {
        return "PartitionedRunner splittable DoFn " + fn.getClass().getName();
      }
    }
  }
}
