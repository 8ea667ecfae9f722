package dev.tripflow.runners.partitioned;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.Test;

/**
 * Every buffer that holds a collection between stages stays within a tiny memory budget (1 MiB): a
 * materialised stage input, a reshuffle's elements and a combine's partials spill to disk and are
 * read back whole; a side input that cannot fit fails the run with one line naming it.
 */
public class BufferSpillTest {
  private static final int N = 300_000;

  private static Pipeline tinyBudget() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=PartitionedRunner").create();
    o.as(PartitionedPipelineOptions.class).setPartitions(3);
    o.as(PartitionedPipelineOptions.class).setShuffleMemoryMb(1);
    return Pipeline.create(o);
  }

  private static long spilled(PipelineResult result) {
    long total = 0;
    for (var c :
        result
            .metrics()
            .queryMetrics(
                MetricsFilter.builder()
                    .addNameFilter(
                        MetricNameFilter.named(PartitionedRunner.class, "shuffleSpilledBytes"))
                    .build())
            .getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  private static List<Long> numbers() {
    List<Long> l = new ArrayList<>(N);
    for (long i = 0; i < N; i++) {
      l.add(i);
    }
    return l;
  }

  /** Each number less the mean: the main input waits, materialised, for the total it reads. */
  static final class MinusMean extends DoFn<Long, Long> {
    private final PCollectionView<Long> total;

    MinusMean(PCollectionView<Long> total) {
      this.total = total;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.element() * N - c.sideInput(total));
    }
  }

  @Test
  public void materializedStageInputSpillsAndIsReadBackWhole() {
    Pipeline p = tinyBudget();
    PCollection<Long> numbers = p.apply(Create.of(numbers()));
    PCollectionView<Long> total =
        numbers.apply("Total", Sum.longsGlobally()).apply(View.asSingleton());
    PCollection<Long> centred =
        numbers.apply("MinusMean", ParDo.of(new MinusMean(total)).withSideInputs(total));
    // Sum of (i * N - total) over all i is N * total - N * total = 0; the count is N.
    PAssert.thatSingleton(centred.apply("Zero", Sum.longsGlobally())).isEqualTo(0L);
    PAssert.thatSingleton(centred.apply("Count", Count.globally())).isEqualTo((long) N);
    PipelineResult result = p.run();
    assertTrue("the materialised input spilled", spilled(result) > 0);
  }

  @Test
  public void encodedCombinePartialsSpillAndMergeOnce() {
    Pipeline p = tinyBudget();
    p.getOptions().as(PartitionedPipelineOptions.class).setPreAggregationKeys(1024);
    List<KV<Long, Long>> input = new ArrayList<>();
    java.util.Map<Long, Long> sums = new java.util.HashMap<>();
    for (long i = 0; i < N; i++) {
      long key = i * 7919 % 100_000;
      input.add(KV.of(key, i));
      sums.merge(key, i, Long::sum);
    }
    List<KV<Long, Long>> expected = new ArrayList<>();
    sums.forEach((k, v) -> expected.add(KV.of(k, v)));
    PAssert.that(p.apply(Create.of(input)).apply(Sum.longsPerKey())).containsInAnyOrder(expected);
    PipelineResult result = p.run();
    assertTrue("the partials spilled", spilled(result) > 0);
  }

  @Test
  public void reshuffledElementsSpillAndAreDealtOnce() {
    Pipeline p = tinyBudget();
    PCollection<Long> spread = p.apply(Create.of(numbers())).apply(Reshuffle.viaRandomKey());
    PAssert.thatSingleton(spread.apply("Count", Count.globally())).isEqualTo((long) N);
    PAssert.thatSingleton(spread.apply("Sum", Sum.longsGlobally()))
        .isEqualTo((long) N * (N - 1) / 2);
    PipelineResult result = p.run();
    assertTrue("the reshuffle spilled", spilled(result) > 0);
  }

  /** The size of a list side input. */
  static final class SizeOf extends DoFn<Long, Long> {
    private final PCollectionView<List<Long>> list;

    SizeOf(PCollectionView<List<Long>> list) {
      this.list = list;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output((long) c.sideInput(list).size());
    }
  }

  @Test
  public void sideInputOverTheBudgetFailsNamingIt() {
    Pipeline p = tinyBudget();
    PCollection<Long> numbers = p.apply("Numbers", Create.of(numbers()));
    PCollectionView<List<Long>> all = numbers.apply("AllNumbers", View.asList());
    p.apply("One", Create.of(1L)).apply("Look", ParDo.of(new SizeOf(all)).withSideInputs(all));
    RuntimeException e = assertThrows(RuntimeException.class, p::run);
    String message = String.valueOf(e.getMessage());
    assertTrue(message, message.contains("the side input "));
    assertTrue(message, message.contains("300,000 elements"));
    assertTrue(message, message.contains("more than the memory budget of 1 MiB"));
    assertEquals("one line", -1, message.indexOf('\n'));
  }
}
