package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.plan.Exchange;
import dev.tripflow.runners.partitioned.plan.Step;
import dev.tripflow.runners.partitioned.shuffle.CombiningWriter;
import dev.tripflow.runners.partitioned.shuffle.Dealer;
import dev.tripflow.runners.partitioned.shuffle.ElementBuffer;
import dev.tripflow.runners.partitioned.shuffle.KeyGroups;
import dev.tripflow.runners.partitioned.shuffle.PartialMerge;
import dev.tripflow.runners.partitioned.shuffle.Receiver;
import dev.tripflow.runners.partitioned.shuffle.Shuffle;
import dev.tripflow.runners.partitioned.shuffle.Spill;
import dev.tripflow.runners.partitioned.shuffle.WindowGroups;
import java.io.Closeable;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.metrics.MetricName;
import org.apache.beam.sdk.metrics.MetricsEnvironment;
import org.apache.beam.sdk.transforms.Combine;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.SerializableUtils;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.WindowingStrategy;

/**
 * What the executor does at both ends of each kind of {@link Exchange}: the shuffle it makes, the
 * writer a producing task puts a collection's elements into, and how the reading stage's tasks take
 * them out. One implementation per exchange, looked up by the exchange the plan chose.
 */
abstract class Exchanges {
  /** The shuffle in front of {@code consumer}, whose input is {@code input}. */
  abstract Shuffle create(Step consumer, PCollection<?> input, Spill.Budget budget, int partitions);

  /** Where task {@code task} writes {@code pc}'s elements for {@code consumer}. */
  abstract Receiver writer(Task task, Step consumer, PCollection<?> pc, Shuffle shuffle);

  /** How the tasks of the stage {@code root} starts read its shuffle. */
  abstract TaskInput reader(Step root, Shuffle shuffle, int tasks);

  private static final Map<Exchange, Exchanges> TABLE = new EnumMap<>(Exchange.class);

  static {
    TABLE.put(Exchange.GROUP_ENCODED, new Group(true));
    TABLE.put(Exchange.GROUP_OBJECTS, new Group(false));
    TABLE.put(Exchange.GROUP_MERGING, new Group(false));
    TABLE.put(Exchange.COMBINE_PARTIALS, new CombinePartials());
    TABLE.put(Exchange.KEYED_STATE, new KeyedState());
    TABLE.put(Exchange.DEALT, new Dealt());
  }

