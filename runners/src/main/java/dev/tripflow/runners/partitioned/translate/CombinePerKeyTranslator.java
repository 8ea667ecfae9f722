package dev.tripflow.runners.partitioned.translate;

import dev.tripflow.runners.partitioned.plan.Exchange;
import dev.tripflow.runners.partitioned.plan.Step;
import java.util.List;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.CombineFnBase.GlobalCombineFn;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * Combine.perKey run natively, lifted: each task pre-aggregates its elements per key and only the
 * partials cross the shuffle. Taken when the CombineFn is a plain one without side inputs and the
 * windows do not merge under the default trigger; otherwise its expansion (a GroupByKey and a
 * ParDo) runs.
 */
final class CombinePerKeyTranslator implements TransformTranslator {
  @Override
  public boolean canTranslate(TransformHierarchy.Node node) {
    Combine.PerKey<?, ?, ?> combine = (Combine.PerKey<?, ?, ?>) node.getTransform();
    GlobalCombineFn<?, ?, ?> fn = combine.getFn();
    if (!(fn instanceof Combine.CombineFn) || !combine.getSideInputs().isEmpty()) {
      return false;
    }
    PCollection<?> input = (PCollection<?>) node.getInputs().values().iterator().next();
    WindowingStrategy<?, ?> ws = input.getWindowingStrategy();
    return !ws.needsMerge() && ws.getTrigger() instanceof DefaultTrigger;
  }

  @Override
  public void translate(TransformHierarchy.Node node, TranslationContext ctx) {
    ctx.add(Step.Kind.COMBINE, node, List.of(), Exchange.COMBINE_PARTIALS);
  }
}
