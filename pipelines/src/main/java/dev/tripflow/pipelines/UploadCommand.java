package dev.tripflow.pipelines;

import com.google.auth.Credentials;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Bucket;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import dev.tripflow.io.gcs.KeyFileCredentials;
import dev.tripflow.io.output.OutputGroup;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.output.RowCounter;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.Outputs;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.apache.beam.sdk.extensions.gcp.options.GcpOptions;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * {@code tripflow upload}: copies a local directory tree (the Parquet output of {@code generate} or
 * {@code ingest}) to {@code gs://bucket/prefix}, several files at a time, as the course does with
 * {@code gsutil -m cp -r}. Each file is one resumable upload with Google's Cloud Storage client,
 * retried on the server's transient errors.
 */
final class UploadCommand implements Command {

  /** Options of {@code tripflow upload}. */
  public interface Options extends GcsOptions, Outputs.Options {
    @Description("Local directory (or single file) to upload")
    @Validation.Required
    @Param(
        label = "Local directory",
        example = "data/pq",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.INPUT)
    String getFrom();

    void setFrom(String value);

    @Description("Destination gs://bucket/prefix; the tree under --from is copied beneath it")
    @Validation.Required
    @Param(
        label = "Destination",
        example = "gs://my-bucket/pq",
        regex = "^gs://[a-z0-9][-_.a-z0-9]{0,221}(/.*)?$",
        form = "gs://BUCKET[/PREFIX]",
        role = Param.Role.OUTPUT)
    String getTo();

    void setTo(String value);

    @Description("Files uploaded at the same time")
    @Default.Integer(8)
    @Param(
        label = "Parallel uploads",
        example = "16",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 256)
    int getParallelUploads();

    void setParallelUploads(int value);
  }

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "upload";
  }

  @Override
  public String summary() {
    return "Copy a local Parquet tree to gs://bucket/prefix in parallel (like gsutil -m cp -r)";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    if (!o.getTo().startsWith("gs://") || o.getTo().length() <= 5) {
      throw new UsageException("--to=" + o.getTo() + ": expected gs://bucket[/prefix]");
    }
    if (o.getParallelUploads() < 1) {
      throw new UsageException("--parallelUploads must be at least 1");
    }
    String rest = o.getTo().substring(5);
    String bucketName = rest.contains("/") ? rest.substring(0, rest.indexOf('/')) : rest;
    String prefix = rest.contains("/") ? rest.substring(rest.indexOf('/') + 1) : "";
    if (!prefix.isEmpty() && !prefix.endsWith("/")) {
      prefix += "/";
    }
    Path from = Path.of(o.getFrom()).toAbsolutePath().normalize();
    if (!Files.exists(from)) {
      throw new UsageException("--from=" + o.getFrom() + ": no such file or directory");
    }
    List<Path> files;
    Path base = Files.isDirectory(from) ? from : from.getParent();
    try (Stream<Path> walk = Files.walk(from)) {
      files =
          walk.filter(Files::isRegularFile)
              .filter(f -> !f.getFileName().toString().startsWith("."))
              .sorted()
              .toList();
    }
    if (files.isEmpty()) {
      throw new UsageException("--from=" + o.getFrom() + ": no files to upload");
    }

    Credentials credentials = o.as(GcpOptions.class).getGcpCredential();
    StorageOptions.Builder builder =
        StorageOptions.newBuilder()
            // Re-uploading the same bytes is harmless, so every upload may be retried.
            .setStorageRetryStrategy(StorageRetryStrategy.getUniformStorageRetryStrategy());
    if (credentials != null) {
      builder.setCredentials(credentials);
    }
    if (o.getProject() != null) {
      builder.setProjectId(o.getProject());
    }
    if (o.getGcsEndpoint() != null) {
      builder.setHost(o.getGcsEndpoint().replaceFirst("/storage/v1/?$", ""));
    }
    Storage storage = builder.build().getService();
    String who =
        credentials == null ? "the default credentials" : KeyFileCredentials.accountOf(credentials);
    Bucket bucket;
    try {
      bucket = storage.get(bucketName);
    } catch (StorageException e) {
      throw new UsageException("--to=" + o.getTo() + ": " + explain(e, bucketName, who));
    }
    if (bucket == null) {
      throw new UsageException("--to=" + o.getTo() + ": bucket " + bucketName + " not found");
    }

    // The files go to a staging prefix beside --to, and are moved in when all are there (with a
    // _SUCCESS manifest listing them): --to is replaced as a whole, or not at all.
    Optional<OutputPlan> plan = Outputs.prepare(run, out);
    if (plan.isEmpty()) {
      return 0;
    }
    OutputGroup group = plan.get().group();
    String target = group.targets().get(0);
    String staging = group.stagingOf(target);
    String stagingPrefix = staging.substring(("gs://" + bucketName + "/").length()) + "/";
    long totalBytes = 0;
    for (Path f : files) {
      totalBytes += Files.size(f);
    }
    out.printf(
        Locale.ROOT,
        "uploading %d file(s), %.1f MiB, to gs://%s/%s with %d at a time%n",
        files.size(),
        totalBytes / 1048576.0,
        bucketName,
        prefix,
        o.getParallelUploads());
    long started = System.nanoTime();
    AtomicInteger done = new AtomicInteger();
    AtomicLong bytes = new AtomicLong();
    ExecutorService pool = Executors.newFixedThreadPool(o.getParallelUploads());
    List<Future<?>> futures = new ArrayList<>();
    final String pre = stagingPrefix;
    boolean terminal = System.console() != null;
    long total = totalBytes;
    for (Path f : files) {
      futures.add(
          pool.submit(
              () -> {
                String name = pre + base.relativize(f).toString().replace('\\', '/');
                try {
                  storage.createFrom(BlobInfo.newBuilder(bucketName, name).build(), f, 8 << 20);
                } catch (StorageException e) {
                  throw new IOException(
                      f
                          + " -> gs://"
                          + bucketName
                          + "/"
                          + name
                          + ": "
                          + explain(e, bucketName, who));
                }
                bytes.addAndGet(Files.size(f));
                int n = done.incrementAndGet();
                if (terminal) {
                  System.err.printf(
                      Locale.ROOT,
                      "\r  %d/%d files, %.1f of %.1f MiB",
                      n,
                      files.size(),
                      bytes.get() / 1048576.0,
                      total / 1048576.0);
                }
                return null;
              }));
    }
    pool.shutdown();
    try {
      for (Future<?> future : futures) {
        try {
          future.get();
        } catch (java.util.concurrent.ExecutionException e) {
          pool.shutdownNow();
          Throwable c = e.getCause();
          throw new IOException("upload failed: " + c.getMessage(), c);
        }
      }
      group.staged(target, RowCounter.UNKNOWN);
      group.commitNow();
    } catch (IOException | RuntimeException | Error e) {
      plan.get().abort();
      throw e;
    } finally {
      if (terminal) {
        System.err.println();
      }
    }
    double seconds = (System.nanoTime() - started) / 1e9;
    out.printf(
        Locale.ROOT,
        "uploaded %d file(s), %.1f MiB in %.1f s (%.1f MiB/s) to gs://%s/%s%n",
        files.size(),
        totalBytes / 1048576.0,
        seconds,
        totalBytes / 1048576.0 / Math.max(seconds, 1e-3),
        bucketName,
        prefix);
    return 0;
  }

  /** One line for a Cloud Storage error: not found, permission denied, or the server's words. */
  static String explain(StorageException e, String bucket, String who) {
    return switch (e.getCode()) {
      case 401 -> "not authenticated (" + who + " was refused; check --serviceAccountKey)";
      case 403 -> "permission denied for " + who + " on bucket " + bucket;
      case 404 -> "bucket " + bucket + " not found";
      default -> "HTTP " + e.getCode() + ": " + firstLine(e.getMessage());
    };
  }

  private static String firstLine(String s) {
    if (s == null) {
      return "";
    }
    int nl = s.indexOf('\n');
    return (nl < 0 ? s : s.substring(0, nl)).trim();
  }
}
