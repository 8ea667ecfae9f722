package dev.tripflow.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.GZIPInputStream;

/**
 * The jobs part of Dataproc's v1 REST API on 127.0.0.1, as Google's Dataproc Java client calls it
 * over its HTTP/JSON transport:
 *
 * <ul>
 *   <li>{@code POST /v1/projects/{project}/regions/{region}/jobs:submit}: records the request and
 *       answers the job with a new job id, a driver output URI and state {@code PENDING};
 *   <li>{@code GET /v1/projects/{project}/regions/{region}/jobs/{jobId}}: each call moves the job
 *       one state on, {@code PENDING}, {@code RUNNING}, then {@code DONE}, or {@code ERROR} with
 *       the details given to {@link #failJobsWith(String)}.
 * </ul>
 *
 * <p>Every call must carry an OAuth2 bearer token: one of the {@link LoopbackGcs} server's when the
 * endpoint is started with it, otherwise any. Anything else is a 404 with a JSON error, as Google's
 * APIs answer.
 */
public final class LoopbackDataproc implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern SUBMIT =
      Pattern.compile("/v1/projects/([^/]+)/regions/([^/]+)/jobs:submit");
  private static final Pattern GET =
      Pattern.compile("/v1/projects/([^/]+)/regions/([^/]+)/jobs/([^/:]+)");

  private final HttpServer server;
  private final LoopbackGcs tokens;
  private final List<Submission> submissions = new ArrayList<>();
  private final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();
  private volatile String failure;

  /** One recorded {@code jobs:submit} call: the path's project and region, and the JSON body. */
  public record Submission(String project, String region, JsonNode body) {}

  private LoopbackDataproc(int port, LoopbackGcs tokens) throws IOException {
    this.tokens = tokens;
    server = LoopbackHttp.server(port, 16);
    server.createContext("/", this::handle);
    server.setExecutor(
        Executors.newFixedThreadPool(4, r -> LoopbackGcs.daemon(r, "loopback-dataproc")));
    server.start();
  }

  /**
   * Starts a server on a free port (0) or the given one; with {@code tokens}, only bearer tokens
   * that server issued are accepted.
   */
  public static LoopbackDataproc start(int port, LoopbackGcs tokens) throws IOException {
    return new LoopbackDataproc(port, tokens);
  }

  /** The endpoint for the Dataproc client, e.g. {@code http://127.0.0.1:PORT}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  /** Jobs submitted from now on end in {@code ERROR} with these details; null: they succeed. */
  public LoopbackDataproc failJobsWith(String details) {
    this.failure = details;
    return this;
  }

  /** The {@code jobs:submit} calls so far, oldest first. */
  public synchronized List<Submission> submissions() {
    return new ArrayList<>(submissions);
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    int status;
    JsonNode body;
    try {
      String auth = ex.getRequestHeaders().getFirst("Authorization");
      boolean bearer = auth != null && auth.startsWith("Bearer ") && auth.length() > 7;
      if (!bearer || (tokens != null && tokens.accountOf(auth) == null)) {
        throw new Failure(
            401, "UNAUTHENTICATED", "Request is missing required authentication credential.");
      }
      String method = ex.getRequestMethod();
      String path = ex.getRequestURI().getRawPath();
      Matcher submit = SUBMIT.matcher(path);
      Matcher get = GET.matcher(path);
      if (method.equals("POST") && submit.matches()) {
        body = submit(submit.group(1), submit.group(2), JSON.readTree(requestBody(ex)));
      } else if (method.equals("GET") && get.matches()) {
        body = advance(get.group(1), get.group(2), get.group(3));
      } else {
        throw new Failure(404, "NOT_FOUND", "no such API: " + method + " " + path);
      }
      status = 200;
    } catch (Failure f) {
      status = f.status;
      ObjectNode err = JSON.createObjectNode();
      ObjectNode e = err.putObject("error");
      e.put("code", f.status);
      e.put("message", f.getMessage());
      e.put("status", f.reason);
      body = err;
    } catch (IOException | RuntimeException e) {
      status = 400;
      ObjectNode err = JSON.createObjectNode();
      err.putObject("error")
          .put("code", 400)
          .put("message", "bad request: " + e.getMessage())
          .put("status", "INVALID_ARGUMENT");
      body = err;
    }
    byte[] bytes = JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
    ex.sendResponseHeaders(status, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
    ex.close();
  }

  private static byte[] requestBody(HttpExchange ex) throws IOException {
    byte[] raw;
    try (InputStream in = ex.getRequestBody()) {
      raw = in.readAllBytes();
    }
    if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
      try (InputStream z = new GZIPInputStream(new ByteArrayInputStream(raw))) {
        raw = z.readAllBytes();
      }
    }
    return raw;
  }

  private JsonNode submit(String project, String region, JsonNode request) throws Failure {
    synchronized (this) {
      submissions.add(new Submission(project, region, request));
    }
    JsonNode submitted = request.path("job");
    if (!submitted.isObject()
        || submitted.path("placement").path("clusterName").asText().isEmpty()) {
      throw new Failure(400, "INVALID_ARGUMENT", "job.placement.clusterName is required");
    }
    ObjectNode job = submitted.deepCopy();
    String id = job.path("reference").path("jobId").asText("");
    if (id.isEmpty()) {
      id = UUID.randomUUID().toString().replace("-", "");
    }
    String uuid = UUID.randomUUID().toString();
    job.putObject("reference").put("projectId", project).put("jobId", id);
    ((ObjectNode) job.path("placement")).put("clusterUuid", uuid);
    job.put(
        "driverOutputResourceUri",
        "gs://dataproc-staging-"
            + region
            + "-loopback/google-cloud-dataproc-metainfo/"
            + uuid
            + "/jobs/"
            + id
            + "/driveroutput");
    job.put("jobUuid", UUID.randomUUID().toString());
    job.put("done", false);
    setState(job, "PENDING", null);
    if (failure != null) {
      job.put("tripflowLoopbackFailure", failure);
    }
    jobs.put(project + "/" + region + "/" + id, job);
    return visible(job);
  }

  private JsonNode advance(String project, String region, String id) throws Failure {
    ObjectNode job = jobs.get(project + "/" + region + "/" + id);
    if (job == null) {
      throw new Failure(
          404,
          "NOT_FOUND",
          "Not found: Job projects/" + project + "/regions/" + region + "/jobs/" + id);
    }
    synchronized (job) {
      String state = job.path("status").path("state").asText();
      switch (state) {
        case "PENDING" -> setState(job, "RUNNING", null);
        case "RUNNING" -> {
          String fail = job.path("tripflowLoopbackFailure").asText(null);
          setState(job, fail == null ? "DONE" : "ERROR", fail);
          job.put("done", true);
        }
        default -> {}
      }
      return visible(job);
    }
  }

  private static void setState(ObjectNode job, String state, String details) {
    ObjectNode previous = (ObjectNode) job.get("status");
    if (previous != null) {
      job.withArray("statusHistory").add(previous);
    }
    ObjectNode status = JSON.createObjectNode();
    status.put("state", state);
    if (details != null) {
      status.put("details", details);
    }
    status.put("stateStartTime", Instant.now().toString());
    job.set("status", status);
  }

  /** The job as the API shows it (without this server's own bookkeeping). */
  private static JsonNode visible(ObjectNode job) {
    ObjectNode copy = job.deepCopy();
    copy.remove("tripflowLoopbackFailure");
    return copy;
  }

  private static final class Failure extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String reason;

    Failure(int status, String reason, String message) {
      super(message, null, false, false);
      this.status = status;
      this.reason = reason;
    }
  }
}
