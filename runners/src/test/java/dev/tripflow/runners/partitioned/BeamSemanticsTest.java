package dev.tripflow.runners.partitioned;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.coders.VarLongCoder;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.transforms.Join;
import org.apache.beam.sdk.testing.PAssert;
import org.apache.beam.sdk.transforms.Count;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.MapElements;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.transforms.Reshuffle;
import org.apache.beam.sdk.transforms.View;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.Row;
import org.apache.beam.sdk.values.TypeDescriptors;
import org.junit.Test;

/**
 * Beam's semantics at the boundaries a runner owns, on general pipelines, each checked on Beam's
 * DirectRunner too: keys grouped by their coder, the coders of shuffled and materialised
 * collections honoured, undeclared side inputs refused, DoFns that cannot run refused before any
 * work.
 */
public class BeamSemanticsTest {
  private static Pipeline pipeline(String runner) {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=" + runner).create();
    if (runner.equals("PartitionedRunner")) {
      o.as(PartitionedPipelineOptions.class).setPartitions(3);
    }
    return Pipeline.create(o);
  }

  private static final List<String> RUNNERS = List.of("DirectRunner", "PartitionedRunner");

  /**
   * A schema join on key fields of different names: Beam groups the keys by their encoding, which
   * leaves the field names out, so equal values join.
   */
  @Test
  public void schemaJoinOnDifferentlyNamedKeys() {
    Schema users = Schema.builder().addStringField("user").addInt64Field("age").build();
    Schema orders = Schema.builder().addStringField("user2").addInt64Field("amount").build();
    for (String runner : RUNNERS) {
      Pipeline p = pipeline(runner);
      List<Row> u = new ArrayList<>();
      List<Row> o = new ArrayList<>();
      for (int i = 0; i < 50; i++) {
        u.add(Row.withSchema(users).addValues("u" + i, (long) i).build());
        for (int j = 0; j < i % 3; j++) {
          o.add(Row.withSchema(orders).addValues("u" + i, (long) j).build());
        }
      }
      PCollection<Row> joined =
          p.apply("Users", Create.of(u).withRowSchema(users))
              .apply(
                  Join.<Row, Row>innerJoin(p.apply("Orders", Create.of(o).withRowSchema(orders)))
                      .on(Join.FieldsEqual.left("user").right("user2")));
      PAssert.thatSingleton(joined.apply(Count.globally())).isEqualTo((long) o.size());
      p.run().waitUntilFinish();
    }
    // Keys the runner cannot compare field by field (bytes, arrays): grouped by their encoding.
    Schema tagged =
        Schema.builder()
            .addByteArrayField("tag")
            .addArrayField("labels", Schema.FieldType.STRING)
            .addInt64Field("n")
            .build();
    Schema tagged2 =
        Schema.builder()
            .addByteArrayField("tag2")
            .addArrayField("labels2", Schema.FieldType.STRING)
            .addInt64Field("m")
            .build();
    for (String runner : RUNNERS) {
      Pipeline p = pipeline(runner);
      List<Row> a = new ArrayList<>();
      List<Row> b = new ArrayList<>();
      for (int i = 0; i < 30; i++) {
        byte[] tag = {(byte) i, 7};
        a.add(Row.withSchema(tagged).addValues(tag, List.of("x" + i), (long) i).build());
        b.add(Row.withSchema(tagged2).addValues(tag.clone(), List.of("x" + i), (long) -i).build());
      }
      PCollection<Row> joined =
          p.apply("A", Create.of(a).withRowSchema(tagged))
              .apply(
                  Join.<Row, Row>innerJoin(p.apply("B", Create.of(b).withRowSchema(tagged2)))
                      .on(Join.FieldsEqual.left("tag", "labels").right("tag2", "labels2")));
      PAssert.thatSingleton(joined.apply(Count.globally())).isEqualTo(30L);
      p.run().waitUntilFinish();
    }
  }

  /** A value with a field its coder leaves out. */
  static final class Thing implements Serializable {
    private static final long serialVersionUID = 1L;
    final String kept;
    final String dropped;

    Thing(String kept, String dropped) {
      this.kept = kept;
      this.dropped = dropped;
    }
  }

