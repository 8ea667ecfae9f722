package dev.tripflow.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.GZIPInputStream;

/**
 * A BigQuery REST server on 127.0.0.1 with what Beam's BigQueryIO uses to write a table by load
 * jobs: datasets get/insert; tables get/insert/delete; load jobs reading newline-delimited JSON
 * from the {@link LoopbackGcs} server (sourceUris with wildcards), with create and write
 * dispositions and time partitioning; copy jobs; jobs get; tabledata list and insertAll. Calls are
 * authenticated with the GCS server's tokens. Tables live in memory.
 */
public final class LoopbackBigQuery implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PREFIX = "/bigquery/v2/projects/";

  private final HttpServer server;
  private final LoopbackGcs gcs;
  private final Map<String, ObjectNode> datasets = new ConcurrentHashMap<>();
  private final Map<String, Table> tables = new ConcurrentHashMap<>();
  private final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();
  private final AtomicLong requests = new AtomicLong();

  /** One table: its resource (reference, schema, partitioning) and rows as JSON objects. */
  private static final class Table {
    final ObjectNode resource;
    final List<ObjectNode> rows = new ArrayList<>();

    Table(ObjectNode resource) {
      this.resource = resource;
    }
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

  private LoopbackBigQuery(int port, LoopbackGcs gcs) throws IOException {
    this.gcs = gcs;
    server = LoopbackHttp.server(port, 64);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(8, r -> LoopbackGcs.daemon(r, "loopback-bq")));
    server.start();
  }

  /** Starts a server reading load-job sources from {@code gcs} and trusting its tokens. */
  public static LoopbackBigQuery start(int port, LoopbackGcs gcs) throws IOException {
    return new LoopbackBigQuery(port, gcs);
  }

  /** The value of Beam's {@code --bigQueryEndpoint}. */
  public String endpoint() {
    return "http://127.0.0.1:" + server.getAddress().getPort() + "/";
  }

  public long requests() {
    return requests.get();
  }

  /** Creates a dataset (test setup). */
  public LoopbackBigQuery createDataset(String project, String dataset) {
    ObjectNode d = JSON.createObjectNode();
    d.put("kind", "bigquery#dataset");
    d.put("id", project + ":" + dataset);
    d.putObject("datasetReference").put("projectId", project).put("datasetId", dataset);
    d.put("location", "US");
    datasets.put(project + ":" + dataset, d);
    return this;
  }

  /** A table's resource (schema, partitioning, numRows), or null. */
  public JsonNode table(String project, String dataset, String table) {
    Table t = tables.get(project + ":" + dataset + "." + table);
    return t == null ? null : withCount(t);
  }

  /** A table's rows as JSON objects, or null. */
  public List<ObjectNode> rows(String project, String dataset, String table) {
    Table t = tables.get(project + ":" + dataset + "." + table);
    if (t == null) {
      return null;
    }
    synchronized (t) {
      return new ArrayList<>(t.rows);
    }
  }

  @Override
  public void close() {
    server.stop(0);
  }

  private void handle(HttpExchange ex) throws IOException {
    int status;
    JsonNode body;
    try {
      requests.incrementAndGet();
      if (gcs.accountOf(ex.getRequestHeaders().getFirst("Authorization")) == null) {
        throw new Failure(401, "unauthorized", "Request is missing valid credentials.");
      }
      byte[] raw;
      try (InputStream in = ex.getRequestBody()) {
        raw = in.readAllBytes();
      }
      if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
        try (InputStream z = new GZIPInputStream(new ByteArrayInputStream(raw))) {
          raw = z.readAllBytes();
        }
      }
      JsonNode request = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
      Map<String, String> q = LoopbackGcs.query(ex.getRequestURI().getRawQuery());
      body = route(ex.getRequestMethod(), ex.getRequestURI().getRawPath(), q, request);
      status = body == null ? 204 : 200;
    } catch (Failure f) {
      status = f.status;
      body = error(f.status, f.reason, f.getMessage());
    } catch (RuntimeException e) {
      status = 500;
      body = error(500, "internalError", e.toString());
    }
    byte[] bytes = body == null ? new byte[0] : JSON.writeValueAsBytes(body);
    ex.getResponseHeaders().set("Content-Type", "application/json; charset=UTF-8");
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
    ex.close();
  }

  private static JsonNode error(int code, String reason, String message) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode e = root.putObject("error");
    e.put("code", code);
    e.put("message", message);
    e.putArray("errors").addObject().put("reason", reason).put("message", message);
    return root;
  }

  private JsonNode route(String method, String path, Map<String, String> q, JsonNode req)
      throws Failure {
    if (!path.startsWith(PREFIX)) {
      throw new Failure(404, "notFound", "no such API: " + path);
    }
    String[] p = path.substring(PREFIX.length()).split("/");
    String project = LoopbackGcs.decode(p[0]);
    if (p.length == 2 && p[1].equals("jobs") && method.equals("POST")) {
      return insertJob(project, req);
    }
    if (p.length == 2 && p[1].equals("queries") && method.equals("POST")) {
      return query(project, req.path("query").asText());
    }
    if (p.length == 3 && p[1].equals("jobs") && method.equals("GET")) {
      ObjectNode job = jobs.get(project + ":" + LoopbackGcs.decode(p[2]));
      if (job == null) {
        throw new Failure(404, "notFound", "Not found: Job " + project + ":" + p[2]);
      }
      return job;
    }
    if (p.length < 2 || !p[1].equals("datasets")) {
      throw new Failure(404, "notFound", "no such API: " + path);
    }
    if (p.length == 2 && method.equals("POST")) {
      String id = req.path("datasetReference").path("datasetId").asText();
      createDataset(project, id);
      return datasets.get(project + ":" + id);
    }
    String dataset = LoopbackGcs.decode(p[2]);
    String dsKey = project + ":" + dataset;
    if (p.length == 3) {
      ObjectNode d = datasets.get(dsKey);
      if (d == null) {
        throw new Failure(404, "notFound", "Not found: Dataset " + dsKey);
      }
      if (method.equals("GET")) {
        return d;
      }
      throw new Failure(405, "invalid", "method not allowed");
    }
    if (!datasets.containsKey(dsKey)) {
      throw new Failure(404, "notFound", "Not found: Dataset " + dsKey);
    }
    if (p.length == 4 && p[3].equals("tables") && method.equals("POST")) {
      String t = req.path("tableReference").path("tableId").asText();
      String key = dsKey + "." + t;
      if (tables.containsKey(key)) {
        throw new Failure(409, "duplicate", "Already Exists: Table " + key);
      }
      Table table =
          new Table(
              tableResource(project, dataset, t, req.path("schema"), req.path("timePartitioning")));
      tables.put(key, table);
      return withCount(table);
    }
    String tableKey = dsKey + "." + LoopbackGcs.decode(p[4]);
    Table t = tables.get(tableKey);
    if (t == null) {
      throw new Failure(404, "notFound", "Not found: Table " + tableKey);
    }
    if (p.length == 5) {
      switch (method) {
        case "GET":
          return withCount(t);
        case "DELETE":
          tables.remove(tableKey);
          return null;
        default:
          throw new Failure(405, "invalid", "method not allowed");
      }
    }
    if (p.length == 6 && p[5].equals("data") && method.equals("GET")) {
      return list(t, q);
    }
    if (p.length == 6 && p[5].equals("insertAll") && method.equals("POST")) {
      synchronized (t) {
        for (JsonNode r : req.path("rows")) {
          t.rows.add((ObjectNode) r.path("json"));
        }
      }
      return JSON.createObjectNode().put("kind", "bigquery#tableDataInsertAllResponse");
    }
    throw new Failure(404, "notFound", "no such API: " + method + " " + path);
  }

  private ObjectNode tableResource(
      String project, String dataset, String table, JsonNode schema, JsonNode partitioning) {
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "bigquery#table");
    r.put("id", project + ":" + dataset + "." + table);
    r.putObject("tableReference")
        .put("projectId", project)
        .put("datasetId", dataset)
        .put("tableId", table);
    r.set("schema", schema.deepCopy());
    if (partitioning != null && !partitioning.isMissingNode() && !partitioning.isNull()) {
      r.set("timePartitioning", partitioning.deepCopy());
    }
    r.put("type", "TABLE");
    r.put("location", "US");
    return r;
  }

  private static ObjectNode withCount(Table t) {
    ObjectNode r = t.resource.deepCopy();
    synchronized (t) {
      r.put("numRows", String.valueOf(t.rows.size()));
    }
    return r;
  }

  /** tabledata.list: rows as {@code {f: [{v: value}]}} in the schema's field order. */
  private static JsonNode list(Table t, Map<String, String> q) {
    int start = Integer.parseInt(q.getOrDefault("pageToken", q.getOrDefault("startIndex", "0")));
    int max = Integer.parseInt(q.getOrDefault("maxResults", "10000"));
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "bigquery#tableDataList");
    List<ObjectNode> rows;
    synchronized (t) {
      rows = new ArrayList<>(t.rows);
    }
    r.put("totalRows", String.valueOf(rows.size()));
    ArrayNode out = r.putArray("rows");
    JsonNode fields = t.resource.path("schema").path("fields");
    int end = Math.min(rows.size(), start + max);
    for (int i = start; i < end; i++) {
      ArrayNode f = out.addObject().putArray("f");
      for (JsonNode field : fields) {
        JsonNode v = rows.get(i).get(field.path("name").asText());
        ObjectNode cell = f.addObject();
        if (v == null || v.isNull()) {
          cell.putNull("v");
        } else {
          cell.put("v", v.asText());
        }
      }
    }
    if (end < rows.size()) {
      r.put("pageToken", String.valueOf(end));
    }
    return r;
  }

  private static final java.util.regex.Pattern EMPTINESS_PROBE =
      java.util.regex.Pattern.compile(
          "SELECT false FROM \\(SELECT AS STRUCT \\* FROM `([^`]+)`\\.`([^`]+)` LIMIT 1\\) AS i"
              + " WHERE i IS NOT NULL");

  /**
   * jobs.query, for the one query BigQueryIO sends: its probe of whether a table is empty
   * (WRITE_EMPTY). Any other SQL is refused: this endpoint runs no SQL engine.
   */
  private JsonNode query(String project, String sql) throws Failure {
    java.util.regex.Matcher m = EMPTINESS_PROBE.matcher(sql.trim());
    if (!m.matches()) {
      throw new Failure(400, "invalidQuery", "only BigQueryIO's emptiness probe is supported");
    }
    String key = project + ":" + m.group(1) + "." + m.group(2);
    Table t = tables.get(key);
    if (t == null) {
      throw new Failure(404, "notFound", "Not found: Table " + key);
    }
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "bigquery#queryResponse");
    r.put("jobComplete", true);
    r.putObject("schema").putArray("fields").addObject().put("name", "f0_").put("type", "BOOLEAN");
    boolean empty;
    synchronized (t) {
      empty = t.rows.isEmpty();
    }
    r.put("totalRows", empty ? "0" : "1");
    if (!empty) {
      r.putArray("rows").addObject().putArray("f").addObject().put("v", "false");
    }
    return r;
  }

  // ---- jobs ----

  private JsonNode insertJob(String project, JsonNode req) throws Failure {
    String jobId = req.path("jobReference").path("jobId").asText();
    if (jobId.isEmpty()) {
      jobId = "job_" + java.util.UUID.randomUUID().toString().replace("-", "");
    }
    String key = project + ":" + jobId;
    if (jobs.containsKey(key)) {
      throw new Failure(409, "duplicate", "Already Exists: Job " + key);
    }
    ObjectNode job = JSON.createObjectNode();
    job.put("kind", "bigquery#job");
    job.put("id", key);
    job.putObject("jobReference")
        .put("projectId", project)
        .put("jobId", jobId)
        .put("location", "US");
    job.set("configuration", req.path("configuration").deepCopy());
    ObjectNode status = job.putObject("status");
    ObjectNode stats = job.putObject("statistics");
    stats.put("creationTime", String.valueOf(System.currentTimeMillis()));
    try {
      JsonNode config = req.path("configuration");
      long rows;
      if (config.has("load")) {
        rows = load(config.path("load"));
        stats.putObject("load").put("outputRows", String.valueOf(rows));
      } else if (config.has("copy")) {
        rows = copy(config.path("copy"));
      } else {
        throw new Failure(400, "invalid", "only load and copy jobs are supported");
      }
    } catch (Failure f) {
      ObjectNode err = status.putObject("errorResult");
      err.put("reason", f.reason);
      err.put("message", f.getMessage());
      status.putArray("errors").add(err.deepCopy());
    }
    status.put("state", "DONE");
    stats.put("endTime", String.valueOf(System.currentTimeMillis()));
    jobs.put(key, job);
    return job;
  }

  private Table destination(JsonNode conf, JsonNode schema) throws Failure {
    JsonNode ref = conf.path("destinationTable");
    String project = ref.path("projectId").asText();
    String dataset = ref.path("datasetId").asText();
    String table = ref.path("tableId").asText();
    String dsKey = project + ":" + dataset;
    if (!datasets.containsKey(dsKey)) {
      throw new Failure(404, "notFound", "Not found: Dataset " + dsKey);
    }
    String key = dsKey + "." + table;
    Table t = tables.get(key);
    String create = conf.path("createDisposition").asText("CREATE_IF_NEEDED");
    if (t == null) {
      if (create.equals("CREATE_NEVER")) {
        throw new Failure(404, "notFound", "Not found: Table " + key);
      }
      t = new Table(tableResource(project, dataset, table, schema, conf.path("timePartitioning")));
      Table raced = tables.putIfAbsent(key, t);
      t = raced == null ? t : raced;
    }
    String write = conf.path("writeDisposition").asText("WRITE_APPEND");
    synchronized (t) {
      if (write.equals("WRITE_EMPTY") && !t.rows.isEmpty()) {
        throw new Failure(409, "duplicate", "Already Exists: Table " + key + " is not empty");
      }
      if (write.equals("WRITE_TRUNCATE")) {
        t.rows.clear();
        if (schema != null && !schema.isMissingNode()) {
          t.resource.set("schema", schema.deepCopy());
        }
      }
    }
    return t;
  }

  private long load(JsonNode conf) throws Failure {
    String format = conf.path("sourceFormat").asText("CSV");
    if (!format.equals("NEWLINE_DELIMITED_JSON")) {
      throw new Failure(400, "invalid", "only NEWLINE_DELIMITED_JSON loads are supported");
    }
    List<ObjectNode> loaded = new ArrayList<>();
    for (JsonNode uri : conf.path("sourceUris")) {
      String u = uri.asText();
      if (!u.startsWith("gs://")) {
        throw new Failure(400, "invalid", "source URIs must be gs://: " + u);
      }
      String rest = u.substring(5);
      String bucket = rest.substring(0, rest.indexOf('/'));
      List<byte[]> files = gcs.readMatching(bucket, rest.substring(rest.indexOf('/') + 1));
      if (files.isEmpty() && !u.contains("*")) {
        throw new Failure(404, "notFound", "Not found: URI " + u);
      }
      for (byte[] f : files) {
        for (String line : new String(f, StandardCharsets.UTF_8).split("\n")) {
          if (line.isBlank()) {
            continue;
          }
          try {
            loaded.add((ObjectNode) JSON.readTree(line));
          } catch (IOException | ClassCastException e) {
            throw new Failure(400, "invalid", "Error while reading data: " + u);
          }
        }
      }
    }
    Table t = destination(conf, conf.path("schema"));
    checkFields(t, loaded);
    synchronized (t) {
      t.rows.addAll(loaded);
    }
    return loaded.size();
  }

  /** Every value must belong to a schema field, and REQUIRED fields must be present. */
  private static void checkFields(Table t, List<ObjectNode> rows) throws Failure {
    JsonNode fields = t.resource.path("schema").path("fields");
    java.util.Set<String> names = new java.util.HashSet<>();
    for (JsonNode f : fields) {
      names.add(f.path("name").asText());
    }
    for (ObjectNode r : rows) {
      var it = r.fieldNames();
      while (it.hasNext()) {
        String n = it.next();
        if (!names.contains(n)) {
          throw new Failure(400, "invalid", "no such field: " + n);
        }
      }
      for (JsonNode f : fields) {
        if (f.path("mode").asText().equals("REQUIRED")
            && (r.get(f.path("name").asText()) == null
                || r.get(f.path("name").asText()).isNull())) {
          throw new Failure(400, "invalid", "Missing required field: " + f.path("name").asText());
        }
      }
    }
  }

  private long copy(JsonNode conf) throws Failure {
    List<ObjectNode> rows = new ArrayList<>();
    JsonNode schema = null;
    JsonNode sources =
        conf.has("sourceTables")
            ? conf.path("sourceTables")
            : JSON.createArrayNode().add(conf.path("sourceTable"));
    for (JsonNode ref : sources) {
      String key =
          ref.path("projectId").asText()
              + ":"
              + ref.path("datasetId").asText()
              + "."
              + ref.path("tableId").asText();
      Table s = tables.get(key);
      if (s == null) {
        throw new Failure(404, "notFound", "Not found: Table " + key);
      }
      schema = s.resource.path("schema");
      synchronized (s) {
        rows.addAll(s.rows);
      }
    }
    Table t = destination(conf, schema);
    synchronized (t) {
      t.rows.addAll(rows);
    }
    return rows.size();
  }
}
