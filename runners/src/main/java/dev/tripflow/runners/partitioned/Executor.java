package dev.tripflow.runners.partitioned;

import dev.tripflow.runners.partitioned.Operators.Operator;
import dev.tripflow.runners.partitioned.Operators.Receiver;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorCompletionService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.runners.core.InMemoryStateInternals;
import org.apache.beam.runners.core.InMemoryTimerInternals;
import org.apache.beam.runners.core.OutputWindowedValue;
import org.apache.beam.runners.core.ReduceFnRunner;
import org.apache.beam.runners.core.StateInternals;
import org.apache.beam.runners.core.StateNamespaces;
import org.apache.beam.runners.core.StepContext;
import org.apache.beam.runners.core.SystemReduceFn;
import org.apache.beam.runners.core.TimerInternals;
import org.apache.beam.runners.core.TimerInternals.TimerData;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.runners.core.triggers.ExecutableTriggerStateMachine;
import org.apache.beam.runners.core.triggers.TriggerStateMachines;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.reflect.DoFnSignature;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.PaneInfo;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.util.construction.TriggerTranslation;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;
import org.joda.time.Instant;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Runs a {@link Plan}: stage after stage, each stage's tasks in parallel on a fixed pool. */
final class Executor {
  private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

  private final Plan plan;
  private final PipelineOptions options;
  private final int partitions;
  final MetricsContainerStepMap metrics = new MetricsContainerStepMap();
  private final SideInputs sideInputs = new SideInputs();
  private final Map<PCollection<?>, List<WindowedValue<?>>[]> materialized = new HashMap<>();
  private final Map<Step, Shuffle> shuffles = new HashMap<>();
  private final Map<Step, DoFnPool> pools = new HashMap<>();
  private final Map<PCollection<?>, Integer> lastUse = new HashMap<>();
  private final int maxAttempts;
  private final Spill.Budget budget;
  private Progress progress;

  Executor(Plan plan, PipelineOptions options, int partitions) {
    this.plan = plan;
    this.options = options;
    this.partitions = partitions;
    this.maxAttempts = options.as(PartitionedPipelineOptions.class).getMaxTaskAttempts();
    if (maxAttempts < 1) {
      throw new IllegalArgumentException(
          "--maxTaskAttempts must be at least 1, not " + maxAttempts);
    }
    PartitionedPipelineOptions po = options.as(PartitionedPipelineOptions.class);
    long limit =
        po.getShuffleMemoryMb() > 0
            ? po.getShuffleMemoryMb() * (1L << 20)
            : (long) (Runtime.getRuntime().maxMemory() * 0.4);
    String dir =
        po.getSpillDirectory() != null
            ? po.getSpillDirectory()
            : System.getProperty("java.io.tmpdir");
    this.budget = new Spill.Budget(limit, java.nio.file.Path.of(dir));
    for (Step step : plan.steps) {
      if (step.kind == Step.Kind.PARDO || step.kind == Step.Kind.STATEFUL_PARDO) {
        pools.put(
            step,
            new DoFnPool(((ParDo.MultiOutput<?, ?>) step.applied.getTransform()).getFn(), options));
      }
      for (PCollection<?> in : step.inputs) {
        lastUse.merge(in, step.stage.id, Math::max);
      }
    }
  }

