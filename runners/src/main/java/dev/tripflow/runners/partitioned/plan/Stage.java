package dev.tripflow.runners.partitioned.plan;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * A unit of scheduling: a root (a source, a shuffle, or a step over materialised inputs) and the
 * steps fused after it, run as one task per partition with elements passed by reference.
 */
public final class Stage {
  int id;
  public final Step root;

  /** The root followed by the steps fused into this stage, in topological order. */
  public final List<Step> steps = new ArrayList<>();

  /** The same steps, for membership tests (a step unzipped from a Flatten is in several). */
  final Set<Step> members = new HashSet<>();

  Stage(int id, Step root) {
    this.id = id;
    this.root = root;
    add(root);
  }

  void add(Step step) {
    steps.add(step);
    members.add(step);
  }

  /** The stage's place in the order stages run in, from 0. */
  public int id() {
    return id;
  }

  public boolean contains(Step step) {
    return members.contains(step);
  }

  public String describe() {
    StringBuilder b = new StringBuilder(root.name);
    if (steps.size() > 1) {
      b.append(" (+").append(steps.size() - 1).append(" fused)");
    }
    return b.toString();
  }
}
