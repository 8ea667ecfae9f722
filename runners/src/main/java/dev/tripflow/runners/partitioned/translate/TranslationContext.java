package dev.tripflow.runners.partitioned.translate;

import dev.tripflow.runners.partitioned.plan.Exchange;
import dev.tripflow.runners.partitioned.plan.Plan;
import dev.tripflow.runners.partitioned.plan.Step;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.util.construction.TransformInputs;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.PValue;

/** What a translator adds its step to: the plan being built, and the pipeline's transforms. */
final class TranslationContext {
  private final Pipeline pipeline;
  private final Plan plan = new Plan();

  TranslationContext(Pipeline pipeline) {
    this.pipeline = pipeline;
  }

  Plan plan() {
    return plan;
  }

  AppliedPTransform<?, ?, ?> applied(TransformHierarchy.Node node) {
    return node.toAppliedPTransform(pipeline);
  }

  /** Adds a step whose inputs are the transform's main inputs (not its side inputs). */
  Step add(
      Step.Kind kind,
      TransformHierarchy.Node node,
      List<PCollectionView<?>> sideInputs,
      Exchange exchange) {
    AppliedPTransform<?, ?, ?> applied = applied(node);
    List<PCollection<?>> inputs = new ArrayList<>();
    for (PValue v : TransformInputs.nonAdditionalInputs(applied)) {
      inputs.add((PCollection<?>) v);
    }
    return plan.add(kind, applied, inputs, sideInputs, exchange);
  }

  /** Adds a step reading every input of the transform (a Flatten, whose inputs may repeat). */
  Step addOverAllInputs(Step.Kind kind, TransformHierarchy.Node node) {
    List<PCollection<?>> inputs = new ArrayList<>();
    for (PValue v : node.getInputs().values()) {
      inputs.add((PCollection<?>) v);
    }
    return plan.add(kind, applied(node), inputs, List.of(), null);
  }
}
