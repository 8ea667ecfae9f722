package dev.tripflow.runners.partitioned.ui;

import com.fasterxml.jackson.databind.JsonNode;
import dev.tripflow.runners.partitioned.PartitionedPipelineOptions;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.beam.sdk.Pipeline;
import org.apache.beam.sdk.metrics.Counter;
import org.apache.beam.sdk.metrics.Metrics;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.transforms.Create;
import org.apache.beam.sdk.transforms.DoFn;
import org.apache.beam.sdk.transforms.GroupByKey;
import org.apache.beam.sdk.transforms.ParDo;
import org.apache.beam.sdk.values.KV;

/**
 * The pipeline the UI tests run (1,000 numbers keyed by their last digit, grouped, the groups
 * summed; counters on both sides of the shuffle) and how they read the UI's JSON.
 */
final class UiRuns {
  private UiRuns() {}

  static final int NUMBERS = 1000;
  static final int KEYS = 10;

  /** Released by a test to let a run that waits in its second stage go on. */
  static volatile CountDownLatch gate = new CountDownLatch(0);

  /** Counts and keys each number by its last digit. */
  static final class KeyByLastDigit extends DoFn<Integer, KV<Integer, Integer>> {
    private final Counter seen = Metrics.counter("ui-test", "numbers_seen");

    @ProcessElement
    public void process(@Element Integer i, OutputReceiver<KV<Integer, Integer>> out) {
      seen.inc();
      out.output(KV.of(i % KEYS, i));
    }
  }

  /** Sums each group, after the gate opens. */
  static final class SumGroup extends DoFn<KV<Integer, Iterable<Integer>>, Long> {
    private final Counter groups = Metrics.counter("ui-test", "groups_summed");

    @ProcessElement
    public void process(@Element KV<Integer, Iterable<Integer>> group, OutputReceiver<Long> out)
        throws InterruptedException {
      if (!gate.await(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException("the test never opened the gate");
      }
      groups.inc();
      long sum = 0;
      for (int i : group.getValue()) {
        sum += i;
      }
      out.output(sum);
    }
  }

  static Pipeline pipeline(Path eventLogDir, boolean ui, int uiPort) {
    PipelineOptions o = PipelineOptionsFactory.fromArgs("--runner=PartitionedRunner").create();
    o.setJobName("ui-test");
    PartitionedPipelineOptions po = o.as(PartitionedPipelineOptions.class);
    po.setPartitions(2);
    po.setEventLogDir(eventLogDir.toString());
    po.setUi(ui);
    po.setUiPort(uiPort);
    Pipeline p = Pipeline.create(o);
    List<Integer> numbers = new ArrayList<>();
    for (int i = 0; i < NUMBERS; i++) {
      numbers.add(i);
    }
    p.apply("Numbers", Create.of(numbers))
        .apply("KeyByLastDigit", ParDo.of(new KeyByLastDigit()))
        .apply("GroupByDigit", GroupByKey.create())
        .apply("SumGroup", ParDo.of(new SumGroup()));
    return p;
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  static HttpResponse<String> get(String url) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create(url)).timeout(java.time.Duration.ofSeconds(10)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(String url) throws IOException, InterruptedException {
    HttpResponse<String> r = get(url);
    if (r.statusCode() != 200) {
      throw new IOException(url + ": HTTP " + r.statusCode() + " " + r.body());
    }
    return RunEvents.JSON.readTree(r.body());
  }
}