  /** Encodes only {@code kept}; fails on a value whose {@code kept} is "poison". */
  static final class ThingCoder extends AtomicCoder<Thing> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(Thing value, OutputStream out) throws IOException {
      if (value.kept.equals("poison")) {
        throw new CoderException("cannot encode poison");
      }
      StringUtf8Coder.of().encode(value.kept, out);
    }

    @Override
    public Thing decode(InputStream in) throws IOException {
      return new Thing(StringUtf8Coder.of().decode(in), null);
    }
  }

  /** Keeps a thing's {@code dropped} field, or "-" where it is null. */
  static final class Dropped extends DoFn<KV<Long, Iterable<Thing>>, String> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element KV<Long, Iterable<Thing>> group, OutputReceiver<String> out) {
      for (Thing t : group.getValue()) {
        out.output(t.kept + ":" + (t.dropped == null ? "-" : t.dropped));
      }
    }
  }

  /** What crosses a GroupByKey, a Reshuffle or a side input is what the coder makes of it. */
  @Test
  public void shufflesAndSideInputsGoThroughTheCoder() {
    for (String runner : RUNNERS) {
      Pipeline p = pipeline(runner);
      List<Long> ids = new ArrayList<>();
      for (long i = 0; i < 20; i++) {
        ids.add(i);
      }
      // Made by a step, not by Create (which would encode them itself).
      PCollection<KV<Long, Thing>> in =
          p.apply(Create.of(ids))
              .apply(
                  "MakeThings",
                  MapElements.into(
                          TypeDescriptors.kvs(
                              TypeDescriptors.longs(),
                              org.apache.beam.sdk.values.TypeDescriptor.of(Thing.class)))
                      .via(i -> KV.of(i % 4, new Thing("t" + i, "secret"))))
              .setCoder(KvCoder.of(VarLongCoder.of(), new ThingCoder()));
      List<String> expected = new ArrayList<>();
      for (long i = 0; i < 20; i++) {
        expected.add("t" + i + ":-");
      }
      PAssert.that(in.apply(GroupByKey.create()).apply("Grouped", ParDo.of(new Dropped())))
          .containsInAnyOrder(expected);
      PAssert.that(
              in.apply(Reshuffle.viaRandomKey())
                  .apply(
                      "Reshuffled",
                      MapElements.into(TypeDescriptors.strings())
                          .via(
                              kv ->
                                  kv.getValue().kept
                                      + ":"
                                      + (kv.getValue().dropped == null
                                          ? "-"
                                          : kv.getValue().dropped))))
          .containsInAnyOrder(expected);
      PCollectionView<List<KV<Long, Thing>>> view = in.apply(View.asList());
      // A step that cannot fuse with its input (its side input comes later) reads it materialised.
      PCollectionView<Long> later =
          in.apply("CountLater", Count.globally()).apply("LaterView", View.asSingleton());
      PAssert.that(in.apply("AfterTheView", ParDo.of(new WithCount(later)).withSideInputs(later)))
          .containsInAnyOrder(expected);
      PAssert.that(
              p.apply("One", Create.of(1))
                  .apply("ReadView", ParDo.of(new ReadThings(view)).withSideInputs(view)))
          .containsInAnyOrder(expected);
      p.run().waitUntilFinish();
    }
  }

  /** Outputs each thing as {@code kept:dropped}, after reading a side input. */
  static final class WithCount extends DoFn<KV<Long, Thing>, String> {
    private static final long serialVersionUID = 1L;
    private final PCollectionView<Long> count;

    WithCount(PCollectionView<Long> count) {
      this.count = count;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      if (c.sideInput(count) != 20L) {
        throw new IllegalStateException("count " + c.sideInput(count));
      }
      Thing t = c.element().getValue();
      c.output(t.kept + ":" + (t.dropped == null ? "-" : t.dropped));
    }
  }

  /** Outputs every thing of a side input, as {@code kept:dropped}. */
  static final class ReadThings extends DoFn<Integer, String> {
    private static final long serialVersionUID = 1L;
    private final PCollectionView<List<KV<Long, Thing>>> view;

    ReadThings(PCollectionView<List<KV<Long, Thing>>> view) {
      this.view = view;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      for (KV<Long, Thing> kv : c.sideInput(view)) {
        Thing t = kv.getValue();
        c.output(t.kept + ":" + (t.dropped == null ? "-" : t.dropped));
      }
    }
  }

  /** A coder that cannot encode a value fails the run, as on any runner. */
  @Test
  public void aCoderFailureAtAShuffleFailsTheRun() {
    for (String runner : RUNNERS) {
      Pipeline p = pipeline(runner);
      p.apply(Create.of("fine", "poison"))
          .apply(
              MapElements.into(
                      TypeDescriptors.kvs(
                          TypeDescriptors.longs(),
                          org.apache.beam.sdk.values.TypeDescriptor.of(Thing.class)))
                  .via(k -> KV.of((long) k.length(), new Thing(k, "x"))))
          .setCoder(KvCoder.of(VarLongCoder.of(), new ThingCoder()))
          .apply(GroupByKey.create());
      Pipeline.PipelineExecutionException e =
          assertThrows(
              runner, Pipeline.PipelineExecutionException.class, () -> p.run().waitUntilFinish());
      assertTrue(runner + ": " + e, String.valueOf(e.getCause()).contains("cannot encode poison"));
    }
  }

  /** {@code sideInput} of a view the ParDo did not declare throws, as Beam specifies. */
  @Test
  public void anUndeclaredSideInputThrows() {
    for (String runner : RUNNERS) {
      Pipeline p = pipeline(runner);
      PCollectionView<Long> declared =
          p.apply("A", Create.of(1L)).apply("AView", View.asSingleton());
      PCollectionView<Long> other = p.apply("B", Create.of(2L)).apply("BView", View.asSingleton());
      p.apply("In", Create.of(1))
          .apply("Reads", ParDo.of(new ReadsTwo(declared, other)).withSideInputs(declared));
      Exception e = assertThrows(runner, Exception.class, () -> p.run().waitUntilFinish());
      Throwable cause = e;
      while (cause.getCause() != null && !(cause instanceof IllegalArgumentException)) {
        cause = cause.getCause();
      }
      assertTrue(runner + ": " + e, cause instanceof IllegalArgumentException);
      System.out.println(runner + ": " + cause.getMessage());
    }
  }

  /** Reads a declared view and one it did not declare. */
  static final class ReadsTwo extends DoFn<Integer, Long> {
    private static final long serialVersionUID = 1L;
    private final PCollectionView<Long> declared;
    private final PCollectionView<Long> other;

    ReadsTwo(PCollectionView<Long> declared, PCollectionView<Long> other) {
      this.declared = declared;
      this.other = other;
    }

    @ProcessElement
    public void process(ProcessContext c) {
      c.output(c.sideInput(declared) + c.sideInput(other));
    }
  }

  /** Counts the elements a DoFn saw, across runs in this JVM. */
  static final AtomicInteger SEEN = new AtomicInteger();

  /** A DoFn declared for strings, applied (through raw types) to integers. */
  static final class StringsOnly extends DoFn<String, String> {
    private static final long serialVersionUID = 1L;

    @ProcessElement
    public void process(@Element String s, OutputReceiver<String> out) {
      SEEN.incrementAndGet();
      out.output(s.trim());
    }
  }

  /**
   * A DoFn whose element type is not its input's is refused by {@code run()} before any work,
   * naming the ParDo, and is not retried.
   */
  @Test
  @SuppressWarnings({"unchecked", "rawtypes"})
  public void aDoFnOfTheWrongTypeIsRefusedBeforeAnyWork() {
    Pipeline p = pipeline("PartitionedRunner");
    PCollection ints =
        p.apply(Create.of(1, 2, 3))
            .apply(
                "Count",
                MapElements.into(TypeDescriptors.integers())
                    .via(
                        i -> {
                          SEEN.incrementAndGet();
                          return i;
                        }));
    ints.apply("Trim", ParDo.of(new StringsOnly()));
    SEEN.set(0);
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> p.run().waitUntilFinish());
    assertEquals(
        "ParDo 'Trim/ParMultiDo(StringsOnly)': its DoFn takes java.lang.String, but its input"
            + " Count/Map/ParMultiDo(Anonymous).output holds java.lang.Integer",
        e.getMessage());
    assertEquals("no step ran", 0, SEEN.get());
  }
}