  void run() {
    AtomicInteger threadIds = new AtomicInteger();
    ExecutorService pool =
        Executors.newFixedThreadPool(
            partitions,
            r -> {
              Thread t = new Thread(r, "tripflow-partition-" + threadIds.incrementAndGet());
              t.setDaemon(true);
              return t;
            });
    RuntimeException failure = null;
    progress = new Progress(plan.stages.size());
    try {
      for (Stage stage : plan.stages) {
        runStage(stage, pool);
      }
      progress.summary(partitions, processCpuNanos());
    } catch (RuntimeException e) {
      failure = e;
    } finally {
      progress.close();
      pool.shutdownNow();
      try {
        // Tasks cancelled after a failure finish first, so every DoFn set up is torn down.
        if (!pool.awaitTermination(5, TimeUnit.MINUTES)) {
          LOG.warn("some partition tasks did not stop within 5 minutes of the end of the run");
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      try {
        budget.close();
      } catch (RuntimeException e) {
        LOG.warn(e.getMessage());
      }
      for (DoFnPool p : pools.values()) {
        try {
          p.teardown();
        } catch (RuntimeException e) {
          if (failure == null) {
            failure = new StepFailedException("teardown", unwrap(e));
          }
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  // ---------------------------------------------------------------- stages

  /** What task {@code i} of a stage reads. */
  private interface TaskInput {
    void emit(int task, Task context);
  }

  private void runStage(Stage stage, ExecutorService pool) {
    long start = System.nanoTime();
    int tasks;
    TaskInput input;
    Step root = stage.root;
    switch (root.kind) {
      case IMPULSE -> {
        tasks = 1;
        input = (t, ctx) -> ctx.emitRoot(WindowedValue.valueInGlobalWindow(new byte[0]));
      }
      case READ -> {
        List<? extends BoundedSource<?>> splits = splits(root);
        tasks = splits.size();
        input = (t, ctx) -> ctx.read(splits.get(t));
      }
      case GROUP_BY_KEY, COMBINE, STATEFUL_PARDO -> {
        tasks = partitions;
        input = (t, ctx) -> ctx.readShuffle(t);
      }
      case REBALANCE -> {
        tasks = partitions;
        Shuffle.Dealer dealer = new Shuffle.Dealer(shuffles.get(root), tasks);
        input = (t, ctx) -> ctx.readDealt(dealer, t);
      }
      default -> {
        List<List<WindowedValue<?>>> parts = new ArrayList<>();
        for (PCollection<?> in : root.inputs) {
          for (List<WindowedValue<?>> part : materialized.get(in)) {
            parts.add(part == null ? List.of() : part);
          }
        }
        // The materialised elements are split evenly over the partitions, whatever tasks wrote
        // them: one file read by one task of the stage before must not leave this stage to one
        // task too.
        long total = 0;
        for (List<WindowedValue<?>> part : parts) {
          total += part.size();
        }
        tasks = (int) Math.max(1, Math.min(partitions, total));
        long all = total;
        int n = tasks;
        input =
            (t, ctx) -> {
              long from = all * t / n;
              long to = all * (t + 1) / n;
              progress.in.add(to - from);
              long offset = 0;
              for (List<WindowedValue<?>> part : parts) {
                long end = offset + part.size();
                for (long i = Math.max(from, offset); i < Math.min(to, end); i++) {
                  ctx.rootOperator.accept(part.get((int) (i - offset)));
                }
                offset = end;
              }
            };
      }
    }
    // Sinks this stage fills.
    for (Step step : stage.steps) {
      for (PCollection<?> out : step.outputs.values()) {
        if (plan.materialized.contains(out)) {
          @SuppressWarnings("unchecked")
          List<WindowedValue<?>>[] lists = new List[tasks];
          materialized.put(out, lists);
        }
        for (Step consumer : plan.consumersOf(out)) {
          if (consumer.kind.isShuffle()) {
            shuffles.computeIfAbsent(
                consumer,
                k -> {
                  Shuffle shuffle = new Shuffle(partitions);
                  if (consumer.kind == Step.Kind.GROUP_BY_KEY
                      || consumer.kind == Step.Kind.STATEFUL_PARDO) {
                    shuffle.keyed(budget, keyCoder(out), elementCoder(out));
                  }
                  WindowingStrategy<?, ?> ws = out.getWindowingStrategy();
                  if (consumer.kind == Step.Kind.GROUP_BY_KEY
                      && ws.getWindowFn() instanceof GlobalWindows
                      && ws.getTrigger() instanceof DefaultTrigger) {
                    shuffle.compact(valueCoder(out));
                  }
                  return shuffle;
                });
          }
        }
      }
    }
    List<Future<Void>> futures = new ArrayList<>(tasks);
    ExecutorCompletionService<Void> completion = new ExecutorCompletionService<>(pool);
    for (int t = 0; t < tasks; t++) {
      int task = t;
      futures.add(
          completion.submit(
              () -> {
                runWithRetries(stage, task, tasks, input);
                return null;
              }));
    }
    long lastReport = System.nanoTime();
    progress.start(stage, tasks);
    for (int done = 0; done < tasks; ) {
      Future<Void> f;
      try {
        f = completion.poll(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(x -> x.cancel(true));
        throw new IllegalStateException("interrupted", e);
      }
      if (f == null) {
        if (!progress.live() && System.nanoTime() - lastReport > TimeUnit.SECONDS.toNanos(10)) {
          lastReport = System.nanoTime();
          LOG.info(
              "stage {}/{} {}: {}/{} tasks done, {} s",
              stage.id + 1,
              plan.stages.size(),
              stage.describe(),
              done,
              tasks,
              (System.nanoTime() - start) / 1_000_000_000L);
        }
        continue;
      }
      done++;
      progress.done.incrementAndGet();
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        futures.forEach(x -> x.cancel(true));
        throw new IllegalStateException("interrupted", e);
      } catch (ExecutionException e) {
        futures.forEach(x -> x.cancel(true));
        Throwable cause = e.getCause();
        if (cause instanceof StepFailedException sfe) {
          throw sfe;
        }
        throw new StepFailedException(stage.root.name, unwrap(cause));
      }
    }
    // Views whose input this stage produced are complete now.
    for (Step view : plan.views.values()) {
      PCollection<?> in = view.inputs.get(0);
      if (plan.producers.get(in).stage == stage) {
        List<WindowedValue<?>> all = new ArrayList<>();
        for (List<WindowedValue<?>> part : materialized.get(in)) {
          if (part != null) {
            all.addAll(part);
          }
        }
        PCollectionView<?> pcView =
            ((View.CreatePCollectionView<?, ?>) view.applied.getTransform()).getView();
        sideInputs.put(pcView, all);
      }
    }
    // Free what no later stage reads.
    if (root.kind.isShuffle()) {
      shuffles.remove(root).release();
    }
    materialized.keySet().removeIf(pc -> lastUse.getOrDefault(pc, -1) <= stage.id);
    progress.finish();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<Object> keyCoder(PCollection<?> pc) {
    return ((KvCoder) pc.getCoder()).getKeyCoder();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<Object> valueCoder(PCollection<?> pc) {
    return ((KvCoder) pc.getCoder()).getValueCoder();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  private static Coder<WindowedValue<KV<Object, Object>>> elementCoder(PCollection<?> pc) {
    return (Coder)
        WindowedValue.FullWindowedValueCoder.of(
            (Coder) pc.getCoder(), pc.getWindowingStrategy().getWindowFn().windowCoder());
  }

  private List<? extends BoundedSource<?>> splits(Step read) {
    BoundedSource<?> source =
        ((SplittableParDo.PrimitiveBoundedRead<?>) read.applied.getTransform()).getSource();
    try (Closeable c = MetricsEnvironment.scopedMetricsContainer(metrics.getContainer(read.name))) {
      long size = source.getEstimatedSizeBytes(options);
      long desired = Math.max(1, size / partitions);
      List<? extends BoundedSource<?>> splits = source.split(desired, options);
      if (splits != null && !splits.isEmpty()) {
        return splits;
      }
    } catch (Exception e) {
      LOG.debug("cannot split the source of {}; reading it whole", read.name, e);
    }
    return List.of(source);
  }

  static Throwable unwrap(Throwable t) {
    while ((t instanceof UserCodeException
            || t instanceof ExecutionException
            || t instanceof StepException)
        && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  /**
   * Runs one task, again from its inputs when it throws, up to {@code --maxTaskAttempts} times in
   * all. Its outputs (shuffle buckets, materialised partitions) and metrics replace those of a
   * failed attempt, so a retried task counts once.
   */
  private void runWithRetries(Stage stage, int task, int tasks, TaskInput input) {
    for (int attempt = 1; ; attempt++) {
      long cpu = THREADS.getCurrentThreadCpuTime();
      try {
        long start = System.nanoTime();
        new Task(stage, task).run(input);
        if (LOG.isDebugEnabled()) {
          LOG.debug(
              "stage {}/{} partition {} of {}: {} s, CPU {} s",
              stage.id + 1,
              plan.stages.size(),
              task + 1,
              tasks,
              String.format(Locale.ROOT, "%.3f", (System.nanoTime() - start) / 1e9),
              String.format(Locale.ROOT, "%.3f", (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9));
        }
        return;
      } catch (StepFailedException e) {
        String where =
            "stage "
                + (stage.id + 1)
                + "/"
                + plan.stages.size()
                + ", partition "
                + (task + 1)
                + " of "
                + tasks
                + ", attempt "
                + attempt
                + " of "
                + maxAttempts;
        if (e.getCause() instanceof OutOfMemoryError) {
          // Another attempt in the same heap fails the same way, only later.
          throw new StepFailedException(
              e.step(),
              where
                  + ", not retried: the heap ("
                  + (Runtime.getRuntime().maxMemory() >> 20)
                  + " MiB) is too small for this step; give the JVM more with -Xmx"
                  + " (TRIPFLOW_JAVA_OPTS=-Xmx8g for ./tripflow)",
              e.getCause());
        }
        if (attempt >= maxAttempts || Thread.currentThread().isInterrupted()) {
          throw new StepFailedException(e.step(), where, e.getCause());
        }
        LOG.warn("{}: {}; retrying", where, e.getMessage());
      } finally {
        progress.cpu.add(THREADS.getCurrentThreadCpuTime() - cpu);
      }
    }
  }

  /** The CPU time of the whole process so far, or -1 where the JVM does not tell it. */
  static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  /** The CPU time of the run's tasks (every attempt), in nanoseconds. */
  long tasksCpuNanos() {
    return progress.tasksCpuNanos();
  }

  // ---------------------------------------------------------------- tasks

  /**
   * The coder of a lifted combine's accumulators, with which its partials are kept encoded between
   * the pre-aggregation and the merge; null when the CombineFn cannot provide one (the partials are
   * then kept as objects).
   */
  @SuppressWarnings("unchecked")
  static Coder<Object> accumulatorCoder(
      Combine.CombineFn<Object, Object, Object> fn, PCollection<KV<Object, Object>> input) {
    if (!ENCODE_PARTIALS) {
      return null;
    }
    try {
      return fn.getAccumulatorCoder(
          input.getPipeline().getCoderRegistry(),
          ((KvCoder<Object, Object>) input.getCoder()).getValueCoder());
    } catch (org.apache.beam.sdk.coders.CannotProvideCoderException | RuntimeException e) {
      return null;
    }
  }

  /** Whether partials are kept encoded ({@code -Dtripflow.encodePartials=false}: as objects). */
  private static final boolean ENCODE_PARTIALS =
      Boolean.parseBoolean(System.getProperty("tripflow.encodePartials", "true"));

  private static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();

  /** How many elements a task counts before it adds them to the shared progress counters. */
  private static final int TALLY = 4096;

  /** One partition of one stage: fused operators wired by reference, run as one bundle. */
  private final class Task {
    private final Stage stage;
    private final int task;
    private final Map<Step, Operator> operators = new LinkedHashMap<>();
    // The end of each lifted combine's pre-aggregation, run as its step (errors name it).
    private final List<Receiver> combiners = new ArrayList<>();
    private final Map<PCollection<?>, Receiver> receivers = new HashMap<>();
    Operator rootOperator;
    private Receiver rootOut;
    private StatefulContext stateful;
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

    private final MetricsContainerStepMap taskMetrics = new MetricsContainerStepMap();

    Task(Stage stage, int task) {
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
        // The bundle's output is complete in memory: run the bundle finalizers.
        for (DoFn.BundleFinalizer.Callback callback : finalizers) {
          try {
            callback.onBundleSuccess();
          } catch (Exception e) {
            throw new StepException(stage.root.name, e);
          }
        }
        failed = false;
        synchronized (metrics) {
          metrics.updateAll(taskMetrics);
        }
      } catch (StepFailedException e) {
        throw e;
      } catch (RuntimeException | Error e) {
        throw new StepFailedException(failedStep(e), unwrap(e));
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
      for (Step c : new java.util.LinkedHashSet<>(plan.consumersOf(pc))) {
        if (stage.members.contains(c) && c != stage.root && operators.containsKey(c)) {
          for (PCollection<?> in : c.inputs) {
            if (in == pc) {
              list.add(guarded(c, operators.get(c)));
            }
          }
        } else if (c.kind == Step.Kind.REBALANCE) {
          List<Object>[] lists = shuffles.get(c).open(Shuffle.producer(stage.id, task));
          int[] next = {task % partitions};
          list.add(
              counted(
                  CoderBoundary.of(pc)
                      .before(
                          v -> {
                            lists[next[0]].add(v);
                            next[0] = (next[0] + 1) % partitions;
                          })));
        } else if (c.kind.isShuffle()) {
          Shuffle shuffle = shuffles.get(c);
          Coder<Object> keyCoder = ((KvCoder) pc.getCoder()).getKeyCoder();
          if (c.kind == Step.Kind.COMBINE) {
            Combine.CombineFn<Object, Object, Object> fn =
                (Combine.CombineFn<Object, Object, Object>)
                    SerializableUtils.clone(
                        (Combine.CombineFn<?, ?, ?>)
                            ((Combine.PerKey<?, ?, ?>) c.applied.getTransform()).getFn());
            Shuffle.CombiningWriter w =
                new Shuffle.CombiningWriter(
                    shuffle,
                    Shuffle.producer(stage.id, task),
                    keyCoder,
                    fn,
                    accumulatorCoder(fn, (PCollection<KV<Object, Object>>) pc),
                    pc.getWindowingStrategy().getTimestampCombiner(),
                    taskMetrics.getContainer(c.name));
            combiners.add(guarded(c, v -> w.flush()));
            list.add(counted(guarded(c, w)));
          } else {
            Receiver writer =
                shuffle.keyedWriter(
                    Shuffle.producer(stage.id, task),
                    taskMetrics
                        .getContainer(c.name)
                        .getCounter(
                            org.apache.beam.sdk.metrics.MetricName.named(
                                PartitionedRunner.class, "shuffleSpilledBytes")));
            // A compact shuffle encodes every record itself; one kept as objects crosses here.
            list.add(counted(shuffle.isCompact() ? writer : CoderBoundary.of(pc).before(writer)));
          }
        }
      }
      if (plan.materialized.contains(pc)) {
        List<WindowedValue<?>> sink = new ArrayList<>();
        materialized.get(pc)[task] = sink;
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

    // Elements in and out of this task not yet added to the shared progress counters: counted
    // here and published every TALLY elements, not with an atomic add per element.
    private long inPending;
    private long outPending;

    private void publishTally() {
      progress.in.add(inPending);
      progress.out.add(outPending);
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

    private Receiver guarded(Step step, Receiver r) {
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
              options,
              pools.get(s),
              sideInputs.declared(s.sideInputs),
              outs,
              stateless,
              DIRECT_PROCESS);
        case STATEFUL_PARDO:
          stateful = new StatefulContext(bundleFinalizer);
          return new Operators.ParDoOperator(
              s,
              container,
              options,
              pools.get(s),
              sideInputs.declared(s.sideInputs),
              outs,
              stateful,
              false);
        case WINDOW:
          return new Operators.WindowOperator(s, container, outs.values().iterator().next());
        case FLATTEN:
          return new Operators.FlattenOperator(s, container, outs.values().iterator().next());
        default:
          return null; // roots that are not operators: sources and shuffles
      }
    }

    void emitRoot(WindowedValue<?> v) {
      rootOut.accept(v);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    void read(BoundedSource<?> source) {
      var container = taskMetrics.getContainer(stage.root.name);
      try (Closeable c = MetricsEnvironment.scopedMetricsContainer(container);
          BoundedSource.BoundedReader<?> reader = source.createReader(options)) {
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

    /** Runs the stage over the rebalanced elements dealt to this task. */
    void readDealt(Shuffle.Dealer dealer, int task) {
      dealer.deal(task, rootOut);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    void readShuffle(int p) {
      Step root = stage.root;
      PCollection<?> in = root.inputs.get(0);
      WindowingStrategy<?, BoundedWindow> ws =
          (WindowingStrategy<?, BoundedWindow>) in.getWindowingStrategy();
      switch (root.kind) {
        case COMBINE -> {
          Combine.CombineFn<Object, Object, Object> fn =
              (Combine.CombineFn<Object, Object, Object>)
                  SerializableUtils.clone(
                      (Combine.CombineFn<?, ?, ?>)
                          ((Combine.PerKey<?, ?, ?>) root.applied.getTransform()).getFn());
          var container = taskMetrics.getContainer(root.name);
          try (Closeable c = MetricsEnvironment.scopedMetricsContainer(container)) {
            Shuffle.mergePartials(
                shuffles.get(root).read(p),
                ((KvCoder) in.getCoder()).getKeyCoder(),
                accumulatorCoder(fn, (PCollection<KV<Object, Object>>) in),
                fn,
                ws.getTimestampCombiner(),
                rootOut);
          } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
          }
        }
        case GROUP_BY_KEY -> {
          boolean simple = !ws.needsMerge() && ws.getTrigger() instanceof DefaultTrigger;
          Coder<Object> valueCoder = ((KvCoder) in.getCoder()).getValueCoder();
          Shuffle shuffle = shuffles.get(root);
          try {
            if (simple
                && shuffle.isCompact()
                && shuffle.emitGroups(p, ws.getTimestampCombiner(), rootOut)) {
              return;
            }
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
          try (Shuffle.KeyGroups groups = shuffle.keyGroups(p)) {
            while (groups.groups.hasNext()) {
              KV<Object, List<WindowedValue<KV<Object, Object>>>> group = groups.groups.next();
              if (simple) {
                for (WindowedValue<?> v :
                    Shuffle.groupByWindow(
                        group.getKey(), group.getValue(), ws.getTimestampCombiner())) {
                  rootOut.accept(v);
                }
              } else {
                reduce(group.getKey(), group.getValue(), ws, valueCoder);
              }
            }
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
        case STATEFUL_PARDO -> {
          try (Shuffle.KeyGroups groups = shuffles.get(root).keyGroups(p)) {
            runStateful(groups.groups);
          } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        }
        default -> throw new IllegalStateException("not a shuffle: " + root);
      }
    }

    /** GroupAlsoByWindow for merging windows and triggers: one ReduceFnRunner per key. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void reduce(
        Object key,
        List<WindowedValue<KV<Object, Object>>> elements,
        WindowingStrategy<?, BoundedWindow> ws,
        Coder<Object> valueCoder) {
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
                rootOut.accept(WindowedValue.of(value, timestamp, windows, pane));
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
                sideInputs,
                SystemReduceFn.buffering(valueCoder),
                options);
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

    /** A stateful ParDo: per key, fresh state and timers; timers fire at the end of the input. */
    @SuppressWarnings({"unchecked", "rawtypes"})
    private void runStateful(
        java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups) {
      Operators.ParDoOperator op = (Operators.ParDoOperator) rootOperator;
      DoFn<?, ?> fn = ((ParDo.MultiOutput<?, ?>) stage.root.applied.getTransform()).getFn();
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
          stateful.set(InMemoryStateInternals.forKey(key), timers);
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

  /** The state and timers of the key being processed by a stateful ParDo. */
  private static final class StatefulContext implements StepContext {
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

  /** A failure inside a fused step, carrying the step's name to the task. */
  /**
   * Whether plain DoFns are called directly ({@link Operators.DirectProcess}); {@code
   * -Dtripflow.directProcess=false} sends every DoFn through Beam's {@code SimpleDoFnRunner}, to
   * compare.
   */
  static final boolean DIRECT_PROCESS =
      !"false".equals(System.getProperty("tripflow.directProcess"));

  static final class StepException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String step;

    StepException(String step, Throwable cause) {
      super(cause);
      this.step = step;
    }
  }
}