  static Exchanges of(Exchange exchange) {
    return TABLE.get(exchange);
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Coder<Object> keyCoder(PCollection<?> pc) {
    return ((KvCoder) pc.getCoder()).getKeyCoder();
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Coder<Object> valueCoder(PCollection<?> pc) {
    return ((KvCoder) pc.getCoder()).getValueCoder();
  }

  /** The coder of {@code pc}'s elements with their windows, timestamps and panes. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  static Coder<WindowedValue<?>> windowedCoder(PCollection<?> pc) {
    return (Coder)
        WindowedValue.FullWindowedValueCoder.of(
            (Coder) pc.getCoder(), pc.getWindowingStrategy().getWindowFn().windowCoder());
  }

  @SuppressWarnings({"unchecked", "rawtypes"})
  static Coder<WindowedValue<KV<Object, Object>>> elementCoder(PCollection<?> pc) {
    return (Coder)
        WindowedValue.FullWindowedValueCoder.of(
            (Coder) pc.getCoder(), pc.getWindowingStrategy().getWindowFn().windowCoder());
  }

  /** Records hashed by key, spilled as sorted runs over the budget. */
  abstract static class Keyed extends Exchanges {
    @Override
    Shuffle create(Step consumer, PCollection<?> input, Spill.Budget budget, int partitions) {
      return new Shuffle(partitions).keyed(budget, keyCoder(input), elementCoder(input));
    }

    @Override
    Receiver writer(Task task, Step consumer, PCollection<?> pc, Shuffle shuffle) {
      Receiver writer =
          shuffle.keyedWriter(
              Shuffle.producer(task.stage.id(), task.task),
              task.taskMetrics.getContainer(consumer.name).getCounter(SPILLED_BYTES));
      // A compact shuffle encodes every record itself; one kept as objects crosses here.
      return shuffle.isCompact() ? writer : CoderBoundary.of(pc).before(writer);
    }
  }

  /** The runner's metric of the bytes a shuffle spilled to disk. */
  static final MetricName SPILLED_BYTES =
      MetricName.named(Executor.METRICS_NAMESPACE, "shuffleSpilledBytes");

  /** GroupByKey: each key's values, by window. */
  static final class Group extends Keyed {
    private final boolean encoded;

    Group(boolean encoded) {
      this.encoded = encoded;
    }

    @Override
    Shuffle create(Step consumer, PCollection<?> input, Spill.Budget budget, int partitions) {
      Shuffle shuffle = super.create(consumer, input, budget, partitions);
      return encoded ? shuffle.compact(valueCoder(input)) : shuffle;
    }

    @Override
    @SuppressWarnings("unchecked")
    TaskInput reader(Step root, Shuffle shuffle, int tasks) {
      PCollection<?> in = root.inputs.get(0);
      WindowingStrategy<?, BoundedWindow> ws =
          (WindowingStrategy<?, BoundedWindow>) in.getWindowingStrategy();
      boolean merging = root.exchange == Exchange.GROUP_MERGING;
      return (p, task) -> {
        try {
          if (encoded) {
            shuffle.emitGroups(p, ws.getTimestampCombiner(), task.rootOut);
            return;
          }
          try (KeyGroups groups = shuffle.keyGroups(p)) {
            while (groups.groups.hasNext()) {
              KV<Object, List<WindowedValue<KV<Object, Object>>>> group = groups.groups.next();
              if (merging) {
                GroupAlsoByWindow.reduce(
                    group.getKey(), group.getValue(), ws, valueCoder(in), task);
              } else {
                for (WindowedValue<?> v :
                    WindowGroups.groupByWindow(
                        group.getKey(), group.getValue(), ws.getTimestampCombiner())) {
                  task.rootOut.accept(v);
                }
              }
            }
          }
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
    }
  }

  /** A stateful ParDo: each key's elements through the ParDo with that key's state and timers. */
  static final class KeyedState extends Keyed {
    @Override
    TaskInput reader(Step root, Shuffle shuffle, int tasks) {
      return (p, task) -> {
        try (KeyGroups groups = shuffle.keyGroups(p)) {
          StatefulKeys.run(groups.groups, task);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
    }
  }

  /** A lifted Combine.perKey: partials from each task's pre-aggregation, merged per key. */
  static final class CombinePartials extends Exchanges {
    @Override
    Shuffle create(Step consumer, PCollection<?> input, Spill.Budget budget, int partitions) {
      return new Shuffle(partitions).budgeted(budget);
    }

    @Override
    @SuppressWarnings("unchecked")
    Receiver writer(Task task, Step consumer, PCollection<?> pc, Shuffle shuffle) {
      Combine.CombineFn<Object, Object, Object> fn = fn(consumer);
      CombiningWriter w =
          new CombiningWriter(
              shuffle,
              Shuffle.producer(task.stage.id(), task.task),
              task.ex.settings.preAggregationKeys(),
              keyCoder(pc),
              fn,
              accumulatorCoder(fn, (PCollection<KV<Object, Object>>) pc),
              pc.getWindowingStrategy().getTimestampCombiner(),
              task.taskMetrics.getContainer(consumer.name),
              task.taskMetrics.getContainer(consumer.name).getCounter(SPILLED_BYTES));
      task.combiners.add(task.guarded(consumer, v -> w.flush()));
      return task.guarded(consumer, w);
    }

    @Override
    @SuppressWarnings("unchecked")
    TaskInput reader(Step root, Shuffle shuffle, int tasks) {
      PCollection<?> in = root.inputs.get(0);
      return (p, task) -> {
        Combine.CombineFn<Object, Object, Object> fn = fn(root);
        var container = task.taskMetrics.getContainer(root.name);
        try (Closeable c = MetricsEnvironment.scopedMetricsContainer(container)) {
          PartialMerge.mergePartials(
              shuffle.read(p),
              keyCoder(in),
              accumulatorCoder(fn, (PCollection<KV<Object, Object>>) in),
              fn,
              in.getWindowingStrategy().getTimestampCombiner(),
              task.rootOut);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      };
    }

    /** A copy of the step's CombineFn, for one task: a CombineFn need not be thread-safe. */
    @SuppressWarnings("unchecked")
    private static Combine.CombineFn<Object, Object, Object> fn(Step step) {
      return (Combine.CombineFn<Object, Object, Object>)
          SerializableUtils.clone(
              (Combine.CombineFn<?, ?, ?>)
                  ((Combine.PerKey<?, ?, ?>) step.applied.getTransform()).getFn());
    }

    /**
     * The coder of the accumulators, with which partials are kept encoded between the
     * pre-aggregation and the merge; null when the CombineFn cannot provide one (the partials are
     * then kept as objects).
     */
    @SuppressWarnings("unchecked")
    static Coder<Object> accumulatorCoder(
        Combine.CombineFn<Object, Object, Object> fn, PCollection<KV<Object, Object>> input) {
      try {
        return fn.getAccumulatorCoder(
            input.getPipeline().getCoderRegistry(),
            ((KvCoder<Object, Object>) input.getCoder()).getValueCoder());
      } catch (org.apache.beam.sdk.coders.CannotProvideCoderException | RuntimeException e) {
        return null;
      }
    }
  }

  /** Reshuffle.viaRandomKey: elements dealt round-robin on write, to reading tasks as they ask. */
  static final class Dealt extends Exchanges {
    @Override
    Shuffle create(Step consumer, PCollection<?> input, Spill.Budget budget, int partitions) {
      return new Shuffle(partitions);
    }

    @Override
    Receiver writer(Task task, Step consumer, PCollection<?> pc, Shuffle shuffle) {
      ElementBuffer buffer =
          shuffle.openBuffer(
              Shuffle.producer(task.stage.id(), task.task),
              task.ex.budget,
              windowedCoder(pc),
              pc.getName());
      task.countSpills(consumer, buffer);
      return CoderBoundary.of(pc).before(buffer::add);
    }

    @Override
    TaskInput reader(Step root, Shuffle shuffle, int tasks) {
      Dealer dealer = new Dealer(shuffle, tasks);
      return (t, task) -> dealer.deal(t, task.rootOut);
    }
  }
}
