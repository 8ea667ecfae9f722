package dev.tripflow.runners.partitioned;

import java.util.ArrayList;
import java.util.List;

/**
 * A unit of scheduling: a root (a source, a shuffle, or a step over materialised inputs) and the
 * steps fused after it, run as one task per partition with elements passed by reference.
 */
final class Stage {
  final int id;
  final Step root;

  /** The root followed by the steps fused into this stage, in topological order. */
  final List<Step> steps = new ArrayList<>();

  Stage(int id, Step root) {
    this.id = id;
    this.root = root;
    steps.add(root);
  }

  /** Whether the root reads materialised inputs rather than a source or a shuffle. */
  boolean readsMaterialized() {
    return !root.kind.isRoot();
  }

  String describe() {
    StringBuilder b = new StringBuilder(root.name);
    if (steps.size() > 1) {
      b.append(" (+").append(steps.size() - 1).append(" fused)");
    }
    return b.toString();
  }
}
