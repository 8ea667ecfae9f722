package dev.tripflow.io.gcs;

import java.util.List;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.Hidden;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * Google Cloud options every tripflow command takes. With {@code --serviceAccountKey}, gs:// paths
 * (and BigQuery) authenticate with that key, on the client and on every worker of a cluster (the
 * path travels with the options; the workers read the key themselves). Without it, Beam's default
 * applies: {@code GOOGLE_APPLICATION_CREDENTIALS}, then the application default credentials.
 */
public interface CloudOptions extends PipelineOptions {
  @Description(
      "Service-account key file (JSON) for gs:// paths; default: GOOGLE_APPLICATION_CREDENTIALS or"
          + " the application default credentials")
  String getServiceAccountKey();

  void setServiceAccountKey(String value);

  /**
   * Beam's {@code --gcsEndpoint}, carried to the workers: Beam does not serialize its own, so a
   * cluster's workers would reach storage.googleapis.com instead. Set from {@code --gcsEndpoint}
   * when a command's options are resolved ({@link GcsEndpointOnWorkers}); not an option to give.
   */
  @Hidden
  @Description("Beam's --gcsEndpoint as the workers see it (set from --gcsEndpoint)")
  String getWorkerGcsEndpoint();

  void setWorkerGcsEndpoint(String value);

  /** Registers {@link CloudOptions} with Beam, so every command accepts them. */
  final class Registrar implements PipelineOptionsRegistrar {
    @Override
    public Iterable<Class<? extends PipelineOptions>> getPipelineOptions() {
      return List.of(CloudOptions.class);
    }
  }
}
