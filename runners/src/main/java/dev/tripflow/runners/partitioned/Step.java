package dev.tripflow.runners.partitioned;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/** One step of a planned pipeline: a primitive transform, or a Combine the runner runs natively. */
final class Step {
  /** What a step does. */
  enum Kind {
    IMPULSE,
    READ,
    PARDO,
    STATEFUL_PARDO,
    GROUP_BY_KEY,
    COMBINE,
    FLATTEN,
    WINDOW,
    VIEW,
    /** Reshuffle.viaRandomKey: elements dealt round-robin over the partitions, unchanged. */
    REBALANCE;

    /** Steps that start a stage of their own, reading a source or a shuffle. */
    boolean isRoot() {
      return this == IMPULSE
          || this == READ
          || this == GROUP_BY_KEY
          || this == COMBINE
          || this == STATEFUL_PARDO
          || this == REBALANCE;
    }

    /** Steps whose input is partitioned (by key hash, or dealt) before they run. */
    boolean isShuffle() {
      return this == GROUP_BY_KEY || this == COMBINE || this == STATEFUL_PARDO || this == REBALANCE;
    }
  }

  final int id;
  final Kind kind;
  final String name;
  final AppliedPTransform<?, ?, ?> applied;
  final List<PCollection<?>> inputs;
  final Map<TupleTag<?>, PCollection<?>> outputs;
  final List<PCollectionView<?>> sideInputs;
  Stage stage;

  /**
   * A ParDo's schema information and side input mapping, computed once when the plan is made:
   * Beam's translation computes them anew on every call, and its schema conversions are not safe to
   * build from several task threads at once (they came out wrong now and then).
   */
  org.apache.beam.sdk.transforms.DoFnSchemaInformation schemaInformation;

  Map<String, PCollectionView<?>> sideInputMapping;

  Step(
      int id,
      Kind kind,
      AppliedPTransform<?, ?, ?> applied,
      List<PCollection<?>> inputs,
      List<PCollectionView<?>> sideInputs) {
    this.id = id;
    this.kind = kind;
    this.name = applied.getFullName();
    this.applied = applied;
    this.inputs = new ArrayList<>(inputs);
    this.outputs = new LinkedHashMap<>(applied.getOutputs());
    this.sideInputs = new ArrayList<>(sideInputs);
  }

  /** The single output (for steps with one). */
  PCollection<?> output() {
    return outputs.values().iterator().next();
  }

  @Override
  public String toString() {
    return kind + " " + name;
  }
}
