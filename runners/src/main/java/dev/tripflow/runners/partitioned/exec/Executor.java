package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.ProgressOptions;
import dev.tripflow.runners.partitioned.plan.Plan;
import dev.tripflow.runners.partitioned.plan.Stage;
import dev.tripflow.runners.partitioned.plan.Step;
import dev.tripflow.runners.partitioned.shuffle.ElementBuffer;
import dev.tripflow.runners.partitioned.shuffle.Shuffle;
import dev.tripflow.runners.partitioned.shuffle.Spill;
import java.io.Closeable;
import java.util.ArrayList;
import java.util.HashMap;
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
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.io.BoundedSource;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.util.UserCodeException;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

public final class Executor {
  private static final Logger LOG = LoggerFactory.getLogger(Executor.class);

  final Plan plan;
  final PipelineOptions options;
  final int partitions;
  public final MetricsContainerStepMap metrics = new MetricsContainerStepMap();
  final SideInputs sideInputs = new SideInputs();
  final Map<PCollection<?>, ElementBuffer[]> materialized = new HashMap<>();
  final Map<Step, Shuffle> shuffles = new HashMap<>();
  final Map<Step, DoFnPool> pools = new HashMap<>();
  private final Map<PCollection<?>, Integer> lastUse = new HashMap<>();
  private final int maxAttempts;
  final Spill.Budget budget;
  Progress progress;
  RunListener listener = RunListener.NONE;

  /** The settings of a run, from the runner's options. */
  public record Settings(
      int partitions,
      int maxTaskAttempts,
      long shuffleMemoryBytes,
      java.nio.file.Path spillDirectory,
      int preAggregationKeys) {}

  /**
   * The namespace of the runner's own metrics (shuffleSpilledBytes): the runner's public class, so
   * that users filter them by {@code PartitionedRunner.class}.
   */
  public static final String METRICS_NAMESPACE =
      "dev.tripflow.runners.partitioned.PartitionedRunner";

  final Settings settings;

  public Executor(Plan plan, PipelineOptions options, Settings settings) {
    this.plan = plan;
    this.options = options;
    this.settings = settings;
    this.partitions = settings.partitions();
    this.maxAttempts = settings.maxTaskAttempts();
    this.budget = new Spill.Budget(settings.shuffleMemoryBytes(), settings.spillDirectory());
    for (Step step : plan.steps) {
      if (step.kind == Step.Kind.PARDO || step.kind == Step.Kind.STATEFUL_PARDO) {
        pools.put(
            step,
            new DoFnPool(((ParDo.MultiOutput<?, ?>) step.applied.getTransform()).getFn(), options));
      }
      for (PCollection<?> in : step.inputs) {
        lastUse.merge(in, step.stage().id(), Math::max);
      }
    }
  }

  /** Tells {@code listener} about the run's stages and tasks as they go. */
  public void listener(RunListener listener) {
    this.listener = listener;
  }

