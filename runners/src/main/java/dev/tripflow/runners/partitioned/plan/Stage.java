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

  /**
   * The stage's name for people: the first top-level transform name among its steps, the name the
   * pipeline's code gave it ({@code MonthlyZoneRevenue}, {@code ReadGreen}), not Beam's path inside
   * the composite ({@code ReadGreen/MatchFiles/Via MatchAll/Reshuffle.ViaRandomKey}).
   */
  public String humanName() {
    String name = root.name;
    int slash = name.indexOf('/');
    return slash > 0 ? name.substring(0, slash) : name;
  }

  /** The stage's first step in Beam's full path and how many steps are fused after it. */
  public String describe() {
    StringBuilder b = new StringBuilder(root.name);
    if (steps.size() > 1) {
      b.append(" (+").append(steps.size() - 1).append(" fused)");
    }
    return b.toString();
  }
}
