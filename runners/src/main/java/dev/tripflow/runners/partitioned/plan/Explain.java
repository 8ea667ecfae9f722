package dev.tripflow.runners.partitioned.plan;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;

/** A plan as text, stage by stage in the order they run: what each reads, fuses and writes. */
public final class Explain {
  private Explain() {}

  public static String of(Plan plan, int partitions) {
    StringBuilder b = new StringBuilder();
    b.append("PartitionedRunner plan: ")
        .append(plan.steps.size())
        .append(" steps in ")
        .append(plan.stages.size())
        .append(" stages, ")
        .append(partitions)
        .append(" partitions\n");
    for (Stage stage : plan.stages) {
      b.append("stage ").append(stage.id + 1).append(": ").append(input(plan, stage)).append('\n');
      for (Step s : stage.steps) {
        b.append("  ").append(label(s)).append(' ').append(s.name);
        if (!s.sideInputs.isEmpty()) {
          List<String> views = new ArrayList<>();
          for (PCollectionView<?> v : s.sideInputs) {
            Step view = plan.views.get(v.getTagInternal());
            views.add(view == null ? v.getName() : view.name);
          }
          b.append("  [side inputs: ").append(String.join(", ", views)).append(']');
        }
        b.append('\n');
        for (PCollection<?> out : s.outputs.values()) {
          for (String sink : sinks(plan, stage, out)) {
            b.append("    -> ").append(sink).append('\n');
          }
        }
      }
    }
    return b.toString();
  }

  /** An arrow of the stage graph: what stage {@code from} hands to stage {@code to}, and how. */
  public record Edge(int from, int to, String kind, String how) {}

  /**
   * The stage graph's arrows, as {@link #of} names them: shuffles (with their exchange),
   * materialised collections and views a later stage reads.
   */
  public static List<Edge> edges(Plan plan) {
    Set<Edge> edges = new LinkedHashSet<>();
    for (Stage stage : plan.stages) {
      for (Step s : stage.steps) {
        for (PCollection<?> out : s.outputs.values()) {
          for (Step c : new LinkedHashSet<>(plan.consumersOf(out))) {
            if (c.kind == Step.Kind.VIEW) {
              for (Stage reader : plan.stages) {
                if (reader != stage && readsView(plan, reader, c)) {
                  edges.add(new Edge(stage.id, reader.id, "view", "side input " + c.name));
                }
              }
            } else if (c.exchange != null) {
              edges.add(new Edge(stage.id, c.stage.id, "shuffle", c.exchange.description()));
            } else if (!stage.contains(c)) {
              edges.add(new Edge(stage.id, c.stage.id, "materialized", out.getName()));
            }
          }
        }
      }
    }
    return new ArrayList<>(edges);
  }

  private static boolean readsView(Plan plan, Stage stage, Step view) {
    for (Step s : stage.steps) {
      for (PCollectionView<?> v : s.sideInputs) {
        if (plan.views.get(v.getTagInternal()) == view) {
          return true;
        }
      }
    }
    return false;
  }

  /** What a stage's tasks read, in a few words: a source, a shuffle, materialised collections. */
  public static String reads(Plan plan, Stage stage) {
    return input(plan, stage);
  }

  private static String label(Step s) {
    return String.format("%-14s", s.kind.name().toLowerCase(java.util.Locale.ROOT));
  }

  /** What a stage's tasks read. */
  private static String input(Plan plan, Stage stage) {
    Step root = stage.root;
    if (root.exchange != null) {
      return "reads the shuffle of "
          + root.name
          + " ("
          + root.exchange.description()
          + ") written by stage "
          + producers(plan, root);
    }
    switch (root.kind) {
      case IMPULSE:
        return "one task, from an impulse";
      case READ:
        return "reads a source, split by its estimated size";
      default:
        return "reads materialized " + names(root.inputs) + " of stage " + producers(plan, root);
    }
  }

  /** Where a collection made in {@code stage} goes outside it. */
  private static List<String> sinks(Plan plan, Stage stage, PCollection<?> out) {
    List<String> sinks = new ArrayList<>();
    for (Step c : new LinkedHashSet<>(plan.consumersOf(out))) {
      if (c.kind == Step.Kind.VIEW) {
        sinks.add(
            "view "
                + ((View.CreatePCollectionView<?, ?>) c.applied.getTransform()).getView().getName()
                + " (materialized, given whole to its readers)");
      } else if (c.exchange != null) {
        sinks.add("shuffle (" + c.exchange.description() + ") into stage " + (c.stage.id + 1));
      } else if (!stage.contains(c)) {
        sinks.add("materialized for stage " + (c.stage.id + 1) + " (" + c.name + ")");
      }
    }
    return sinks;
  }

  private static String producers(Plan plan, Step root) {
    Set<String> ids = new LinkedHashSet<>();
    for (PCollection<?> in : root.inputs) {
      Step p = plan.producer(in);
      for (Stage st : plan.stages) {
        if (st.contains(p)) {
          ids.add(String.valueOf(st.id + 1));
        }
      }
    }
    return String.join(", ", ids);
  }

  private static String names(List<PCollection<?>> pcs) {
    List<String> names = new ArrayList<>();
    for (PCollection<?> pc : pcs) {
      names.add(pc.getName());
    }
    return String.join(", ", names);
  }
}
