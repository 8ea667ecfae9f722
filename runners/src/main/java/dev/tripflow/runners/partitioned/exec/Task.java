package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.exec.Operators.Operator;
import dev.tripflow.runners.partitioned.plan.Stage;
import dev.tripflow.runners.partitioned.plan.Step;
import dev.tripflow.runners.partitioned.shuffle.ElementBuffer;
import dev.tripflow.runners.partitioned.shuffle.Receiver;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TupleTag;

/** One partition of one stage: fused operators wired by reference, run as one bundle. */
final class Task {
  /** How many elements a task counts before it adds them to the shared progress counters. */
  private static final int TALLY = 4096;

  final Executor ex;
  final Stage stage;
  final int task;
  private final Map<Step, Operator> operators = new LinkedHashMap<>();
  // The end of each lifted combine's pre-aggregation, run as its step (errors name it).
  // Run after the task's input is done, with its metrics.
  private final List<Runnable> finishers = new ArrayList<>();

  /** Adds what {@code buffer} spilled to the shuffleSpilledBytes metric of {@code step}. */
  void countSpills(Step step, ElementBuffer buffer) {
    finishers.add(
        () -> {
          if (buffer.spilledBytes() > 0) {
            taskMetrics
                .getContainer(step.name)
                .getCounter(Exchanges.SPILLED_BYTES)
                .inc(buffer.spilledBytes());
          }
        });
  }

  final List<Receiver> combiners = new ArrayList<>();
  private final Map<PCollection<?>, Receiver> receivers = new HashMap<>();
  Operator rootOperator;
  Receiver rootOut;
  StatefulContext stateful;
  private final List<DoFn.BundleFinalizer.Callback> finalizers = new ArrayList<>();
  private final DoFn.BundleFinalizer bundleFinalizer =
      (expiry, callback) -> finalizers.add(callback);
  private final StepContext stateless =
      new StepContext() {
        @Override
        public StateInternals stateInternals() {
          throw new UnsupportedOperationException("this DoFn has no state");
        }

        @Override
        public TimerInternals timerInternals() {
          throw new UnsupportedOperationException("this DoFn has no timers");
        }

        @Override
        public DoFn.BundleFinalizer bundleFinalizer() {
          return bundleFinalizer;
        }
      };

  final MetricsContainerStepMap taskMetrics = new MetricsContainerStepMap();

  Task(Executor ex, Stage stage, int task) {
    this.ex = ex;
    this.stage = stage;
    this.task = task;
  }

  void run(TaskInput input) {
    boolean failed = true;
    try {
      wire();
      for (Step s : stage.steps) {
        Operator op = operators.get(s);
        if (op != null) {
          current = s;
          op.start();
        }
      }
      current = stage.root;
      input.emit(task, this);
      for (Step s : stage.steps) {
        Operator op = operators.get(s);
        if (op != null) {
          current = s;
          op.finish();
        }
      }
      for (Receiver c : combiners) {
        c.accept(null);
      }
      for (Runnable f : finishers) {
        f.run();
      }
      // The bundle's output is complete in memory: run the bundle finalizers.
      for (DoFn.BundleFinalizer.Callback callback : finalizers) {
        try {
          callback.onBundleSuccess();
        } catch (Exception e) {
          throw new StepException(stage.root.name, e);
        }
      }
      failed = false;
      synchronized (ex.metrics) {
        ex.metrics.updateAll(taskMetrics);
      }
    } catch (StepFailedException e) {
      throw e;
    } catch (RuntimeException | Error e) {
      throw new StepFailedException(failedStep(e), Executor.unwrap(e));
    } finally {
      publishTally();
      for (Operator op : operators.values()) {
        op.close(failed);
      }
    }
  }

  private Step current;

  private String failedStep(Throwable e) {
    if (e instanceof StepException se) {
      return se.step;
    }
    return current == null ? stage.root.name : current.name;
  }

  private void wire() {
    List<Step> steps = stage.steps;
    for (int i = steps.size() - 1; i >= 0; i--) {
      Step s = steps.get(i);
      Map<TupleTag<?>, Receiver> outs = new HashMap<>();
      for (Map.Entry<TupleTag<?>, PCollection<?>> e : s.outputs.entrySet()) {
        outs.put(e.getKey(), receiverOf(e.getValue()));
      }
      Operator op = operator(s, outs);
      if (op != null) {
        operators.put(s, op);
      }
      if (i == 0) {
        rootOperator = op;
        Receiver first =
            s.outputs.isEmpty() ? v -> {} : outs.get(s.outputs.keySet().iterator().next());
        rootOut =
            v -> {
              if (++inPending == TALLY) {
                publishTally();
              }
              first.accept(v);
            };
      }
    }
    // start/finish in topological order
    Map<Step, Operator> ordered = new LinkedHashMap<>();
    for (Step s : steps) {
      if (operators.containsKey(s)) {
        ordered.put(s, operators.get(s));
      }
    }
    operators.clear();
    operators.putAll(ordered);
  }