  public void run() {
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
    progress = new Progress(plan.stages.size(), options.as(ProgressOptions.class).getVerbose());
    try {
      for (Stage stage : plan.stages) {
        try {
          runStage(stage, pool);
        } catch (RuntimeException e) {
          listener.stageEnded(stage, e);
          throw e;
        }
        listener.stageEnded(stage, null);
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

  private void runStage(Stage stage, ExecutorService pool) {
    int tasks;
    TaskInput input;
    Step root = stage.root;
    if (root.exchange != null) {
      tasks = partitions;
      input = Exchanges.of(root.exchange).reader(root, shuffles.get(root), tasks);
    } else if (root.kind == Step.Kind.IMPULSE) {
      tasks = 1;
      input = (t, ctx) -> ctx.emitRoot(WindowedValue.valueInGlobalWindow(new byte[0]));
    } else if (root.kind == Step.Kind.READ) {
      List<? extends BoundedSource<?>> splits = splits(root);
      tasks = splits.size();
      input = (t, ctx) -> ctx.read(splits.get(t));
    } else {
      List<ElementBuffer> parts = new ArrayList<>();
      for (PCollection<?> in : root.inputs) {
        for (ElementBuffer part : materialized.get(in)) {
          if (part != null) {
            parts.add(part);
          }
        }
      }
      // The materialised elements are split evenly over the partitions, whatever tasks wrote
      // them: one file read by one task of the stage before must not leave this stage to one
      // task too.
      long total = 0;
      for (ElementBuffer part : parts) {
        total += part.size();
      }
      tasks = (int) Math.max(1, Math.min(partitions, total));
      long all = total;
      int n = tasks;
      input =
          (t, ctx) -> {
            long from = all * t / n;
            long to = all * (t + 1) / n;
            ctx.materializedIn += to - from;
            progress.in.add(to - from);
            long offset = 0;
            for (ElementBuffer part : parts) {
              long end = offset + part.size();
              if (from < end && to > offset) {
                part.forEach(
                    Math.max(from, offset) - offset,
                    Math.min(to, end) - offset,
                    ctx.rootOperator::accept);
              }
              offset = end;
            }
          };
    }
    // Sinks this stage fills.
    for (Step step : stage.steps) {
      for (PCollection<?> out : step.outputs.values()) {
        if (plan.isMaterialized(out)) {
          materialized.put(out, new ElementBuffer[tasks]);
        }
        for (Step consumer : plan.consumersOf(out)) {
          if (consumer.exchange != null) {
            shuffles.computeIfAbsent(
                consumer,
                k -> Exchanges.of(consumer.exchange).create(consumer, out, budget, partitions));
          }
        }
      }
    }
    listener.stageStarted(stage, tasks);
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
        progress.heartbeat();
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
      if (plan.producer(in).stage() == stage) {
        PCollectionView<?> pcView =
            ((View.CreatePCollectionView<?, ?>) view.applied.getTransform()).getView();
        sideInputs.put(pcView, sideInput(view, materialized.get(in)));
      }
    }
    // Free what no later stage reads.
    if (root.exchange != null) {
      shuffles.remove(root).release();
    }
    materialized
        .entrySet()
        .removeIf(
            e -> {
              if (lastUse.getOrDefault(e.getKey(), -1) > stage.id()) {
                return false;
              }
              for (ElementBuffer b : e.getValue()) {
                if (b != null) {
                  b.release();
                }
              }
              return true;
            });
    progress.finish();
  }

  /**
   * A view's elements, all in memory as side inputs are read: refused, naming the view, when their
   * estimated size is over the memory budget (they would take the heap the shuffles need, or more
   * than it has).
   */
  private List<WindowedValue<?>> sideInput(Step view, ElementBuffer[] parts) {
    long count = 0;
    long bytes = 0;
    for (ElementBuffer part : parts) {
      if (part != null) {
        count += part.size();
        bytes += part.estimatedBytes();
      }
    }
    if (bytes > settings.shuffleMemoryBytes()) {
      throw new StepFailedException(
          view.name,
          new IllegalStateException(
              String.format(
                  Locale.ROOT,
                  "the side input %s holds %,d elements, about %,d MiB in memory, more than the"
                      + " memory budget of %,d MiB (--shuffleMemoryMb, 40%% of the heap by"
                      + " default): give the JVM more heap, or join with a CoGroupByKey instead",
                  view.inputs.get(0).getName(),
                  count,
                  bytes >> 20,
                  settings.shuffleMemoryBytes() >> 20)));
    }
    List<WindowedValue<?>> all = new ArrayList<>((int) Math.min(count, Integer.MAX_VALUE - 8));
    for (ElementBuffer part : parts) {
      if (part != null) {
        part.forEach(0, part.size(), all::add);
      }
    }
    return all;
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
      listener.taskStarted(stage, task, attempt);
      Task running = new Task(this, stage, task);
      Throwable failed = null;
      try {
        long start = System.nanoTime();
        running.run(input);
        if (LOG.isDebugEnabled()) {
          LOG.debug(
              "stage {}/{} partition {} of {}: {} s, CPU {} s",
              stage.id() + 1,
              plan.stages.size(),
              task + 1,
              tasks,
              String.format(Locale.ROOT, "%.3f", (System.nanoTime() - start) / 1e9),
              String.format(Locale.ROOT, "%.3f", (THREADS.getCurrentThreadCpuTime() - cpu) / 1e9));
        }
        return;
      } catch (StepFailedException e) {
        failed = e;
        String where =
            "stage "
                + (stage.id() + 1)
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
      } catch (RuntimeException | Error e) {
        failed = e;
        throw e;
      } finally {
        long used = THREADS.getCurrentThreadCpuTime() - cpu;
        progress.cpu.add(used);
        listener.taskEnded(
            stage,
            task,
            attempt,
            running.elementsIn(),
            running.elementsOut(),
            running.spilledBytes(),
            used,
            failed);
      }
    }
  }

  /** The CPU time of the whole process so far, or -1 where the JVM does not tell it. */
  public static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean()
            instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime()
        : -1;
  }

  /** The CPU time of the run's tasks (every attempt), in nanoseconds. */
  public long tasksCpuNanos() {
    return progress.tasksCpuNanos();
  }

  // ---------------------------------------------------------------- tasks

  static final java.lang.management.ThreadMXBean THREADS =
      java.lang.management.ManagementFactory.getThreadMXBean();
}
