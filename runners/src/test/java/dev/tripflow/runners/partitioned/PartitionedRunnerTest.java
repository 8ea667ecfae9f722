package dev.tripflow.runners.partitioned;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import dev.tripflow.runners.partitioned.exec.Executor;
import dev.tripflow.runners.partitioned.plan.Plan;
import dev.tripflow.runners.partitioned.shuffle.Dealer;
import dev.tripflow.runners.partitioned.translate.PipelineTranslator;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.PipelineResult;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.MetricNameFilter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.metrics.MetricsFilter;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.Flatten;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionList;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TimestampedValue;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.joda.time.Instant;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The runner on small pipelines whose answers are computed by hand. */
public class PartitionedRunnerTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static Pipeline pipeline(int partitions) {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=PartitionedRunner").create();
    o.as(PartitionedPipelineOptions.class).setPartitions(partitions);
    return Pipeline.create(o);
  }

  /** The attempted value of a counter, summed over the steps reporting it. */
  private static long counter(PipelineResult result, MetricNameFilter name) {
    long total = 0;
    for (var c :
        result
            .metrics()
            .queryMetrics(MetricsFilter.builder().addNameFilter(name).build())
            .getCounters()) {
      total += c.getAttempted();
    }
    return total;
  }

  private static List<Integer> range(int n) {
    List<Integer> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(i);
    }
    return l;
  }

  @Test
  public void selectedByName() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=PartitionedRunner").create();
    assertEquals(PartitionedRunner.class, o.getRunner());
  }

  @Test
  public void groupCombineSideInputFlatten() {
    Pipeline p = pipeline(3);
    PCollection<Integer> nums = p.apply(Create.of(range(1000)));
    PCollection<KV<Integer, Integer>> keyed =
        nums.apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.integers()))
                .via(i -> KV.of(i % 7, i)));
    PCollection<KV<Integer, Long>> sums = keyed.apply(Count.perKey());
    PAssert.that(sums)
        .containsInAnyOrder(
            KV.of(0, 143L),
            KV.of(1, 143L),
            KV.of(2, 143L),
            KV.of(3, 143L),
            KV.of(4, 143L),
            KV.of(5, 143L),
            KV.of(6, 142L));
    PCollection<KV<Integer, Iterable<Integer>>> grouped = keyed.apply(GroupByKey.create());
    PCollectionView<Integer> total =
        nums.apply(org.apache.beam.sdk.transforms.Sum.integersGlobally()).apply(View.asSingleton());
    PCollection<String> lines =
        grouped.apply(ParDo.of(new SumWithTotal(total)).withSideInputs(total));
    List<String> expected = new ArrayList<>();
    for (int k = 0; k < 7; k++) {
      int s = 0;
      for (int i = k; i < 1000; i += 7) {
        s += i;
      }
      expected.add(k + ":" + s + "/499500");
    }
    PAssert.that(lines).containsInAnyOrder(expected);
    PCollection<Integer> both = PCollectionList.of(nums).and(nums).apply(Flatten.pCollections());
    PAssert.that(both.apply(Count.globally())).containsInAnyOrder(2000L);
    p.run().waitUntilFinish();
  }

  @Test
  public void windowsAndSessions() {
    Pipeline p = pipeline(2);
    PCollection<KV<String, Integer>> events =
        p.apply(
            Create.timestamped(
                TimestampedValue.of(KV.of("a", 1), new Instant(0)),
                TimestampedValue.of(KV.of("a", 2), new Instant(1_000)),
                TimestampedValue.of(KV.of("a", 3), new Instant(60_000)),
                TimestampedValue.of(KV.of("b", 4), new Instant(500))));
    PAssert.that(
            events
                .apply("Fixed", Window.into(FixedWindows.of(Duration.standardSeconds(10))))
                .apply("SumFixed", Sum.integersPerKey()))
        .containsInAnyOrder(KV.of("a", 3), KV.of("a", 3), KV.of("b", 4));
    PAssert.that(
            events
                .apply(
                    "Sessions", Window.into(Sessions.withGapDuration(Duration.standardSeconds(5))))
                .apply("SumSessions", Sum.integersPerKey()))
        .containsInAnyOrder(KV.of("a", 3), KV.of("a", 3), KV.of("b", 4));
    p.run().waitUntilFinish();
  }

  @Test
  public void metricsAndStepNameInErrors() {
    Pipeline p = pipeline(2);
    p.apply(Create.of(range(10))).apply("CountThem", ParDo.of(new CountThem()));
    PipelineResult result = p.run();
    assertEquals(10L, counter(result, MetricNameFilter.named("test", "seen")));

    Pipeline bad = pipeline(2);
    bad.apply(Create.of(range(10))).apply("Explode", ParDo.of(new Explode()));
    try {
      bad.run();
      fail();
    } catch (Pipeline.PipelineExecutionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("Explode"));
      assertTrue(e.getCause() instanceof IllegalArgumentException);
    }
  }

  static final class SumWithTotal extends DoFn<KV<Integer, Iterable<Integer>>, String> {
    private final PCollectionView<Integer> total;

    SumWithTotal(PCollectionView<Integer> total) {
      this.total = total;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      int s = 0;
      for (int v : c.element().getValue()) {
        s += v;
      }
      c.output(c.element().getKey() + ":" + s + "/" + c.sideInput(total));
    }
  }

  @Test
  public void resultTellsTheTasksCpuTime() {
    Pipeline p = pipeline(2);
    p.apply(Create.of(range(4))).apply("Burn", ParDo.of(new BurnCpu()));
    long before = Executor.processCpuNanos();
    PartitionedPipelineResult result = (PartitionedPipelineResult) p.run();
    long process = Executor.processCpuNanos() - before;
    long tasks = result.tasksCpuTime().getMillis();
    // Four elements of at least 50 ms of CPU each, and no more than the process used meanwhile.
    assertTrue("tasks' CPU " + tasks + " ms", tasks >= 200);
    assertTrue(
        "tasks' CPU " + tasks + " ms, process " + process / 1_000_000 + " ms",
        tasks <= process / 1_000_000 + 1);
  }

  /** Spins until its thread has used 50 ms of CPU for the element. */
  static final class BurnCpu extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<Integer> out) {
      java.lang.management.ThreadMXBean threads =
          java.lang.management.ManagementFactory.getThreadMXBean();
      long until = threads.getCurrentThreadCpuTime() + 50_000_000L;
      long x = i;
      while (threads.getCurrentThreadCpuTime() < until) {
        for (int k = 0; k < 10_000; k++) {
          x = x * 6364136223846793005L + 1442695040888963407L;
        }
      }
      out.output((int) (x & 1) + i - (int) (x & 1));
    }
  }

  static final class CountThem extends DoFn<Integer, Integer> {
    private final Counter seen = Metrics.counter("test", "seen");

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<Integer> out) {
      seen.inc();
      out.output(i);
    }
  }

  static final class Explode extends DoFn<Integer, Integer> {
    @ProcessElement
    public void process(@Element Integer i) {
      if (i == 7) {
        throw new IllegalArgumentException("seven");
      }
    }
  }

  /** Steps between shuffles are fused into one stage, and elements reach the next step uncopied. */
  @Test
  public void fusesStepsAndPassesElementsByReference() {
    Pipeline p = pipeline(2);
    PCollection<KV<Integer, StringBuilder>> made =
        p.apply(Create.of(range(100)))
            .apply("Make", ParDo.of(new MakeBuilder()))
            .apply("Check", ParDo.of(new CheckSame()));
    made.apply(GroupByKey.create())
        .apply(
            "Sizes",
            MapElements.into(TypeDescriptors.integers())
                .via(
                    (KV<Integer, Iterable<StringBuilder>> kv) ->
                        kv.getValue().iterator().next().length()));
    PartitionedRunner.prepare(p);
    Plan plan = PipelineTranslator.translate(p);
    assertEquals("Create, Make and Check fused; GroupByKey and Sizes fused", 2, plan.stages.size());
    assertEquals(
        List.of(
            "Create.Values/Read(CreateSource)",
            "Make/ParMultiDo(MakeBuilder)",
            "Check/ParMultiDo(CheckSame)"),
        plan.stages.get(0).steps.stream().map(s -> s.name).toList());
    p.run();
    assertEquals(100, CheckSame.SAME.get());
  }

  static final class MakeBuilder extends DoFn<Integer, KV<Integer, StringBuilder>> {
    static final java.util.Map<Integer, StringBuilder> MADE =
        new java.util.concurrent.ConcurrentHashMap<>();

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<KV<Integer, StringBuilder>> out) {
      StringBuilder b = new StringBuilder("x" + i);
      MADE.put(i, b);
      out.output(KV.of(i % 3, b));
    }
  }

  static final class CheckSame
      extends DoFn<KV<Integer, StringBuilder>, KV<Integer, StringBuilder>> {
    static final java.util.concurrent.atomic.AtomicInteger SAME =
        new java.util.concurrent.atomic.AtomicInteger();

    @ProcessElement
    public void process(
        @Element KV<Integer, StringBuilder> kv, OutputReceiver<KV<Integer, StringBuilder>> out) {
      int i = Integer.parseInt(kv.getValue().substring(1));
      if (MakeBuilder.MADE.get(i) == kv.getValue()) {
        SAME.incrementAndGet();
      }
      out.output(kv);
    }
  }

  /** A task that fails once is run again from its inputs; its output and metrics count once. */
  @Test
  public void retriesAFailedTaskFromItsInputs() {
    Pipeline p = pipeline(3);
    countOnceDespiteAFailure(p, p.apply(Create.of(range(300))));
  }

  /**
   * Runs 300 integers through {@link FailOnce} (one task fails once) and a count per residue mod 3,
   * and checks that the output and the metrics count every element once.
   */
  private static void countOnceDespiteAFailure(Pipeline p, PCollection<Integer> numbers) {
    FailOnce.CALLS.set(0);
    PCollection<KV<Integer, Long>> counts =
        numbers.apply("FailOnce", ParDo.of(new FailOnce())).apply(Count.perKey());
    PAssert.that(counts).containsInAnyOrder(KV.of(0, 100L), KV.of(1, 100L), KV.of(2, 100L));
    PipelineResult result = p.run();
    assertEquals(
        "the failed attempt's counts are dropped",
        300L,
        counter(result, MetricNameFilter.named("test", "failOnceSeen")));
    assertTrue(FailOnce.CALLS.get() > 300);
  }

  /**
   * Rebalanced elements are dealt to the tasks as they ask: a task failing after it took elements
   * takes the same ones again on its retry, so each is processed once in the output and the
   * counters, and every task takes some.
   */
  @Test
  public void rebalancedElementsAreDealtOnceEvenAcrossARetry() {
    TaskNames.SEEN.clear();
    Pipeline p = pipeline(3);
    countOnceDespiteAFailure(
        p,
        p.apply(Create.of(range(300)))
            .apply(org.apache.beam.sdk.transforms.Reshuffle.viaRandomKey())
            .apply("Name", ParDo.of(new TaskNames())));
    assertEquals(TaskNames.SEEN.toString(), 3, TaskNames.SEEN.size());
  }

  /**
   * Matched files are dealt largest first (a big file taken last would keep one task busy after the
   * others finish): one task takes them in that order, whatever the order of their names.
   */
  @Test
  public void matchedFilesAreDealtLargestFirst() throws Exception {
    int[] sizes = {300, 5_000, 40, 5_000, 120_000, 0, 9_999};
    for (int i = 0; i < sizes.length; i++) {
      java.nio.file.Files.write(
          tmp.getRoot().toPath().resolve("f" + i + ".bin"), new byte[sizes[i]]);
    }
    FileOrder.SEEN.clear();
    Pipeline p = pipeline(1);
    p.apply(org.apache.beam.sdk.io.FileIO.match().filepattern(tmp.getRoot() + "/f*.bin"))
        .apply("Order", ParDo.of(new FileOrder()));
    p.run().waitUntilFinish();
    // By size, descending; the two files of 5,000 bytes in the order of their paths.
    assertEquals(
        List.of("f4.bin", "f6.bin", "f1.bin", "f3.bin", "f0.bin", "f2.bin", "f5.bin"),
        FileOrder.SEEN);
  }

  /** Records the names of the files in the order they are processed. */
  static final class FileOrder extends DoFn<org.apache.beam.sdk.io.fs.MatchResult.Metadata, Void> {
    static final List<String> SEEN = java.util.Collections.synchronizedList(new ArrayList<>());

    @ProcessElement
    public void process(@Element org.apache.beam.sdk.io.fs.MatchResult.Metadata file) {
      SEEN.add(file.resourceId().getFilename());
    }
  }

  /** Elements that are not files keep the order they were shuffled in. */
  @Test
  public void largestFirstLeavesOtherElementsInOrder() {
    List<Object> elements = new ArrayList<>();
    for (Object v : List.of("b", "a", "c")) {
      elements.add(org.apache.beam.sdk.util.WindowedValue.valueInGlobalWindow(v));
    }
    List<Object> before = new ArrayList<>(elements);
    Dealer.largestFirst(elements);
    assertEquals(before, elements);
  }

  /** Records the threads (one per task here) elements are processed on. */
  static final class TaskNames extends DoFn<Integer, Integer> {
    static final java.util.Set<String> SEEN = java.util.concurrent.ConcurrentHashMap.newKeySet();

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<Integer> out) {
      SEEN.add(Thread.currentThread().getName());
      if (i % 50 == 0) {
        // Slow enough that no task takes every element before the others start.
        try {
          Thread.sleep(2);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      out.output(i);
    }
  }

  /**
   * A lifted combine whose tasks flush their pre-aggregation many times (a table of 64 keys for
   * 5,000 keys) merges every partial: encoded ones in the global window, object ones in fixed
   * windows. Sum merges into its first accumulator, and the merge's task fails once and is run
   * again from the same partials: the sums would come out wrong if the merge had changed them.
   */
  @Test
  public void combineFlushedManyTimesMergesEveryPartialOnce() {
    FailAfterCombine.CALLS.clear();
    {
      Pipeline p = pipeline(3);
      p.getOptions().as(PartitionedPipelineOptions.class).setPreAggregationKeys(64);
      List<KV<String, Integer>> input = new ArrayList<>();
      java.util.Map<String, Integer> sums = new java.util.TreeMap<>();
      java.util.Map<String, Long> windowed = new java.util.TreeMap<>();
      for (int i = 0; i < 20_000; i++) {
        String key = "key-" + (i * 7919 % 5000);
        input.add(KV.of(key, i));
        sums.merge(key, i, Integer::sum);
        windowed.merge(key + "@" + (i % 4), 1L, Long::sum);
      }
      PCollection<KV<String, Integer>> kvs = p.apply(Create.of(input));
      PCollection<KV<String, Integer>> summed =
          kvs.apply("Sum", Sum.integersPerKey())
              .apply("FailOnce", ParDo.of(new FailAfterCombine<Integer>("sums")));
      List<KV<String, Integer>> expected = new ArrayList<>();
      sums.forEach((k, v) -> expected.add(KV.of(k, v)));
      PAssert.that(summed).containsInAnyOrder(expected);
      PCollection<KV<String, Long>> counted =
          kvs.apply("Stamp", ParDo.of(new StampByValue()))
              .apply(Window.into(FixedWindows.of(Duration.standardSeconds(1))))
              .apply("CountPerWindow", Count.perKey())
              .apply("FailOnceToo", ParDo.of(new FailAfterCombine<Long>("counts")))
              .apply("WithWindow", ParDo.of(new KeyWithSecond()));
      List<KV<String, Long>> expectedCounts = new ArrayList<>();
      windowed.forEach((k, v) -> expectedCounts.add(KV.of(k, v)));
      PAssert.that(counted).containsInAnyOrder(expectedCounts);
      p.run();
      assertTrue(
          "each merge failed once and was run again",
          FailAfterCombine.CALLS.get("sums").get() > sums.size()
              && FailAfterCombine.CALLS.get("counts").get() > windowed.size());
    }
  }

  static final class StampByValue extends DoFn<KV<String, Integer>, KV<String, Integer>> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.outputWithTimestamp(c.element(), new Instant(1000L * (c.element().getValue() % 4)));
    }
  }

  static final class KeyWithSecond extends DoFn<KV<String, Long>, KV<String, Long>> {
    @ProcessElement
    public void process(ProcessContext c) {
      c.output(
          KV.of(
              c.element().getKey() + "@" + c.timestamp().getMillis() / 1000,
              c.element().getValue()));
    }
  }

  /** Fails the 1,000th element its step sees, once. */
  static final class FailAfterCombine<V> extends DoFn<KV<String, V>, KV<String, V>> {
    static final java.util.Map<String, java.util.concurrent.atomic.AtomicInteger> CALLS =
        new java.util.concurrent.ConcurrentHashMap<>();
    private final String step;

    FailAfterCombine(String step) {
      this.step = step;
    }

    @ProcessElement
    public void process(@Element KV<String, V> kv, OutputReceiver<KV<String, V>> out) {
      if (CALLS
              .computeIfAbsent(step, s -> new java.util.concurrent.atomic.AtomicInteger())
              .incrementAndGet()
          == 1000) {
        throw new IllegalStateException("injected failure after the merge");
      }
      out.output(kv);
    }
  }

  /**
   * Keys whose coder packs them pre-aggregate unboxed when the CombineFn has flat accumulators:
   * with tables flushed every 256 keys (50 hot keys, many cold ones), keys that do not pack
   * (negative ones here) and inputs the flat form refuses (multiples of 7, after which their key
   * goes on as an object) mixed in, every key's count and sum come out as plain Java computes them,
   * and each path was taken.
   */
  @Test
  public void flatCombineOfPackedKeysMatchesAPlainSum() {
    FlatCountSum.reset();
    {
      List<KV<Integer, Long>> input = new ArrayList<>();
      for (int i = 0; i < 30_000; i++) {
        int key = i % 20 == 0 ? i * 7919 % 5000 - 500 : i % 50;
        long value = i % 11 == 0 ? -i : i;
        input.add(KV.of(key, value));
      }
      runCountsAndSums(input, new FlatCountSum());
      assertTrue("flat adds: " + FlatCountSum.FLAT.get(), FlatCountSum.FLAT.get() > 1000);
      assertTrue("refused: " + FlatCountSum.REFUSED.get(), FlatCountSum.REFUSED.get() > 100);
      assertTrue("object adds: " + FlatCountSum.OBJECT.get(), FlatCountSum.OBJECT.get() > 1000);
    }
  }

  /**
   * Flat partials stay flat up to the merge, which sorts them into sub-buckets (40,000 keys over
   * three partitions, flushed every 256 keys: more partials per partition than one sub-bucket
   * holds) and merges each in a small table; partials whose flat merge is refused (sums that are
   * multiples of 13) go on as accumulators. Every key's count and sum come out as plain Java
   * computes them, from the same input order as a plain sum would see.
   */
  @Test
  public void flatPartialsMergeInSubBucketsAndAsObjectsWhereRefused() {
    FlatCountSum.reset();
    {
      List<KV<Integer, Long>> input = new ArrayList<>();
      java.util.SplittableRandom r = new java.util.SplittableRandom(3);
      for (int i = 0; i < 120_000; i++) {
        int key = r.nextInt(40_000);
        long value = r.nextLong(-1000, 1000);
        input.add(KV.of(key, value));
      }
      runCountsAndSums(input, new FlatCountSum(false, true));
      assertTrue(
          "flat merges: " + FlatCountSum.MERGED_FLAT.get(),
          FlatCountSum.MERGED_FLAT.get() > 10_000);
      assertTrue(
          "refused merges: " + FlatCountSum.MERGE_REFUSED.get(),
          FlatCountSum.MERGE_REFUSED.get() > 100);
      assertEquals("no object adds", 0, FlatCountSum.OBJECT.get());
    }
  }

  /**
   * Combines {@code input} per key with {@code fn} on three partitions (packed keys) and asserts
   * each key's "count/sum" is what plain Java computes from the same input.
   */
  private static void runCountsAndSums(List<KV<Integer, Long>> input, FlatCountSum fn) {
    runCountsAndSums(input, fn, 0);
  }

  /** Runs the counts and sums with {@code shuffleMemoryMb} (0: the default budget). */
  private static PipelineResult runCountsAndSums(
      List<KV<Integer, Long>> input, FlatCountSum fn, int shuffleMemoryMb) {
    java.util.Map<Integer, long[]> expected = new java.util.TreeMap<>();
    for (KV<Integer, Long> kv : input) {
      long[] cs = expected.computeIfAbsent(kv.getKey(), k -> new long[2]);
      cs[0]++;
      cs[1] += kv.getValue();
    }
    Pipeline p = pipeline(3);
    // Flushed every 256 keys: many partials per key and partition.
    p.getOptions().as(PartitionedPipelineOptions.class).setPreAggregationKeys(256);
    p.getOptions().as(PartitionedPipelineOptions.class).setShuffleMemoryMb(shuffleMemoryMb);
    PCollection<KV<Integer, String>> out =
        p.apply(
                Create.of(input)
                    .withCoder(
                        org.apache.beam.sdk.coders.KvCoder.of(
                            new PackedIntCoder(), org.apache.beam.sdk.coders.VarLongCoder.of())))
            .apply(org.apache.beam.sdk.transforms.Combine.perKey(fn));
    List<KV<Integer, String>> want = new ArrayList<>();
    expected.forEach((k, cs) -> want.add(KV.of(k, cs[0] + "/" + cs[1])));
    PAssert.that(out).containsInAnyOrder(want);
    return p.run();
  }

  /**
   * Flat partials over a budget of 1 MiB go to disk as they are written and are read back for the
   * merge: every key's count and sum still come out as plain Java computes them, merged flat.
   */
  @Test
  public void flatPartialsSpillOverATinyBudgetAndMergeOnce() {
    FlatCountSum.reset();
    List<KV<Integer, Long>> input = new ArrayList<>();
    java.util.SplittableRandom r = new java.util.SplittableRandom(5);
    for (int i = 0; i < 200_000; i++) {
      input.add(KV.of(r.nextInt(60_000), r.nextLong(-1000, 1000)));
    }
    PipelineResult result = runCountsAndSums(input, new FlatCountSum(false, false), 1);
    assertTrue(
        "the partials spilled",
        counter(result, MetricNameFilter.named(PartitionedRunner.class, "shuffleSpilledBytes"))
            > 0);
    assertTrue(
        "merged flat: " + FlatCountSum.MERGED_FLAT.get(), FlatCountSum.MERGED_FLAT.get() > 0);
  }

  /** Integer keys, packed when not negative. */
  static final class PackedIntCoder extends org.apache.beam.sdk.coders.AtomicCoder<Integer>
      implements dev.tripflow.spi.PackedKeys<Integer> {
    @Override
    public void encode(Integer value, java.io.OutputStream out) throws java.io.IOException {
      org.apache.beam.sdk.util.VarInt.encode(value, out);
    }

    @Override
    public Integer decode(java.io.InputStream in) throws java.io.IOException {
      return org.apache.beam.sdk.util.VarInt.decodeInt(in);
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public long pack(Integer key) {
      return key < 0 ? NOT_PACKED : key;
    }

    @Override
    public Integer unpack(long packed) {
      return (int) packed;
    }
  }

  /** A count and a sum, "count/sum"; its flat form refuses multiples of 7. */
  static final class FlatCountSum
      extends org.apache.beam.sdk.transforms.Combine.CombineFn<Long, long[], String>
      implements dev.tripflow.spi.FlatAccumulators<Long, long[]> {
    static final java.util.concurrent.atomic.AtomicLong FLAT =
        new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong REFUSED =
        new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong OBJECT =
        new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong MERGED_FLAT =
        new java.util.concurrent.atomic.AtomicLong();
    static final java.util.concurrent.atomic.AtomicLong MERGE_REFUSED =
        new java.util.concurrent.atomic.AtomicLong();

    // Whether addFlat refuses multiples of 7, and mergeFlat partials whose sum is a multiple of 13.
    private final boolean refuseAdds;
    private final boolean refuseMerges;

    FlatCountSum() {
      this(true, false);
    }

    FlatCountSum(boolean refuseAdds, boolean refuseMerges) {
      this.refuseAdds = refuseAdds;
      this.refuseMerges = refuseMerges;
    }

    static void reset() {
      FLAT.set(0);
      REFUSED.set(0);
      OBJECT.set(0);
      MERGED_FLAT.set(0);
      MERGE_REFUSED.set(0);
    }

    @Override
    public long[] createAccumulator() {
      return new long[2];
    }

    @Override
    public long[] addInput(long[] acc, Long x) {
      OBJECT.incrementAndGet();
      acc[0]++;
      acc[1] += x;
      return acc;
    }

    @Override
    public long[] mergeAccumulators(Iterable<long[]> accs) {
      long[] merged = new long[2];
      for (long[] a : accs) {
        merged[0] += a[0];
        merged[1] += a[1];
      }
      return merged;
    }

    @Override
    public String extractOutput(long[] acc) {
      return acc[0] + "/" + acc[1];
    }

    @Override
    public org.apache.beam.sdk.coders.Coder<long[]> getAccumulatorCoder(
        org.apache.beam.sdk.coders.CoderRegistry registry,
        org.apache.beam.sdk.coders.Coder<Long> input) {
      return new org.apache.beam.sdk.coders.AtomicCoder<long[]>() {
        @Override
        public void encode(long[] acc, java.io.OutputStream out) throws java.io.IOException {
          org.apache.beam.sdk.util.VarInt.encode(acc[0], out);
          org.apache.beam.sdk.util.VarInt.encode(acc[1], out);
        }

        @Override
        public long[] decode(java.io.InputStream in) throws java.io.IOException {
          return new long[] {
            org.apache.beam.sdk.util.VarInt.decodeLong(in),
            org.apache.beam.sdk.util.VarInt.decodeLong(in)
          };
        }
      };
    }

    @Override
    public int flatWidth() {
      return 2;
    }

    @Override
    public boolean addFlat(long[] state, int offset, Long x) {
      if (refuseAdds && x % 7 == 0) {
        REFUSED.incrementAndGet();
        return false;
      }
      FLAT.incrementAndGet();
      state[offset]++;
      state[offset + 1] += x;
      return true;
    }

    @Override
    public long[] fromFlat(long[] state, int offset) {
      return new long[] {state[offset], state[offset + 1]};
    }

    @Override
    public boolean mergesFlat() {
      return true;
    }

    @Override
    public boolean mergeFlat(long[] state, int offset, long[] from, int fromOffset) {
      if (refuseMerges && from[fromOffset + 1] % 13 == 0) {
        MERGE_REFUSED.incrementAndGet();
        return false;
      }
      MERGED_FLAT.incrementAndGet();
      state[offset] += from[fromOffset];
      state[offset + 1] += from[fromOffset + 1];
      return true;
    }
  }

  /** A task failing every attempt fails the run with the step, the partition and the cause. */
  @Test
  public void finalErrorNamesStepPartitionAndCause() {
    Pipeline bad = pipeline(2);
    bad.getOptions().as(PartitionedPipelineOptions.class).setMaxTaskAttempts(2);
    bad.apply(Create.of(range(10))).apply("Explode", ParDo.of(new Explode()));
    try {
      bad.run();
      fail();
    } catch (Pipeline.PipelineExecutionException e) {
      assertTrue(
          e.getMessage(), e.getMessage().contains("step 'Explode/ParMultiDo(Explode)' failed"));
      assertTrue(
          e.getMessage(), e.getMessage().matches(".*partition \\d+ of \\d+, attempt 2 of 2.*"));
      assertTrue(e.getMessage(), e.getMessage().contains("IllegalArgumentException: seven"));
    }
  }

  /** A task out of heap is not run again in the same heap: the error says so and what to do. */
  @Test
  public void anOutOfMemoryTaskIsNotRetried() {
    OutOfHeap.CALLS.set(0);
    Pipeline bad = pipeline(1);
    bad.apply(Create.of(range(10))).apply("Hog", ParDo.of(new OutOfHeap()));
    try {
      bad.run();
      fail();
    } catch (Pipeline.PipelineExecutionException e) {
      assertTrue(e.getMessage(), e.getMessage().contains("attempt 1 of 4, not retried"));
      assertTrue(e.getMessage(), e.getMessage().contains("-Xmx"));
      assertEquals(1, OutOfHeap.CALLS.get());
    }
  }

  static final class OutOfHeap extends DoFn<Integer, Integer> {
    static final java.util.concurrent.atomic.AtomicInteger CALLS =
        new java.util.concurrent.atomic.AtomicInteger();

    @ProcessElement
    public void process(@Element Integer i) {
      CALLS.incrementAndGet();
      throw new OutOfMemoryError("injected: Java heap space");
    }
  }

  static final class FailOnce extends DoFn<Integer, KV<Integer, Integer>> {
    static final java.util.concurrent.atomic.AtomicInteger CALLS =
        new java.util.concurrent.atomic.AtomicInteger();
    private final Counter seen = Metrics.counter("test", "failOnceSeen");

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<KV<Integer, Integer>> out) {
      seen.inc();
      if (CALLS.incrementAndGet() == 50) {
        throw new IllegalStateException("injected failure");
      }
      out.output(KV.of(i % 3, i));
    }
  }

  /**
   * A GroupByKey over several times the shuffle budget spills sorted runs, merges them back to the
   * right groups, and leaves no spill file behind.
   */
  @Test
  public void groupByKeyLargerThanTheBudgetSpillsAndMerges() throws Exception {
    java.nio.file.Path spill = tmp.newFolder("spill").toPath();
    Pipeline p = pipeline(2);
    PartitionedPipelineOptions o = p.getOptions().as(PartitionedPipelineOptions.class);
    o.setShuffleMemoryMb(1);
    o.setSpillDirectory(spill.toString());
    int n = 40_000;
    PCollection<KV<Integer, Long>> sums =
        p.apply(Create.of(range(n)))
            .apply("Pad", ParDo.of(new Pad()))
            .apply(GroupByKey.create())
            .apply("Sum", ParDo.of(new SumGroup()));
    List<KV<Integer, Long>> expected = new ArrayList<>();
    for (int k = 0; k < 1000; k++) {
      long sum = 0;
      for (int i = k; i < n; i += 1000) {
        sum += i;
      }
      expected.add(KV.of(k, sum));
    }
    PAssert.that(sums).containsInAnyOrder(expected);
    PipelineResult result = p.run();
    long spilled =
        counter(result, MetricNameFilter.named(PartitionedRunner.class, "shuffleSpilledBytes"));
    assertTrue("spilled " + spilled + " bytes", spilled > 3L << 20);
    try (var left = java.nio.file.Files.list(spill)) {
      assertEquals("spill files removed", 0, left.count());
    }
  }

  /**
   * A spilled GroupByKey of a few keys with tens of thousands of values each (a 3-file write's
   * shards): every group iterates twice to the same values, read from the spilled runs, and the
   * output carries the latest input timestamp under TimestampCombiner.LATEST.
   */
  @Test
  public void spilledGroupsOfFewHugeKeysReiterate() throws Exception {
    java.nio.file.Path spill = tmp.newFolder("spill-huge").toPath();
    Pipeline p = pipeline(2);
    PartitionedPipelineOptions o = p.getOptions().as(PartitionedPipelineOptions.class);
    o.setShuffleMemoryMb(1);
    o.setSpillDirectory(spill.toString());
    int n = 60_000;
    PCollection<KV<Integer, String>> padded =
        p.apply(Create.of(range(n)))
            .apply(
                "Stamp",
                org.apache.beam.sdk.transforms.WithTimestamps.of(i -> new Instant(1000L * i)))
            .apply("Pad", ParDo.of(new Pad()))
            .apply(
                "Three",
                MapElements.into(
                        TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.strings()))
                    .via(kv -> KV.of(kv.getKey() % 3, kv.getValue())))
            .apply(
                Window.<KV<Integer, String>>configure()
                    .withTimestampCombiner(
                        org.apache.beam.sdk.transforms.windowing.TimestampCombiner.LATEST));
    PCollection<String> sums =
        padded.apply(GroupByKey.create()).apply("Twice", ParDo.of(new SumTwiceWithTimestamp()));
    List<String> expected = new ArrayList<>();
    for (int k = 0; k < 3; k++) {
      long sum = 0;
      long latest = 0;
      long count = 0;
      for (int i = 0; i < n; i++) {
        if ((i % 1000) % 3 == k) {
          sum += i;
          latest = Math.max(latest, 1000L * i);
          count++;
        }
      }
      expected.add(k + ":" + count + ":" + sum + "@" + latest);
    }
    PAssert.that(sums).containsInAnyOrder(expected);
    PipelineResult result = p.run();
    assertTrue(
        counter(result, MetricNameFilter.named(PartitionedRunner.class, "shuffleSpilledBytes"))
            > 3L << 20);
    try (var left = java.nio.file.Files.list(spill)) {
      assertEquals("spill files removed", 0, left.count());
    }
  }

  static final class SumTwiceWithTimestamp extends DoFn<KV<Integer, Iterable<String>>, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      long[] sums = new long[2];
      long[] counts = new long[2];
      for (int pass = 0; pass < 2; pass++) {
        for (String s : c.element().getValue()) {
          sums[pass] += Long.parseLong(s.substring(0, s.indexOf(':')));
          counts[pass]++;
        }
      }
      if (sums[0] != sums[1] || counts[0] != counts[1]) {
        throw new IllegalStateException("the second iteration differs");
      }
      c.output(
          c.element().getKey() + ":" + counts[0] + ":" + sums[0] + "@" + c.timestamp().getMillis());
    }
  }

  static final class Pad extends DoFn<Integer, KV<Integer, String>> {
    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<KV<Integer, String>> out) {
      out.output(KV.of(i % 1000, i + ":" + "x".repeat(150)));
    }
  }

  static final class SumGroup extends DoFn<KV<Integer, Iterable<String>>, KV<Integer, Long>> {
    @ProcessElement
    public void process(
        @Element KV<Integer, Iterable<String>> kv, OutputReceiver<KV<Integer, Long>> out) {
      long sum = 0;
      for (String s : kv.getValue()) {
        sum += Long.parseLong(s.substring(0, s.indexOf(':')));
      }
      out.output(KV.of(kv.getKey(), sum));
    }
  }

  /**
   * A GroupByKey in the global window keeps its records encoded and decodes a group's values each
   * time they are iterated: every group iterates twice to the same values, and the output carries
   * the latest input timestamp under TimestampCombiner.LATEST.
   */
  @Test
  public void globalWindowGroupsReiterateAndCombineTimestamps() {
    Pipeline p = pipeline(3);
    int n = 5_000;
    List<TimestampedValue<KV<Integer, Integer>>> input = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      input.add(TimestampedValue.of(KV.of(i % 7, i), new Instant(1_000L * ((i * 37) % n))));
    }
    PCollection<String> groups =
        p.apply(Create.timestamped(input))
            .apply(
                Window.<KV<Integer, Integer>>configure()
                    .withTimestampCombiner(
                        org.apache.beam.sdk.transforms.windowing.TimestampCombiner.LATEST))
            .apply(GroupByKey.create())
            .apply("Describe", ParDo.of(new DescribeGroup()));
    List<String> expected = new ArrayList<>();
    for (int k = 0; k < 7; k++) {
      long sum = 0;
      long count = 0;
      long latest = Long.MIN_VALUE;
      for (int i = k; i < n; i += 7) {
        sum += i;
        count++;
        latest = Math.max(latest, 1_000L * ((i * 37) % n));
      }
      expected.add(k + " " + count + " " + sum + " " + sum + " " + new Instant(latest));
    }
    PAssert.that(groups).containsInAnyOrder(expected);
    p.run();
  }

  static final class DescribeGroup extends DoFn<KV<Integer, Iterable<Integer>>, String> {
    @ProcessElement
    public void process(ProcessContext c) {
      long count = 0;
      long first = 0;
      for (int v : c.element().getValue()) {
        count++;
        first += v;
      }
      long second = 0;
      for (int v : c.element().getValue()) {
        second += v;
      }
      c.output(
          c.element().getKey() + " " + count + " " + first + " " + second + " " + c.timestamp());
    }
  }

  /**
   * A Flatten of inputs from two stages feeding a shuffle is unzipped into both: nothing is
   * materialised, and the answer is the same.
   */
  @Test
  public void flattenBeforeAShuffleIsUnzipped() {
    Pipeline p = pipeline(2);
    PAssert.that(flattenAndCount(p)).containsInAnyOrder(KV.of(0, 40L), KV.of(1, 40L));
    Pipeline planned = pipeline(2);
    flattenAndCount(planned);
    PartitionedRunner.prepare(planned);
    Plan plan = PipelineTranslator.translate(planned);
    assertEquals("A+Flatten+Map, B+Flatten+Map, Count", 3, plan.stages.size());
    assertTrue(plan.materialized().isEmpty());
    p.run();
  }

  private static PCollection<KV<Integer, Long>> flattenAndCount(Pipeline p) {
    PCollection<Integer> a = p.apply("A", Create.of(range(50)));
    PCollection<Integer> b = p.apply("B", Create.of(range(30)));
    return PCollectionList.of(a)
        .and(b)
        .apply(Flatten.pCollections())
        .apply(
            MapElements.into(
                    TypeDescriptors.kvs(TypeDescriptors.integers(), TypeDescriptors.integers()))
                .via(i -> KV.of(i % 2, i)))
        .apply(Count.perKey());
  }
}
