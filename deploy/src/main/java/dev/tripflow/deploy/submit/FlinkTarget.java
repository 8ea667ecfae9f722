package dev.tripflow.deploy.submit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.tripflow.deploy.artifacts.BuildArtifacts;
import dev.tripflow.pipelines.PipelineCommands;
import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code tripflow submit flink --flinkMaster=HOST:PORT}: runs a tripflow command on any Flink
 * cluster, through the FlinkRunner pointed at the cluster's REST address. The address is checked
 * first (its {@code /config} must answer), then the command runs in this process, as {@code
 * tripflow <command> --runner=FlinkRunner --flinkMaster=HOST:PORT} would, except that the client
 * stages the slim Flink job jar (tripflow-flink-job.jar) with the job instead of the bundled jar.
 */
final class FlinkTarget {
  static final String NAME = "flink";
  private static final ObjectMapper JSON = new ObjectMapper();

  private FlinkTarget() {}

  static String help() {
    return "Usage: tripflow submit flink --flinkMaster=HOST:PORT <command> [pipeline options ...]\n\n"
        + "Run a command on a Flink cluster (a session cluster's JobManager, such as 'tripflow"
        + " cluster start' starts), with the FlinkRunner.\n\n"
        + "Options:\n"
        + "  --flinkMaster=<String>  (required)\n"
        + "      The cluster's REST address (its JobManager's, the dashboard's port), checked"
        + " before the job starts\n\n"
        + "The pipeline options after the command are the command's own (see 'tripflow <command>"
        + " --help'), with --runner=FlinkRunner and --flinkMaster added. Inputs and outputs must be"
        + " paths every TaskManager can read and write (gs://, or a disk they share).\n";
  }

  static int run(JobLine line, PrintStream out, PrintStream err) throws Exception {
    String master = null;
    List<String> options = line.submitOptions();
    for (int i = 0; i < options.size(); i++) {
      String a = options.get(i);
      if (a.equals("--flinkMaster") && i + 1 < options.size()) {
        master = options.get(++i);
      } else if (a.startsWith("--flinkMaster=")) {
        master = a.substring("--flinkMaster=".length());
      } else {
        throw new UsageException(
            "unknown option "
                + a.replaceFirst("=.*", "")
                + " (submit flink takes --flinkMaster=HOST:PORT; see 'tripflow submit flink"
                + " --help')");
      }
    }
    if (master == null) {
      throw new UsageException("--flinkMaster=HOST:PORT is required (the cluster's REST address)");
    }
    if (!master.matches("[A-Za-z0-9._-]+:[0-9]{1,5}")) {
      throw new UsageException("--flinkMaster=" + master + ": expected HOST:PORT");
    }
    SubmitCommand.requireSubmittable(line, NAME);
    for (JobLine.Option opt : line.jobOptions()) {
      if (opt.name().equals("runner") || opt.name().equals("flinkMaster")) {
        throw new UsageException(
            "--" + opt.name() + " is set by submit flink (--runner=FlinkRunner --flinkMaster)");
      }
    }
    try {
      Class.forName("org.apache.beam.runners.flink.FlinkRunner");
    } catch (ClassNotFoundException | LinkageError e) {
      throw new UsageException("this tripflow build has no FlinkRunner on its classpath");
    }
    String version = flinkVersion(master);
    List<String> args = new ArrayList<>();
    args.add(line.command());
    args.add("--runner=FlinkRunner");
    args.add("--flinkMaster=" + master);
    // The client uploads the slim job jar, not the bundled one it runs from: the cluster has Flink.
    Path jobJar = BuildArtifacts.jobJar("flink");
    args.add("--filesToStage=" + jobJar);
    args.addAll(line.jobArgs());
    out.printf(
        Locale.ROOT,
        "submitting %s to the Flink %s cluster at %s, with %s (%.0f MB)%n",
        line.command(),
        version,
        master,
        jobJar.getFileName(),
        Files.size(jobJar) / 1e6);
    out.flush();
    return PipelineCommands.run(args.toArray(new String[0]), out, err);
  }

  /** The Flink release the REST API at {@code master} reports, or a usage error. */
  private static String flinkVersion(String master) {
    String url = "http://" + master + "/config";
    try {
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).GET().build(),
              HttpResponse.BodyHandlers.ofString());
      JsonNode config = r.statusCode() == 200 ? JSON.readTree(r.body()) : null;
      if (config == null || !config.hasNonNull("flink-version")) {
        throw new UsageException(
            "--flinkMaster="
                + master
                + ": "
                + url
                + " answered HTTP "
                + r.statusCode()
                + ", not a Flink REST API");
      }
      return config.get("flink-version").asText();
    } catch (IOException e) {
      throw new UsageException(
          "--flinkMaster="
              + master
              + ": no Flink cluster answers at "
              + url
              + " ("
              + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage())
              + "; is it running? 'tripflow cluster status' shows a local one)");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new UsageException("interrupted");
    }
  }
}
