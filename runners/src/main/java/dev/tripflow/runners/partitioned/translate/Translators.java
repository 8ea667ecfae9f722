package dev.tripflow.runners.partitioned.translate;

import dev.tripflow.runners.partitioned.plan.Exchange;
import dev.tripflow.runners.partitioned.plan.Step;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.runners.TransformHierarchy;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.Impulse;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.reflect.DoFnSignatures;
import org.apache.beam.sdk.transforms.windowing.DefaultTrigger;
import org.apache.beam.sdk.transforms.windowing.GlobalWindows;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.util.construction.SplittableParDo;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * The table of translators: one per primitive the runner executes, and one per composite it runs
 * natively instead of its expansion. A transform whose class is not here is refused by name.
 */
final class Translators {
  private Translators() {}

  /** Primitives, by their transform's class. */
  static final Map<Class<?>, TransformTranslator> PRIMITIVES =
      Map.of(
          Impulse.class, (node, ctx) -> ctx.add(Step.Kind.IMPULSE, node, List.of(), null),
          SplittableParDo.PrimitiveBoundedRead.class,
              (node, ctx) -> ctx.add(Step.Kind.READ, node, List.of(), null),
          ParDo.MultiOutput.class, Translators::parDo,
          GroupByKey.class, Translators::groupByKey,
          Flatten.PCollections.class, (node, ctx) -> ctx.addOverAllInputs(Step.Kind.FLATTEN, node),
          Window.Assign.class, (node, ctx) -> ctx.add(Step.Kind.WINDOW, node, List.of(), null),
          View.CreatePCollectionView.class,
              (node, ctx) -> ctx.add(Step.Kind.VIEW, node, List.of(), null));

  /** Composites run natively, by their transform's class. */
  static final Map<Class<?>, TransformTranslator> COMPOSITES =
      Map.of(
          Combine.PerKey.class,
          new CombinePerKeyTranslator(),
          Reshuffle.ViaRandomKey.class,
          (node, ctx) -> ctx.add(Step.Kind.REBALANCE, node, List.of(), Exchange.DEALT));

  /** A ParDo: stateful (its input shuffled by key) or fused where its inputs are. */
  private static void parDo(TransformHierarchy.Node node, TranslationContext ctx) {
    ParDo.MultiOutput<?, ?> parDo = (ParDo.MultiOutput<?, ?>) node.getTransform();
    boolean stateful =
        DoFnSignatures.isStateful(parDo.getFn())
            || DoFnSignatures.requiresTimeSortedInput(parDo.getFn());
    ctx.add(
        stateful ? Step.Kind.STATEFUL_PARDO : Step.Kind.PARDO,
        node,
        List.copyOf(parDo.getSideInputs().values()),
        stateful ? Exchange.KEYED_STATE : null);
  }

  /**
   * A GroupByKey: in the global window with the default trigger its records stay encoded; other
   * non-merging windows are grouped as objects; merging windows and triggers go through Beam's
   * ReduceFnRunner per key.
   */
  private static void groupByKey(TransformHierarchy.Node node, TranslationContext ctx) {
    PCollection<?> input = (PCollection<?>) node.getInputs().values().iterator().next();
    WindowingStrategy<?, ?> ws = input.getWindowingStrategy();
    boolean defaultTrigger = ws.getTrigger() instanceof DefaultTrigger;
    Exchange exchange;
    if (ws.getWindowFn() instanceof GlobalWindows && defaultTrigger) {
      exchange = Exchange.GROUP_ENCODED;
    } else if (!ws.needsMerge() && defaultTrigger) {
      exchange = Exchange.GROUP_OBJECTS;
    } else {
      exchange = Exchange.GROUP_MERGING;
    }
    ctx.add(Step.Kind.GROUP_BY_KEY, node, List.of(), exchange);
  }

  /** The translator in {@code table} of {@code transform}'s class or a superclass, or null. */
  static TransformTranslator lookup(
      Map<Class<?>, TransformTranslator> table, PTransform<?, ?> transform) {
    for (Class<?> c = transform == null ? null : transform.getClass();
        c != null;
        c = c.getSuperclass()) {
      TransformTranslator t = table.get(c);
      if (t != null) {
        return t;
      }
    }
    return null;
  }
}
