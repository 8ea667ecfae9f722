package dev.tripflow.runners.partitioned;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.Sum;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.transforms.windowing.FixedWindows;
import org.apache.beam.sdk.transforms.windowing.Sessions;
import org.apache.beam.sdk.transforms.windowing.Window;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.joda.time.Duration;
import org.junit.Test;

/** The plan explain prints: every exchange kind chosen from the transform and its windowing. */
public class ExplainTest {
  @Test
  public void explainNamesStagesFusedStepsAndEachExchange() {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=PartitionedRunner").create();
    o.as(PartitionedPipelineOptions.class).setPartitions(3);
    Pipeline p = Pipeline.create(o);
    PCollection<KV<String, Integer>> kvs =
        p.apply("Numbers", Create.of(List.of(KV.of("a", 1), KV.of("b", 2))))
            .apply("Spread", Reshuffle.viaRandomKey());
    kvs.apply("Sum", Sum.integersPerKey());
    kvs.apply("Group", GroupByKey.create());
    kvs.apply("Fixed", Window.into(FixedWindows.of(Duration.standardMinutes(1))))
        .apply("GroupFixed", GroupByKey.create());
    kvs.apply("Sessions", Window.into(Sessions.withGapDuration(Duration.standardMinutes(1))))
        .apply("GroupSessions", GroupByKey.create());
    kvs.apply("Keys", MapElements.into(TypeDescriptors.strings()).via(KV::getKey))
        .apply("CountKeys", Count.perElement())
        .apply("AsMap", View.asMap());

    String plan = PartitionedRunner.explain(p);

    assertTrue(plan, plan.startsWith("PartitionedRunner plan: "));
    assertTrue(plan, plan.contains(", 3 partitions\n"));
    for (String exchange :
        List.of(
            "dealt to tasks as they ask, unchanged",
            "pre-aggregated, partials hashed by key and merged",
            "hash by key, records encoded",
            "hash by key, records as objects",
            "hash by key, windows merged per key")) {
      assertTrue(exchange + " in\n" + plan, plan.contains("reads the shuffle of "));
      assertTrue(exchange + " in\n" + plan, plan.contains("(" + exchange + ")"));
    }
    assertTrue(plan, plan.contains("view "));
    // The stages are numbered from 1 in the order they run, one header line each.
    long stages = plan.lines().filter(l -> l.startsWith("stage ")).count();
    assertEquals(plan, stages, plan.lines().filter(l -> l.matches("stage \\d+: .*")).count());
    assertTrue(plan, plan.contains("stage 1: "));
    assertTrue(plan, plan.contains("stage " + stages + ": "));
  }
}
