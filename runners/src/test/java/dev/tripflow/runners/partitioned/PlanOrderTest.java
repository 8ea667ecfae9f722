package dev.tripflow.runners.partitioned;

import static org.junit.Assert.assertEquals;

import dev.tripflow.runners.partitioned.plan.Plan;
import dev.tripflow.runners.partitioned.plan.Stage;
import dev.tripflow.runners.partitioned.plan.Step;
import dev.tripflow.runners.partitioned.translate.PipelineTranslator;
import java.util.List;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.junit.Test;

/** How steps are placed into stages. */
public class PlanOrderTest {
  static final class Look extends DoFn<Integer, String> {
    private final PCollectionView<java.util.Map<Integer, String>> names;

    Look(PCollectionView<java.util.Map<Integer, String>> names) {
      this.names = names;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.sideInput(names).get(c.element() % 3));
    }
  }

  /**
   * A lookup created after its main input was read is still complete before the main input's stage,
   * so the ParDo reading it fuses there and nothing is materialised.
   */
  @Test
  public void aSideInputCreatedLaterStillLetsItsReaderFuse() {
    Pipeline p = Pipeline.create(PipelineOptionsFactory.create());
    PCollection<Integer> main =
        p.apply("Main", Create.of(List.of(1, 2, 3, 4, 5)))
            .apply("Spread", org.apache.beam.sdk.transforms.Reshuffle.viaRandomKey());
    PCollectionView<java.util.Map<Integer, String>> names =
        p.apply("Names", Create.of(KV.of(0, "a"), KV.of(1, "b"), KV.of(2, "c")))
            .apply(View.asMap());
    main.apply("Look", ParDo.of(new Look(names)).withSideInputs(names));
    PartitionedRunner.prepare(p);
    Plan plan = PipelineTranslator.translate(p);
    Step look = null;
    for (Step s : plan.steps) {
      if (s.name.startsWith("Look")) {
        look = s;
      }
    }
    for (Stage st : plan.stages) {
      System.out.println("stage " + st.id() + ": " + st.steps);
    }
    assertEquals(plan.producer(look.inputs.get(0)).stage(), look.stage());
    assertEquals(
        List.of(),
        List.copyOf(
            plan.materialized().stream()
                .map(PCollection::getName)
                .filter(n -> n.startsWith("Main"))
                .toList()));
  }
}
