package dev.tripflow.io.gcs;

import com.google.auth.Credentials;
import com.google.auth.oauth2.GoogleCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.extensions.gcp.auth.CredentialFactory;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Credentials from the key file named by {@code --serviceAccountKey}. Installed as Beam's {@code
 * credentialFactoryClass}, so that every JVM of a job (the client, and each Flink or Spark worker
 * after its options are deserialized) loads the key from the same path. Errors name the file and
 * never show its contents.
 */
public final class KeyFileCredentials implements CredentialFactory {
  /** The OAuth scopes tripflow asks for: Cloud Storage and BigQuery, through cloud-platform. */
  public static final List<String> SCOPES =
      List.of(
          "https://www.googleapis.com/auth/cloud-platform",
          "https://www.googleapis.com/auth/devstorage.full_control",
          "https://www.googleapis.com/auth/bigquery");

  private final String keyFile;

  private KeyFileCredentials(String keyFile) {
    this.keyFile = keyFile;
  }

  /** Beam's factory method. */
  public static KeyFileCredentials fromOptions(PipelineOptions options) {
    return new KeyFileCredentials(options.as(CloudOptions.class).getServiceAccountKey());
  }

  @Override
  public Credentials getCredential() throws IOException {
    return load(keyFile);
  }

  /**
   * Loads a key file (a service-account key, or any credentials file Google's auth library reads).
   *
   * @throws IOException with a one-line message naming the file, never its contents
   */
  public static GoogleCredentials load(String keyFile) throws IOException {
    Path p = Path.of(keyFile);
    if (!Files.exists(p)) {
      throw new IOException(keyFile + ": no such key file");
    }
    if (!Files.isRegularFile(p) || !Files.isReadable(p)) {
      throw new IOException(keyFile + ": cannot read the key file");
    }
    try (InputStream in = Files.newInputStream(p)) {
      return GoogleCredentials.fromStream(in).createScoped(SCOPES);
    } catch (IOException | RuntimeException e) {
      // The library's messages can quote the file; say what is wrong without them.
      throw new IOException(
          keyFile
              + ": not a Google credentials key file (expected the JSON key of a service account,"
              + " with type, client_email, private_key and private_key_id)");
    }
  }

  /**
   * Applies {@code --serviceAccountKey} to parsed options: checks the key now (so a bad key is a
   * usage error before any work) and makes it the credential factory of the job.
   */
  public static void apply(PipelineOptions options) throws IOException {
    String key = options.as(CloudOptions.class).getServiceAccountKey();
    if (key == null || key.isBlank()) {
      return;
    }
    GcpOptions gcp = options.as(GcpOptions.class);
    gcp.setGcpCredential(load(key));
    gcp.setCredentialFactoryClass(KeyFileCredentials.class);
  }

  /** The account a key file belongs to, for messages (never the key). */
  public static String accountOf(Credentials c) {
    if (c instanceof com.google.auth.ServiceAccountSigner s) {
      return s.getAccount();
    }
    return "the default credentials";
  }
}
