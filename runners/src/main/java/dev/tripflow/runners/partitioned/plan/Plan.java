package dev.tripflow.runners.partitioned.plan;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.runners.AppliedPTransform;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * The pipeline cut into stages. Steps are visited once in topological order: sources and shuffles
 * (GroupByKey, a lifted Combine, a stateful ParDo) start stages; a ParDo, Window or Flatten is
 * fused into the stage of its input when all its inputs come from that stage and every side input
 * it reads is complete before that stage starts; otherwise it starts a stage over materialised
 * inputs. Stage ids are a valid execution order.
 */
public final class Plan {
  public final List<Step> steps = new ArrayList<>();
  public final List<Stage> stages = new ArrayList<>();
  private final Map<PCollection<?>, Step> producers = new HashMap<>();
  private final Map<PCollection<?>, List<Step>> consumers = new HashMap<>();

  /** PCollections whose elements are kept per partition after their stage. */
  private final Set<PCollection<?>> materialized = new HashSet<>();

  /** View steps by the tag of their view. */
  public final Map<TupleTag<?>, Step> views = new LinkedHashMap<>();

  /**
   * Adds a step, as a translator makes it: its main inputs, the views it reads and, for a shuffle,
   * how its input is exchanged.
   */
  public Step add(
      Step.Kind kind,
      AppliedPTransform<?, ?, ?> applied,
      List<PCollection<?>> inputs,
      List<PCollectionView<?>> sideInputs,
      Exchange exchange) {
    Step step = new Step(steps.size(), kind, applied, inputs, sideInputs, exchange);
    steps.add(step);
    for (PCollection<?> in : inputs) {
      consumers.computeIfAbsent(in, k -> new ArrayList<>()).add(step);
    }
    for (PCollection<?> out : step.outputs.values()) {
      producers.put(out, step);
    }
    return step;
  }

  /**
   * Cuts the steps added into stages: a step is placed once in an order that puts what views need
   * first, a Flatten feeding only shuffles is unzipped into its inputs' stages, the stages are put
   * in an order that runs every stage after what it reads, and ParDos are checked.
   */
  public Plan fuse() {
    for (Step step : viewsFirst()) {
      place(step);
    }
    unzipFlattens();
    orderStages();
    validate();
    return this;
  }

  /**
   * Refuses, before any work, a ParDo whose DoFn cannot take its input's elements (a DoFn of
   * strings applied, through raw types, to integers): at run time it would fail in every task and
   * every retry, blamed on whatever step it was fused with.
   */
  private void validate() {
    for (Step s : steps) {
      if (s.kind != Step.Kind.PARDO && s.kind != Step.Kind.STATEFUL_PARDO) {
        continue;
      }
      ParDo.MultiOutput<?, ?> parDo = (ParDo.MultiOutput<?, ?>) s.applied.getTransform();
      s.schemaInformation =
          org.apache.beam.sdk.util.construction.ParDoTranslation.getSchemaInformation(s.applied);
      s.sideInputMapping =
          org.apache.beam.sdk.util.construction.ParDoTranslation.getSideInputMapping(s.applied);
      if (!s.schemaInformation.getElementConverters().isEmpty()) {
        continue; // elements converted by their schema (a Row to a class): not the input's type
      }
      Class<?> wanted = parDo.getFn().getInputTypeDescriptor().getRawType();
      PCollection<?> in = s.inputs.get(0);
      org.apache.beam.sdk.values.TypeDescriptor<?> type = in.getTypeDescriptor();
      if (type == null) {
        try {
          type = in.getCoder().getEncodedTypeDescriptor();
        } catch (RuntimeException e) {
          continue;
        }
      }
      Class<?> have = type.getRawType();
      if (disjoint(wanted, have)) {
        throw new IllegalArgumentException(
            "ParDo '"
                + s.name
                + "': its DoFn takes "
                + wanted.getName()
                + ", but its input "
                + in.getName()
                + " holds "
                + have.getName());
      }
    }
  }

