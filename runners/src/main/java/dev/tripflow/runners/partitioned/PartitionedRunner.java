package dev.tripflow.runners.partitioned;

import dev.tripflow.runners.partitioned.exec.Executor;
import dev.tripflow.runners.partitioned.exec.SplittableProcess;
import dev.tripflow.runners.partitioned.plan.Explain;
import dev.tripflow.runners.partitioned.plan.Plan;
import dev.tripflow.runners.partitioned.translate.PipelineTranslator;
import dev.tripflow.runners.partitioned.ui.LiveRun;
import java.util.List;
import org.apache.beam.runners.core.metrics.MetricsContainerStepMap;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.PipelineRunner;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.PTransformMatcher;
import org.apache.beam.sdk.runners.PTransformOverride;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.util.construction.PTransformMatchers;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * tripflow's in-process runner for bounded pipelines, like Spark's {@code local[N]}: the pipeline
 * is cut into stages at shuffles; each stage runs as N partition tasks on N threads, elements
 * passing by reference through the fused steps of a task; a lifted Combine pre-aggregates before
 * its shuffle; side inputs are materialised once and shared. Select it with {@code
 * --runner=PartitionedRunner} and size it with {@code --partitions=N}.
 */
public final class PartitionedRunner extends PipelineRunner<PipelineResult> {
  private static final Logger LOG = LoggerFactory.getLogger(PartitionedRunner.class);

  private final PipelineOptions options;

  private PartitionedRunner(PipelineOptions options) {
    this.options = options;
  }

  /** Creates the runner; Beam calls this for {@code --runner=PartitionedRunner}. */
  public static PartitionedRunner fromOptions(PipelineOptions options) {
    PartitionedPipelineOptions.effectivePartitions(options);
    return new PartitionedRunner(options);
  }

  @Override
  public PipelineResult run(Pipeline pipeline) {
    MetricsEnvironment.setMetricsSupported(true);
    int partitions = PartitionedPipelineOptions.effectivePartitions(options);
    prepare(pipeline);
    Plan plan = PipelineTranslator.translate(pipeline);
    LOG.debug(
        "planned {} steps into {} stages on {} partitions",
        plan.steps.size(),
        plan.stages.size(),
        partitions);
    if (options.as(PartitionedPipelineOptions.class).getExplain()) {
      System.err.print(Explain.of(plan, partitions));
      System.err.flush();
    }
    Executor executor = new Executor(plan, options, settings(options, partitions));
    LiveRun live = liveRun(plan, options, partitions);
    executor.listener(live.listener());
    try {
      executor.run();
    } catch (RuntimeException | Error e) {
      live.finished(
          "FAILED", e, MetricsContainerStepMap.asAttemptedOnlyMetricResults(executor.metrics));
      throw e;
    }
    PartitionedPipelineResult result =
        new PartitionedPipelineResult(
            PipelineResult.State.DONE, executor.metrics, executor.tasksCpuNanos());
    live.finished("DONE", null, result.metrics());
    return result;
  }

  /** The run's event log and web UI, as its options ask. */
  private static LiveRun liveRun(Plan plan, PipelineOptions options, int partitions) {
    PartitionedPipelineOptions po = options.as(PartitionedPipelineOptions.class);
    String dir = po.getEventLogDir();
    return new LiveRun(
        plan,
        options,
        partitions,
        dir == null || dir.isBlank() || dir.equals("none") ? null : java.nio.file.Path.of(dir),
        po.getUi() ? po.getUiPort() : -1,
        po.getUiWaitSeconds());
  }

  /**
   * The physical plan this runner would run {@code pipeline} with, as text: its stages in the order
   * they run, each stage's fused steps, what each stage reads (a source, a shuffle and the kind of
   * exchange chosen for it, or materialised collections) and what it writes. Like SQL's {@code
   * EXPLAIN}: nothing is run. The pipeline's runner overrides are applied, as {@link #run} would.
   */
  public static String explain(Pipeline pipeline) {
    PipelineOptions options = pipeline.getOptions();
    int partitions = PartitionedPipelineOptions.effectivePartitions(options);
    prepare(pipeline);
    return Explain.of(PipelineTranslator.translate(pipeline), partitions);
  }

  private static Executor.Settings settings(PipelineOptions options, int partitions) {
    PartitionedPipelineOptions po = options.as(PartitionedPipelineOptions.class);
    long shuffleMemory =
        po.getShuffleMemoryMb() > 0
            ? po.getShuffleMemoryMb() * (1L << 20)
            : (long) (Runtime.getRuntime().maxMemory() * 0.4);
    String dir =
        po.getSpillDirectory() != null
            ? po.getSpillDirectory()
            : System.getProperty("java.io.tmpdir");
    return new Executor.Settings(
        partitions,
        po.getMaxTaskAttempts(),
        shuffleMemory,
        java.nio.file.Path.of(dir),
        po.getPreAggregationKeys());
  }

  /**
   * A multi-output ParDo of a splittable DoFn, found from the DoFn's signature rather than by
   * translating every ParDo to its proto as Beam's own matcher does (which serialises each DoFn).
   */
  static final PTransformMatcher SPLITTABLE_PAR_DO =
      new PTransformMatcher() {
        @Override
        public boolean matches(AppliedPTransform<?, ?, ?> application) {
          return application.getTransform() instanceof ParDo.MultiOutput<?, ?> parDo
              && DoFnSignatures.signatureForDoFn(parDo.getFn()).processElement().isSplittable();
        }

        @Override
        public String toString() {
          return "SplittableParDoMatcher";
        }
      };

  /**
   * The overrides a bounded batch runner needs: Read.Bounded becomes a primitive read the runner
   * splits itself, and splittable DoFns run each restriction to its end in one call.
   */
  static void prepare(Pipeline pipeline) {
    SplittableParDo.convertReadBasedSplittableDoFnsToPrimitiveReads(pipeline);
    pipeline.replaceAll(
        List.of(
            PTransformOverride.of(SPLITTABLE_PAR_DO, new SplittableParDo.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedBounded(),
                new SplittableProcess.OverrideFactory<>()),
            PTransformOverride.of(
                PTransformMatchers.splittableProcessKeyedUnbounded(),
                new SplittableProcess.OverrideFactory<>())));
  }
}
