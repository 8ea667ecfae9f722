package dev.tripflow.runners.partitioned;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.util.construction.TransformInputs;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PValue;
import org.apache.beam.sdk.values.TupleTag;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * The pipeline cut into stages. Steps are visited once in topological order: sources and shuffles
 * (GroupByKey, a lifted Combine, a stateful ParDo) start stages; a ParDo, Window or Flatten is
 * fused into the stage of its input when all its inputs come from that stage and every side input
 * it reads is complete before that stage starts; otherwise it starts a stage over materialised
 * inputs. Stage ids are a valid execution order.
 */
final class Plan {
  final List<Step> steps = new ArrayList<>();
  final List<Stage> stages = new ArrayList<>();
  final Map<PCollection<?>, Step> producers = new HashMap<>();
  final Map<PCollection<?>, List<Step>> consumers = new HashMap<>();

  /** PCollections whose elements are kept per partition after their stage. */
  final Set<PCollection<?>> materialized = new HashSet<>();

  /** View steps by the tag of their view. */
  final Map<TupleTag<?>, Step> views = new LinkedHashMap<>();

  static Plan of(Pipeline pipeline) {
    Plan plan = new Plan();
    pipeline.traverseTopologically(plan.new Visitor());
    return plan;
  }

  /** Consumers of {@code pc} in other stages than its producer's, or of a shuffle or view kind. */
  List<Step> consumersOf(PCollection<?> pc) {
    return consumers.getOrDefault(pc, List.of());
  }

  private final class Visitor extends Pipeline.PipelineVisitor.Defaults {
    private Pipeline pipeline;

    @Override
    public void enterPipeline(Pipeline p) {
      this.pipeline = p;
    }

    @Override
    public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
      PTransform<?, ?> t = node.getTransform();
      if (t instanceof Combine.PerKey && liftable(node)) {
        add(Step.Kind.COMBINE, node);
        return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
      }
      return CompositeBehavior.ENTER_TRANSFORM;
    }

    @Override
    public void visitPrimitiveTransform(TransformHierarchy.Node node) {
      PTransform<?, ?> t = node.getTransform();
      Step.Kind kind;
      if (t instanceof Impulse) {
        kind = Step.Kind.IMPULSE;
      } else if (t instanceof SplittableParDo.PrimitiveBoundedRead) {
        kind = Step.Kind.READ;
      } else if (t instanceof ParDo.MultiOutput) {
        kind =
            DoFnSignatures.isStateful(((ParDo.MultiOutput<?, ?>) t).getFn())
                    || DoFnSignatures.requiresTimeSortedInput(((ParDo.MultiOutput<?, ?>) t).getFn())
                ? Step.Kind.STATEFUL_PARDO
                : Step.Kind.PARDO;
      } else if (t instanceof GroupByKey) {
        kind = Step.Kind.GROUP_BY_KEY;
      } else if (t instanceof Flatten.PCollections) {
        kind = Step.Kind.FLATTEN;
      } else if (t instanceof Window.Assign) {
        kind = Step.Kind.WINDOW;
      } else if (t instanceof View.CreatePCollectionView) {
        kind = Step.Kind.VIEW;
      } else {
        throw new UnsupportedOperationException(
            "PartitionedRunner cannot run step '"
                + node.getFullName()
                + "': "
                + t.getClass().getName()
                + " is not a primitive of bounded pipelines (an unbounded source or TestStream?)");
      }
      add(kind, node);
    }

    private boolean liftable(TransformHierarchy.Node node) {
      Combine.PerKey<?, ?, ?> combine = (Combine.PerKey<?, ?, ?>) node.getTransform();
      GlobalCombineFn<?, ?, ?> fn = combine.getFn();
      if (!(fn instanceof Combine.CombineFn) || !combine.getSideInputs().isEmpty()) {
        return false;
      }
      PCollection<?> input = (PCollection<?>) node.getInputs().values().iterator().next();
      WindowingStrategy<?, ?> ws = input.getWindowingStrategy();
      return !ws.needsMerge() && ws.getTrigger() instanceof DefaultTrigger;
    }

    private void add(Step.Kind kind, TransformHierarchy.Node node) {
      AppliedPTransform<?, ?, ?> applied = node.toAppliedPTransform(pipeline);
      List<PCollection<?>> inputs = new ArrayList<>();
      if (kind == Step.Kind.FLATTEN) {
        for (PValue v : node.getInputs().values()) {
          inputs.add((PCollection<?>) v);
        }
      } else {
        for (PValue v : TransformInputs.nonAdditionalInputs(applied)) {
          inputs.add((PCollection<?>) v);
        }
      }
      List<PCollectionView<?>> sideInputs = new ArrayList<>();
      if (node.getTransform() instanceof ParDo.MultiOutput) {
        sideInputs.addAll(((ParDo.MultiOutput<?, ?>) node.getTransform()).getSideInputs().values());
      }
      Step step = new Step(steps.size(), kind, applied, inputs, sideInputs);
      steps.add(step);
      for (PCollection<?> in : inputs) {
        consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(step);
      }
      for (PCollection<?> out : step.outputs.values()) {
        producers.put(out, step);
      }
      place(step);
    }

    private void place(Step step) {
      if (step.kind == Step.Kind.VIEW) {
        materialized.add(step.inputs.get(0));
        views.put(
            ((View.CreatePCollectionView<?, ?>) step.applied.getTransform())
                .getView()
                .getTagInternal(),
            step);
        step.stage = producers.get(step.inputs.get(0)).stage;
        return;
      }
      if (step.kind.isRoot()) {
        newStage(step);
        return;
      }
      Stage candidate = step.inputs.isEmpty() ? null : producers.get(step.inputs.get(0)).stage;
      boolean fuse = candidate != null;
      for (PCollection<?> in : step.inputs) {
        fuse &= producers.get(in).stage == candidate;
      }
      for (PCollectionView<?> view : step.sideInputs) {
        Step viewStep = views.get(view.getTagInternal());
        fuse &= viewStep != null && candidate != null && viewStep.stage.id < candidate.id;
      }
      if (fuse) {
        step.stage = candidate;
        candidate.steps.add(step);
      } else {
        materialized.addAll(step.inputs);
        newStage(step);
      }
    }

    private void newStage(Step step) {
      Stage stage = new Stage(stages.size(), step);
      stages.add(stage);
      step.stage = stage;
    }
  }
}