  /**
   * A stage that starts with a Flatten of inputs from other stages, and whose every output goes to
   * a shuffle, is dissolved: its steps are appended to each input's stage, which then writes
   * straight into the shuffle (which takes writes from several stages), so the inputs are never
   * materialised.
   */
  private void unzipFlattens() {
    for (Stage r : new ArrayList<>(stages)) {
      if (r.root.kind != Step.Kind.FLATTEN || r.root.inputs.isEmpty() || !unzippable(r)) {
        continue;
      }
      java.util.LinkedHashSet<Stage> targets = new java.util.LinkedHashSet<>();
      for (PCollection<?> in : r.root.inputs) {
        targets.add(producers.get(in).stage);
      }
      Stage last = null;
      for (Stage t : targets) {
        for (Step s : r.steps) {
          t.add(s);
        }
        if (last == null || t.id > last.id) {
          last = t;
        }
      }
      for (Step s : r.steps) {
        s.stage = last;
      }
      stages.remove(r);
    }
    for (int i = 0; i < stages.size(); i++) {
      stages.get(i).id = i;
    }
    // Materialise exactly what a view or a step of another stage (not a shuffle) reads.
    materialized.clear();
    for (Map.Entry<PCollection<?>, List<Step>> e : consumers.entrySet()) {
      Step producer = producers.get(e.getKey());
      for (Step c : e.getValue()) {
        if (c.kind == Step.Kind.VIEW
            || (!c.kind.isShuffle() && !producer.stage.members.contains(c))) {
          materialized.add(e.getKey());
        }
      }
    }
  }

  /** The stages whose output or side input a step of {@code stage} reads. */
  private Set<Stage> upstream(Stage stage) {
    Set<Stage> up = new java.util.LinkedHashSet<>();
    for (Step s : stage.steps) {
      if (s.kind == Step.Kind.FLATTEN && s != stage.root) {
        continue; // an unzipped Flatten: this stage writes only the inputs it makes itself
      }
      for (PCollection<?> in : s.inputs) {
        Step producer = producers.get(in);
        if (producer == null || producer.stage == null || stage.members.contains(producer)) {
          continue;
        }
        // A shuffle fed by an unzipped Flatten reads what every stage holding it wrote.
        for (Stage other : stages) {
          if (other.members.contains(producer)) {
            up.add(other);
          }
        }
      }
      for (PCollectionView<?> v : s.sideInputs) {
        Step view = views.get(v.getTagInternal());
        if (view != null && view.stage != null) {
          up.add(view.stage);
        }
      }
    }
    up.remove(stage);
    return up;
  }

  /** Whether {@code stage} is {@code other} or reads, directly or not, what {@code other} makes. */
  private boolean needs(Stage stage, Stage other) {
    java.util.Deque<Stage> work = new java.util.ArrayDeque<>(List.of(stage));
    Set<Stage> seen = new HashSet<>();
    while (!work.isEmpty()) {
      Stage s = work.poll();
      if (s == other) {
        return true;
      }
      if (seen.add(s)) {
        work.addAll(upstream(s));
      }
    }
    return false;
  }

  /**
   * Puts the stages in an order every stage's inputs and side inputs are complete in: a stage
   * reading a view runs after the view's stage even when it was made before it. Among the stages
   * that may run next, the first made goes first.
   */
  private void orderStages() {
    List<Stage> order =
        topological(
            stages, this::upstream, java.util.Comparator.comparingInt(st -> st.id), "stages");
    stages.clear();
    stages.addAll(order);
    for (int i = 0; i < stages.size(); i++) {
      stages.get(i).id = i;
    }
  }

  /**
   * The steps in a topological order that places every step a view needs as early as it can: a side
   * input is then complete before the stage of the ParDo that reads it, which fuses into its main
   * input's stage instead of reading that input materialised (a broadcast join whose lookup was
   * created after its main input was read otherwise waited for it).
   */
  private List<Step> viewsFirst() {
    Set<Step> needed = new HashSet<>();
    java.util.Deque<Step> work = new java.util.ArrayDeque<>();
    for (Step s : steps) {
      if (s.kind == Step.Kind.VIEW) {
        work.add(s);
      }
    }
    while (!work.isEmpty()) {
      Step s = work.poll();
      if (needed.add(s)) {
        for (PCollection<?> in : s.inputs) {
          work.add(producers.get(in));
        }
        for (PCollectionView<?> v : s.sideInputs) {
          work.addAll(viewSteps(v));
        }
      }
    }
    return topological(
        steps,
        s -> {
          Set<Step> before = new java.util.LinkedHashSet<>();
          for (PCollection<?> in : s.inputs) {
            before.add(producers.get(in));
          }
          for (PCollectionView<?> v : s.sideInputs) {
            before.addAll(viewSteps(v));
          }
          return before;
        },
        java.util.Comparator.comparing((Step s) -> !needed.contains(s)).thenComparingInt(s -> s.id),
        "steps");
  }

  /** The view steps of {@code view} (found by tag: views are placed after their readers). */
  private List<Step> viewSteps(PCollectionView<?> view) {
    List<Step> found = new ArrayList<>();
    for (Step other : steps) {
      if (other.kind == Step.Kind.VIEW
          && ((View.CreatePCollectionView<?, ?>) other.applied.getTransform())
              .getView()
              .getTagInternal()
              .equals(view.getTagInternal())) {
        found.add(other);
      }
    }
    return found;
  }

