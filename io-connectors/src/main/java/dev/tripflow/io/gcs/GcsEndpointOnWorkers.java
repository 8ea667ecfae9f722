package dev.tripflow.io.gcs;

import java.util.List;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.io.FileSystem;
import org.apache.beam.sdk.io.FileSystemRegistrar;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Puts {@code --gcsEndpoint} back into the options a worker deserializes. Every runner registers
 * the file systems from the options it deserializes on a worker, handing the same options to every
 * registrar; Beam's GCS file system creates its client lazily from them, so the endpoint restored
 * here is in place before the first gs:// call. Registers no file system of its own.
 */
public final class GcsEndpointOnWorkers implements FileSystemRegistrar {
  /** On the client: copies Beam's {@code --gcsEndpoint} into the option the workers receive. */
  public static void carry(PipelineOptions options) {
    String endpoint = options.as(GcsOptions.class).getGcsEndpoint();
    if (endpoint != null) {
      options.as(CloudOptions.class).setWorkerGcsEndpoint(endpoint);
    }
  }

  @Override
  public Iterable<FileSystem<?>> fromOptions(PipelineOptions options) {
    if (options != null) {
      String endpoint = options.as(CloudOptions.class).getWorkerGcsEndpoint();
      GcsOptions gcs = options.as(GcsOptions.class);
      if (endpoint != null && gcs.getGcsEndpoint() == null) {
        gcs.setGcsEndpoint(endpoint);
      }
    }
    return List.of();
  }
}