  /** Everything that consumes {@code pc} in this task: fused operators and sinks. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  private Receiver receiverOf(PCollection<?> pc) {
    Receiver cached = receivers.get(pc);
    if (cached != null) {
      return cached;
    }
    List<Receiver> list = new ArrayList<>();
    for (Step c : new java.util.LinkedHashSet<>(ex.plan.consumersOf(pc))) {
      if (stage.contains(c) && c != stage.root && operators.containsKey(c)) {
        for (PCollection<?> in : c.inputs) {
          if (in == pc) {
            list.add(guarded(c, operators.get(c)));
          }
        }
      } else if (c.exchange != null) {
        list.add(counted(Exchanges.of(c.exchange).writer(this, c, pc, ex.shuffles.get(c))));
      }
    }
    if (ex.plan.isMaterialized(pc)) {
      ElementBuffer[] buffers = ex.materialized.get(pc);
      if (buffers[task] != null) {
        buffers[task].release(); // a failed attempt's
      }
      ElementBuffer sink = new ElementBuffer(ex.budget, Exchanges.windowedCoder(pc), pc.getName());
      buffers[task] = sink;
      countSpills(ex.plan.producer(pc), sink);
      list.add(
          CoderBoundary.of(pc)
              .before(
                  v -> {
                    if (++outPending == TALLY) {
                      publishTally();
                    }
                    sink.add(v);
                  }));
    }
    Receiver r = Operators.fanOut(list);
    receivers.put(pc, r);
    return r;
  }

  // Elements in and out of this task not yet added to the shared ex.progress counters: counted
  // here and published every TALLY elements, not with an atomic add per element.
  private long inPending;
  private long outPending;

  // Everything this task published, for the run's listener; materializedIn is what a stage over
  // materialised inputs gave it (counted by the executor, not here).
  private long inTotal;
  private long outTotal;
  long materializedIn;

  long elementsIn() {
    return inTotal + materializedIn;
  }

  long elementsOut() {
    return outTotal;
  }

  /**
   * The bytes this task's shuffle writers and materialised outputs spilled: their counters, read
   * from the task's own metrics (asking creates the counters, so only once the task is over).
   */
  long spilledBytes() {
    java.util.Set<String> steps = new java.util.HashSet<>();
    for (Step s : stage.steps) {
      steps.add(s.name);
      for (PCollection<?> out : s.outputs.values()) {
        for (Step c : ex.plan.consumersOf(out)) {
          steps.add(c.name);
        }
      }
    }
    long bytes = 0;
    for (String step : steps) {
      bytes += taskMetrics.getContainer(step).getCounter(Exchanges.SPILLED_BYTES).getCumulative();
    }
    return bytes;
  }

  private void publishTally() {
    inTotal += inPending;
    outTotal += outPending;
    ex.listener.taskProgress(stage, task, inTotal + materializedIn, outTotal);
    ex.progress.in.add(inPending);
    ex.progress.out.add(outPending);
    inPending = 0;
    outPending = 0;
  }

  private Receiver counted(Receiver r) {
    return v -> {
      if (++outPending == TALLY) {
        publishTally();
      }
      r.accept(v);
    };
  }

  Receiver guarded(Step step, Receiver r) {
    return v -> {
      try {
        r.accept(v);
      } catch (StepException e) {
        throw e;
      } catch (RuntimeException | Error e) {
        throw new StepException(step.name, e);
      }
    };
  }

  @SuppressWarnings("unchecked")
  private Operator operator(Step s, Map<TupleTag<?>, Receiver> outs) {
    var container = taskMetrics.getContainer(s.name);
    switch (s.kind) {
      case PARDO:
        return new Operators.ParDoOperator(
            s,
            container,
            ex.options,
            ex.pools.get(s),
            ex.sideInputs.declared(s.sideInputs),
            outs,
            stateless,
            true);
      case STATEFUL_PARDO:
        stateful = new StatefulContext(bundleFinalizer);
        return new Operators.ParDoOperator(
            s,
            container,
            ex.options,
            ex.pools.get(s),
            ex.sideInputs.declared(s.sideInputs),
            outs,
            stateful,
            false);
      case WINDOW:
        return new Operators.WindowOperator(s, container, outs.values().iterator().next());
      case FLATTEN:
        return new Operators.FlattenOperator(s, container, outs.values().iterator().next());
      default:
        return null; // roots that are not operators: sources and ex.shuffles
    }
  }

  void emitRoot(WindowedValue<?> v) {
    rootOut.accept(v);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  void read(BoundedSource<?> source) {
    var container = taskMetrics.getContainer(stage.root.name);
    try (Closeable c = MetricsEnvironment.scopedMetricsContainer(container);
        BoundedSource.BoundedReader<?> reader = source.createReader(ex.options)) {
      for (boolean more = reader.start(); more; more = reader.advance()) {
        rootOut.accept(
            WindowedValue.timestampedValueInGlobalWindow(
                reader.getCurrent(), reader.getCurrentTimestamp()));
      }
    } catch (StepException e) {
      throw e;
    } catch (Exception e) {
      throw new StepException(stage.root.name, e);
    }
  }
}
