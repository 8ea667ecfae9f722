package dev.tripflow.deploy.submit;

import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import dev.tripflow.deploy.artifacts.BuildArtifacts;
import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;

/**
 * The jar a Dataproc job runs from (the engine's slim job jar, or a given one), and its copy in
 * Cloud Storage: {@code <bucket>/tripflow/jars/tripflow-<hash>.jar}, named by the first 16 hex
 * digits of the jar's SHA-256, so that a jar is uploaded once and every later submit of the same
 * build reuses it.
 */
final class BundledJar {
  final Path file;
  final String hash;

  private BundledJar(Path file, String hash) {
    this.file = file;
    this.hash = hash;
  }

  /**
   * The jar at {@code given}, or (null) the slim job jar of {@code engine} ({@code spark} or {@code
   * flink}) that this build made.
   */
  static BundledJar locate(String given, String engine) throws IOException {
    Path file;
    if (given != null) {
      file = Path.of(given);
      if (!Files.isRegularFile(file)) {
        throw new UsageException("--jar=" + given + ": no such file");
      }
    } else {
      file = BuildArtifacts.jobJar(engine);
    }
    return new BundledJar(file, sha256(file).substring(0, 16));
  }

  static String sha256(Path file) throws IOException {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      try (InputStream in = Files.newInputStream(file)) {
        byte[] buf = new byte[1 << 16];
        for (int n; (n = in.read(buf)) > 0; ) {
          d.update(buf, 0, n);
        }
      }
      return HexFormat.of().formatHex(d.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The object name under the bucket's prefix ({@code prefix} empty or ending in '/'). */
  String objectName(String prefix) {
    return prefix + "tripflow/jars/tripflow-" + hash + ".jar";
  }

  /**
   * Uploads the jar to {@code gs://bucket/name} unless that object exists, and says which it did.
   */
  void stage(Storage storage, String bucket, String name, PrintStream out, String who)
      throws IOException {
    String uri = "gs://" + bucket + "/" + name;
    try {
      if (storage.get(BlobId.of(bucket, name)) != null) {
        out.println("reusing " + uri);
        return;
      }
      long size = Files.size(file);
      long started = System.nanoTime();
      storage.createFrom(
          BlobInfo.newBuilder(bucket, name).setContentType("application/java-archive").build(),
          file,
          8 << 20,
          Storage.BlobWriteOption.doesNotExist());
      out.printf(
          Locale.ROOT,
          "uploaded %s (%.1f MB in %.1f s)%n",
          uri,
          size / 1e6,
          (System.nanoTime() - started) / 1e9);
    } catch (StorageException e) {
      if (e.getCode() == 412) {
        // uploaded by another submit of the same jar meanwhile
        out.println("reusing " + uri);
        return;
      }
      throw new UsageException("--bucket=gs://" + bucket + ": " + explain(e, bucket, who));
    }
  }

  private static String explain(StorageException e, String bucket, String who) {
    return switch (e.getCode()) {
      case 401 -> "not authenticated (" + who + " was refused; check --serviceAccountKey)";
      case 403 -> "permission denied for " + who + " on bucket " + bucket;
      case 404 -> "bucket " + bucket + " not found";
      default ->
          "HTTP "
              + e.getCode()
              + ": "
              + String.valueOf(e.getMessage()).lines().findFirst().orElse("");
    };
  }
}
