package dev.tripflow.runners.partitioned.translate;

import dev.tripflow.runners.partitioned.plan.Plan;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.runners.TransformHierarchy;

/**
 * Translates a pipeline into the runner's physical plan: its transforms are visited in topological
 * order and each is given to its translator from {@link Translators}'s table; the plan then fuses
 * the steps into stages.
 */
public final class PipelineTranslator extends Pipeline.PipelineVisitor.Defaults {
  private final TranslationContext context;

  private PipelineTranslator(Pipeline pipeline) {
    this.context = new TranslationContext(pipeline);
  }

  /**
   * The physical plan of {@code pipeline} (whose runner overrides were applied).
   *
   * @throws UnsupportedOperationException naming a step no translator takes
   * @throws IllegalArgumentException naming a ParDo whose DoFn cannot take its input
   */
  public static Plan translate(Pipeline pipeline) {
    PipelineTranslator visitor = new PipelineTranslator(pipeline);
    pipeline.traverseTopologically(visitor);
    return visitor.context.plan().fuse();
  }

  @Override
  public CompositeBehavior enterCompositeTransform(TransformHierarchy.Node node) {
    TransformTranslator t = Translators.lookup(Translators.COMPOSITES, node.getTransform());
    if (t != null && t.canTranslate(node)) {
      t.translate(node, context);
      return CompositeBehavior.DO_NOT_ENTER_TRANSFORM;
    }
    return CompositeBehavior.ENTER_TRANSFORM;
  }

  @Override
  public void visitPrimitiveTransform(TransformHierarchy.Node node) {
    TransformTranslator t = Translators.lookup(Translators.PRIMITIVES, node.getTransform());
    if (t == null) {
      throw new UnsupportedOperationException(
          "PartitionedRunner cannot run step '"
              + node.getFullName()
              + "': "
              + node.getTransform().getClass().getName()
              + " is not a primitive of bounded pipelines (an unbounded source or TestStream?)");
    }
    t.translate(node, context);
  }
}
