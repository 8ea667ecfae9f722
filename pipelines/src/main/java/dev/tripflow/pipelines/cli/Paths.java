package dev.tripflow.pipelines.cli;

import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.Roles;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.pipelines.schedule.Schedule;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.PipelineOptions;

/** Checks of inputs and outputs made before a pipeline starts, each failing with one line. */
public final class Paths {
  private Paths() {}

  /** Whether option {@code name} of {@code type} holds paths (its role says so). */
  public static boolean isPathOption(Class<?> type, String name) {
    return Roles.roleOf(type, name) != Param.Role.NONE;
  }

  /** Whether {@code spec} is a local path (no URI scheme such as {@code gs://}). */
  public static boolean isLocal(String spec) {
    return !spec.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || spec.startsWith("file://");
  }

  /**
   * A local directory given as an input stands for the Parquet files in it, as Spark's {@code
   * read.parquet(dir)} does: {@code dir} becomes {@code dir/*.parquet}, or {@code dir/**} when it
   * has no Parquet file of its own but subdirectories that do (a partitioned layout). Any other
   * spec is returned unchanged.
   */
  public static String directoryAsGlob(String spec) {
    if (spec == null || spec.isBlank() || !isLocal(spec) || spec.contains("*")) {
      return spec;
    }
    Path p = Path.of(spec.startsWith("file://") ? spec.substring("file://".length()) : spec);
    if (!Files.isDirectory(p)) {
      return spec;
    }
    String base = spec.endsWith("/") ? spec.substring(0, spec.length() - 1) : spec;
    try (var files = Files.list(p)) {
      boolean direct = files.anyMatch(f -> f.getFileName().toString().endsWith(".parquet"));
      return base + (direct ? "/*.parquet" : "/**.parquet");
    } catch (IOException e) {
      return spec;
    }
  }

  /**
   * The files {@code glob} matches.
   *
   * @throws UsageException naming {@code option} when none match or the glob cannot be read
   */
  public static List<Metadata> requireMatches(PipelineOptions options, String option, String glob) {
    if (glob == null || glob.isBlank()) {
      throw new UsageException("--" + option + " is required");
    }
    if (isLocal(glob) && !glob.matches(".*[*?\\[{].*")) {
      // A plain local path: check it directly (Beam would search the parent directory's whole
      // tree for a missing one, which for /missing.parquet is the whole disk).
      Path p = Path.of(glob.startsWith("file://") ? glob.substring("file://".length()) : glob);
      if (!Files.isRegularFile(p)) {
        throw new UsageException(
            "--" + option + "=" + glob + (Files.exists(p) ? ": not a file" : ": no such file"));
      }
    }
    FileSystems.setDefaultPipelineOptions(options);
    try {
      MatchResult result = FileSystems.match(glob, EmptyMatchTreatment.ALLOW);
      List<Metadata> files = result.metadata();
      if (files.isEmpty()) {
        throw new UsageException("--" + option + "=" + glob + ": no files match");
      }
      return files;
    } catch (IOException | IllegalArgumentException e) {
      String why = glob.startsWith("gs://") ? gcsReason(options, glob) : null;
      throw new UsageException(
          "--"
              + option
              + "="
              + glob
              + ": "
              + (why != null ? why : OptionsParser.firstLine(e.getMessage())));
    }
  }

  /**
   * Checks that an input template matches files in every period of the run (one glob when the
   * periods share it); the error names the period whose files are missing.
   */
  public static List<Metadata> requireMatches(
      PipelineOptions options, String option, String template, List<Period> periods) {
    List<String> globs = Schedule.inputGlobs(template, periods);
    if (globs.size() == 1) {
      return requireMatches(options, option, globs.get(0));
    }
    List<Metadata> all = new ArrayList<>();
    Set<String> seen = new HashSet<>();
    for (Period p : periods) {
      try {
        for (Metadata m : requireMatches(options, option, Schedule.expandInput(template, p))) {
          if (seen.add(m.resourceId().toString())) {
            all.add(m);
          }
        }
      } catch (UsageException e) {
        throw new UsageException(
            e.getMessage() + " (period " + p + " of " + Schedule.describe(periods) + ")");
      }
    }
    return all;
  }

  /**
   * Why a gs:// glob could not be listed, when its bucket says so: missing, or closed to the
   * caller's account. Null when the bucket answers (the listing failed for another reason).
   */
  private static String gcsReason(PipelineOptions options, String glob) {
    org.apache.beam.sdk.extensions.gcp.util.gcsfs.GcsPath path;
    try {
      path = org.apache.beam.sdk.extensions.gcp.util.gcsfs.GcsPath.fromUri(glob);
    } catch (IllegalArgumentException e) {
      return null;
    }
    String bucket = path.getBucket();
    try {
      org.apache.beam.sdk.extensions.gcp.options.GcsOptions gcs =
          options.as(org.apache.beam.sdk.extensions.gcp.options.GcsOptions.class);
      return gcs.getGcsUtil().getBucket(path) == null ? "bucket " + bucket + " not found" : null;
    } catch (java.io.FileNotFoundException e) {
      return "bucket " + bucket + " not found";
    } catch (java.nio.file.AccessDeniedException e) {
      com.google.auth.Credentials c =
          options
              .as(org.apache.beam.sdk.extensions.gcp.options.GcpOptions.class)
              .getGcpCredential();
      return "permission denied for "
          + (c == null
              ? "the default credentials"
              : dev.tripflow.io.gcs.KeyFileCredentials.accountOf(c))
          + " on bucket "
          + bucket;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * Checks that an output directory can be written: for a local path, its nearest existing ancestor
   * is a writable directory and the path itself is not a file.
   *
   * @throws UsageException naming {@code option} otherwise
   */
  public static void requireWritableDirectory(String option, String dir) {
    if (dir == null || dir.isBlank()) {
      throw new UsageException("--" + option + " is required");
    }
    if (!isLocal(dir)) {
      return; // remote stores are checked by the sink when it writes
    }
    Path p =
        Path.of(dir.startsWith("file://") ? dir.substring("file://".length()) : dir)
            .toAbsolutePath();
    if (Files.exists(p) && !Files.isDirectory(p)) {
      throw new UsageException("--" + option + "=" + dir + ": exists and is not a directory");
    }
    Path existing = p;
    while (existing != null && !Files.exists(existing)) {
      existing = existing.getParent();
    }
    if (existing == null || !Files.isDirectory(existing) || !Files.isWritable(existing)) {
      throw new UsageException(
          "--" + option + "=" + dir + ": cannot write there (" + existing + " is not writable)");
    }
  }
}
