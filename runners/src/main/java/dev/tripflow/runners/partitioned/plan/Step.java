package dev.tripflow.runners.partitioned.plan;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.DoFnSchemaInformation;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * One step of the physical plan: a primitive transform, or a composite the runner runs natively (a
 * lifted Combine.perKey, a Reshuffle), as its translator made it.
 */
public final class Step {
  /** What a step does. */
  public enum Kind {
    IMPULSE,
    READ,
    PARDO,
    STATEFUL_PARDO,
    GROUP_BY_KEY,
    COMBINE,
    FLATTEN,
    WINDOW,
    VIEW,
    REBALANCE;

    /** Steps that start a stage of their own, reading a source or a shuffle. */
    boolean isRoot() {
      return this == IMPULSE || this == READ || isShuffle();
    }

    /** Steps whose input is partitioned (by key hash, or dealt) before they run. */
    public boolean isShuffle() {
      return this == GROUP_BY_KEY || this == COMBINE || this == STATEFUL_PARDO || this == REBALANCE;
    }
  }

  public final int id;
  public final Kind kind;
  public final String name;
  public final AppliedPTransform<?, ?, ?> applied;
  public final List<PCollection<?>> inputs;
  public final Map<TupleTag<?>, PCollection<?>> outputs;
  public final List<PCollectionView<?>> sideInputs;

  /** How a shuffle step's input is exchanged (null for other steps). */
  public final Exchange exchange;

  Stage stage;

  /**
   * A ParDo's schema information and side input mapping, computed once when the plan is made:
   * Beam's translation computes them anew on every call, and its schema conversions are not safe to
   * build from several task threads at once (they came out wrong now and then).
   */
  DoFnSchemaInformation schemaInformation;

  Map<String, PCollectionView<?>> sideInputMapping;

  Step(
      int id,
      Kind kind,
      AppliedPTransform<?, ?, ?> applied,
      List<PCollection<?>> inputs,
      List<PCollectionView<?>> sideInputs,
      Exchange exchange) {
    this.id = id;
    this.kind = kind;
    this.name = applied.getFullName();
    this.applied = applied;
    this.inputs = new ArrayList<>(inputs);
    this.outputs = new LinkedHashMap<>(applied.getOutputs());
    this.sideInputs = new ArrayList<>(sideInputs);
    this.exchange = exchange;
    if (kind.isShuffle() != (exchange != null)) {
      throw new IllegalArgumentException(kind + " " + name + " with exchange " + exchange);
    }
  }

  /** The stage this step runs in (a step unzipped from a Flatten runs in its inputs' stages). */
  public Stage stage() {
    return stage;
  }

  public DoFnSchemaInformation schemaInformation() {
    return schemaInformation;
  }

  public Map<String, PCollectionView<?>> sideInputMapping() {
    return sideInputMapping;
  }

  /** The single output (for steps with one). */
  public PCollection<?> output() {
    return outputs.values().iterator().next();
  }

  @Override
  public String toString() {
    return kind + " " + name;
  }
}
