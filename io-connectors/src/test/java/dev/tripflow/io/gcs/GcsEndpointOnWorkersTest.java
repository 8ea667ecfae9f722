package dev.tripflow.io.gcs;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.Test;

/**
 * {@code --gcsEndpoint} on a worker: options travel to a cluster's workers as JSON, which Beam's
 * own endpoint option is left out of.
 */
public class GcsEndpointOnWorkersTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String ENDPOINT = "http://127.0.0.1:9/storage/v1/";

  /** The options as a worker deserializes them, with its file systems registered from them. */
  private static GcsOptions onWorker(PipelineOptions client) throws Exception {
    PipelineOptions worker = JSON.readValue(JSON.writeValueAsBytes(client), PipelineOptions.class);
    new GcsEndpointOnWorkers().fromOptions(worker);
    return worker.as(GcsOptions.class);
  }

  @Test
  public void theEndpointReachesTheWorkers() throws Exception {
    PipelineOptions client = PipelineOptionsFactory.fromArgs("--gcsEndpoint=" + ENDPOINT).create();
    assertNull("Beam's own option stays on the client", onWorker(client).getGcsEndpoint());
    GcsEndpointOnWorkers.carry(client);
    assertEquals(ENDPOINT, onWorker(client).getGcsEndpoint());
  }

  @Test
  public void withoutOneWorkersUseGooglesDefault() throws Exception {
    PipelineOptions client = PipelineOptionsFactory.create();
    GcsEndpointOnWorkers.carry(client);
    assertNull(onWorker(client).getGcsEndpoint());
  }
}
