package dev.tripflow.runners.partitioned.translate;

import org.apache.beam.sdk.runners.TransformHierarchy;

/**
 * Turns one kind of Beam transform into a step of the plan. A translator of a composite transform
 * (a Combine.perKey, a Reshuffle) takes it whole when {@link #canTranslate} says so; otherwise the
 * pipeline's traversal goes into the composite and translates its parts.
 */
interface TransformTranslator {
  /** Whether this translator takes {@code node}; a primitive's translator always does. */
  default boolean canTranslate(TransformHierarchy.Node node) {
    return true;
  }

  void translate(TransformHierarchy.Node node, TranslationContext context);
}
