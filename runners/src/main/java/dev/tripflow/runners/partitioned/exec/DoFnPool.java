package dev.tripflow.runners.partitioned.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.reflect.DoFnInvoker;
import org.apache.beam.sdk.transforms.reflect.DoFnInvokers;
import org.apache.beam.sdk.util.SerializableUtils;

/**
 * Deserialised copies of one step's DoFn, each set up once ({@code @Setup}), lent to one task at a
 * time and torn down ({@code @Teardown}) when the pipeline ends.
 */
final class DoFnPool {
  private final DoFn<?, ?> prototype;
  private final PipelineOptions options;
  private final ConcurrentLinkedQueue<DoFn<?, ?>> idle = new ConcurrentLinkedQueue<>();
  private final List<DoFn<?, ?>> all = new ArrayList<>();

  DoFnPool(DoFn<?, ?> prototype, PipelineOptions options) {
    this.prototype = prototype;
    this.options = options;
  }

  /** A DoFn lent to one task. */
  final class Lease {
    private final DoFn<?, ?> fn;
    private boolean released;

    Lease(DoFn<?, ?> fn) {
      this.fn = fn;
    }

    DoFn<?, ?> fn() {
      return fn;
    }

    void release() {
      if (!released) {
        released = true;
        idle.add(fn);
      }
    }

    /** After a failure the instance may be inconsistent: tear it down and never reuse it. */
    void discard() {
      if (!released) {
        released = true;
        synchronized (all) {
          all.remove(fn);
        }
        try {
          DoFnInvokers.invokerFor(fn).invokeTeardown();
        } catch (RuntimeException e) {
          // the task's own failure is what gets reported
        }
      }
    }
  }

  Lease acquire() {
    DoFn<?, ?> fn = idle.poll();
    if (fn == null) {
      fn = SerializableUtils.clone(prototype);
      DoFnInvoker<?, ?> invoker = DoFnInvokers.invokerFor(fn);
      try {
        invoker.invokeSetup(new SetupArguments<>(fn, options));
      } catch (RuntimeException | Error e) {
        try {
          invoker.invokeTeardown();
        } catch (RuntimeException | Error suppressed) {
          e.addSuppressed(suppressed);
        }
        throw e;
      }
      synchronized (all) {
        all.add(fn);
      }
    }
    return new Lease(fn);
  }

  /** Tears down every copy; the first failure is rethrown after all were tried. */
  void teardown() {
    RuntimeException first = null;
    synchronized (all) {
      for (DoFn<?, ?> fn : all) {
        try {
          DoFnInvokers.invokerFor(fn).invokeTeardown();
        } catch (RuntimeException e) {
          if (first == null) {
            first = e;
          }
        }
      }
      all.clear();
      idle.clear();
    }
    if (first != null) {
      throw first;
    }
  }

  /** The arguments {@code @Setup} may take: the pipeline options. */
  private static final class SetupArguments<InT, OutT>
      extends DoFnInvoker.BaseArgumentProvider<InT, OutT> {
    private final DoFn<InT, OutT> fn;
    private final PipelineOptions options;

    @SuppressWarnings("unchecked")
    SetupArguments(DoFn<?, ?> fn, PipelineOptions options) {
      this.fn = (DoFn<InT, OutT>) fn;
      this.options = options;
    }

    @Override
    public PipelineOptions pipelineOptions() {
      return options;
    }

    @Override
    public String getErrorContext() {
      return "PartitionedRunner @Setup of " + fn.getClass().getName();
    }
  }
}
