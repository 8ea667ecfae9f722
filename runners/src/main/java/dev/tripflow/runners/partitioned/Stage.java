package dev.tripflow.runners.partitioned;

import java.util.ArrayList;
import java.util.List;

/**
 * A unit of scheduling: a root (a source, a shuffle, or a step over materialised inputs) and the
 * steps fused after it, run as one task per partition with elements passed by reference.
 */
final class Stage {
  int id;
  final Step root;

  /** The root followed by the steps fused into this stage, in topological order. */
  final List<Step> steps = new ArrayList<>();

  /** The same steps, for membership tests (a step unzipped from a Flatten is in several). */
  final java.util.Set<Step> members = new java.util.HashSet<>();

  Stage(int id, Step root) {
    this.id = id;
    this.root = root;
    add(root);
  }

  void add(Step step) {
    steps.add(step);
    members.add(step);
  }

  String describe() {
    StringBuilder b = new StringBuilder(root.name);
    if (steps.size() > 1) {
      b.append(" (+").append(steps.size() - 1).append(" fused)");
    }
    return b.toString();
  }
}