  /**
   * {@code nodes} in an order that puts each after everything {@code before} gives for it; among
   * those that may come next, the first by {@code priority}.
   */
  private static <T> List<T> topological(
      List<T> nodes,
      java.util.function.Function<T, java.util.Collection<T>> before,
      java.util.Comparator<T> priority,
      String what) {
    Map<T, Integer> waiting = new HashMap<>();
    Map<T, List<T>> after = new HashMap<>();
    for (T n : nodes) {
      java.util.Collection<T> up = before.apply(n);
      waiting.put(n, up.size());
      for (T u : up) {
        after.computeIfAbsent(u, k -> new ArrayList<>()).add(n);
      }
    }
    java.util.PriorityQueue<T> ready = new java.util.PriorityQueue<>(priority);
    for (T n : nodes) {
      if (waiting.get(n) == 0) {
        ready.add(n);
      }
    }
    List<T> order = new ArrayList<>();
    while (!ready.isEmpty()) {
      T n = ready.poll();
      order.add(n);
      for (T m : after.getOrDefault(n, List.of())) {
        if (waiting.merge(m, -1, Integer::sum) == 0) {
          ready.add(m);
        }
      }
    }
    if (order.size() != nodes.size()) {
      throw new IllegalStateException("the pipeline's " + what + " do not form a DAG");
    }
    return order;
  }

  /**
   * Whether no value can be of both types: neither is the other's supertype, and no class could
   * extend one and implement the other (a declared Number may hold Longs).
   */
  static boolean disjoint(Class<?> a, Class<?> b) {
    if (a.isAssignableFrom(b) || b.isAssignableFrom(a)) {
      return false;
    }
    if (a.isInterface() && b.isInterface()) {
      return false;
    }
    if (a.isInterface() || b.isInterface()) {
      Class<?> cls = a.isInterface() ? b : a;
      return java.lang.reflect.Modifier.isFinal(cls.getModifiers());
    }
    return true; // two classes, neither extending the other
  }

  private boolean unzippable(Stage r) {
    for (Step s : r.steps) {
      if (!s.sideInputs.isEmpty()) {
        return false;
      }
      for (PCollection<?> out : s.outputs.values()) {
        for (Step c : consumersOf(out)) {
          if (!r.members.contains(c) && !c.kind.isShuffle()) {
            return false;
          }
        }
      }
    }
    return true;
  }

  /** Consumers of {@code pc} in other stages than its producer's, or of a shuffle or view kind. */
  public List<Step> consumersOf(PCollection<?> pc) {
    return consumers.getOrDefault(pc, List.of());
  }

  /** The step that makes {@code pc}. */
  public Step producer(PCollection<?> pc) {
    return producers.get(pc);
  }

  /** Whether {@code pc}'s elements are kept per partition after their stage (for another stage). */
  public boolean isMaterialized(PCollection<?> pc) {
    return materialized.contains(pc);
  }

  private void place(Step step) {
    if (step.kind == Step.Kind.VIEW) {
      materialized.add(step.inputs.get(0));
      views.put(
          ((View.CreatePCollectionView<?, ?>) step.applied.getTransform())
              .getView()
              .getTagInternal(),
          step);
      step.stage = producers.get(step.inputs.get(0)).stage;
      return;
    }
    if (step.kind.isRoot()) {
      newStage(step);
      return;
    }
    Stage candidate = step.inputs.isEmpty() ? null : producers.get(step.inputs.get(0)).stage;
    boolean fuse = candidate != null;
    for (PCollection<?> in : step.inputs) {
      fuse &= producers.get(in).stage == candidate;
    }
    for (PCollectionView<?> view : step.sideInputs) {
      Step viewStep = views.get(view.getTagInternal());
      // The view must be complete before the candidate stage runs: so it must not come from
      // that stage or from one that needs it (the stages are put in order at the end).
      fuse &= viewStep != null && candidate != null && !needs(viewStep.stage, candidate);
    }
    if (fuse) {
      step.stage = candidate;
      candidate.add(step);
    } else {
      materialized.addAll(step.inputs);
      newStage(step);
    }
  }

  private void newStage(Step step) {
    Stage stage = new Stage(stages.size(), step);
    stages.add(stage);
    step.stage = stage;
  }

  /** The collections kept per partition after their stage, for views and other stages. */
  public java.util.Set<PCollection<?>> materialized() {
    return java.util.Collections.unmodifiableSet(materialized);
  }
}
