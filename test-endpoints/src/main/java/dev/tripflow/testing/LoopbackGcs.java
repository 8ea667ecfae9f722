package dev.tripflow.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.zip.CRC32C;

/**
 * A Google Cloud Storage server on 127.0.0.1 that speaks the subset of the JSON API that Beam's GCS
 * filesystem (gcsio) and the google-cloud-storage client use, with real HTTP semantics:
 *
 * <ul>
 *   <li>buckets: get, insert;
 *   <li>objects: get (metadata, or {@code alt=media} with byte ranges), list (prefix, delimiter,
 *       pages), delete, copyTo, rewriteTo, compose, with {@code ifGenerationMatch} preconditions
 *       (412);
 *   <li>uploads: {@code uploadType=media}, {@code multipart} and {@code resumable} (chunks, 308
 *       with the persisted range, status queries);
 *   <li>batches ({@code /batch/storage/v1}, multipart/mixed);
 *   <li>OAuth2's token endpoint ({@code POST /token}, the JWT-bearer grant of a service-account
 *       key), whose tokens every other call must carry; a bucket may be limited to some accounts,
 *       others get 403.
 * </ul>
 *
 * <p>Faults: {@link #failEvery(int)} answers every n-th storage request with 503, as GCS does when
 * overloaded; clients must retry. Objects live in memory.
 */
public final class LoopbackGcs implements AutoCloseable {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final HttpServer server;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();
  private final Map<String, Upload> uploads = new ConcurrentHashMap<>();
  private final Map<String, String> tokens = new ConcurrentHashMap<>();
  private final AtomicLong generations = new AtomicLong(1_700_000_000_000_000L);
  private final AtomicLong requests = new AtomicLong();
  private final AtomicLong faults = new AtomicLong();
  private volatile int failEvery;

  private record Bucket(String name, Set<String> allowed, NavigableMap<String, Blob> objects) {}

  private record Blob(
      String bucket,
      String name,
      byte[] data,
      long generation,
      String contentType,
      Instant created) {}

  private static final class Upload {
    final String bucket;
    final String name;
    final String contentType;
    final ByteArrayOutputStream data = new ByteArrayOutputStream();
    final Long ifGenerationMatch;

    Upload(String bucket, String name, String contentType, Long ifGenerationMatch) {
      this.bucket = bucket;
      this.name = name;
      this.contentType = contentType;
      this.ifGenerationMatch = ifGenerationMatch;
    }
  }

  /** An HTTP answer; thrown to end a request early. */
  private static final class Answer extends Exception {
    private static final long serialVersionUID = 1L;
    final int status;
    final String reason;

    Answer(int status, String reason) {
      super(status + " " + reason, null, false, false);
      this.status = status;
      this.reason = reason;
    }
  }

  private LoopbackGcs(int port) throws IOException {
    server = LoopbackHttp.server(port, 64);
    server.createContext("/", this::handle);
    server.setExecutor(Executors.newFixedThreadPool(16, r -> daemon(r, "loopback-gcs")));
    server.start();
  }

  /** Starts a server on a free port (0) or the given one. */
  public static LoopbackGcs start(int port) throws IOException {
    return new LoopbackGcs(port);
  }

  static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  public int port() {
    return server.getAddress().getPort();
  }

  /** The root URL, e.g. {@code http://127.0.0.1:PORT}. */
  public String url() {
    return "http://127.0.0.1:" + port();
  }

  /** The value of Beam's {@code --gcsEndpoint}. */
  public String beamEndpoint() {
    return url() + "/storage/v1/";
  }

  /** The {@code token_uri} for service-account keys. */
  public String tokenUri() {
    return url() + "/token";
  }

  /**
   * Writes a service-account key file whose {@code token_uri} is this server, with a fresh RSA key:
   * Google's auth library signs its JWT grant with it exactly as it would for Google's endpoint.
   */
  public Path writeServiceAccountKey(Path file, String email) throws IOException {
    try {
      java.security.KeyPairGenerator gen = java.security.KeyPairGenerator.getInstance("RSA");
      gen.initialize(2048);
      byte[] pkcs8 = gen.generateKeyPair().getPrivate().getEncoded();
      String pem =
          "-----BEGIN PRIVATE KEY-----\n"
              + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                  .encodeToString(pkcs8)
              + "\n-----END PRIVATE KEY-----\n";
      ObjectNode key = JSON.createObjectNode();
      key.put("type", "service_account");
      key.put("project_id", "tripflow-test");
      key.put("private_key_id", UUID.randomUUID().toString().replace("-", ""));
      key.put("private_key", pem);
      key.put("client_email", email);
      key.put("client_id", "100000000000000000001");
      key.put("auth_uri", url() + "/auth");
      key.put("token_uri", tokenUri());
      java.nio.file.Files.write(file, JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(key));
      return file;
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Creates a bucket; {@code allowedAccounts} empty means any authenticated account. */
  public LoopbackGcs createBucket(String name, String... allowedAccounts) {
    buckets.putIfAbsent(
        name, new Bucket(name, Set.of(allowedAccounts), new ConcurrentSkipListMap<>()));
    return this;
  }

  /** Answers every n-th storage request with 503 (0 = never). */
  public LoopbackGcs failEvery(int n) {
    this.failEvery = n;
    return this;
  }

  public long requests() {
    return requests.get();
  }

  public long faults() {
    return faults.get();
  }

  /** The names of a bucket's objects. */
  public List<String> list(String bucket) {
    Bucket b = buckets.get(bucket);
    return b == null ? List.of() : new ArrayList<>(b.objects().keySet());
  }

  /** An object's bytes, or null. */
  public byte[] read(String bucket, String name) {
    Bucket b = buckets.get(bucket);
    Blob blob = b == null ? null : b.objects().get(name);
    return blob == null ? null : blob.data().clone();
  }

  /** An object's generation (a new one for every write of it), or -1 when it does not exist. */
  public long generation(String bucket, String name) {
    Bucket b = buckets.get(bucket);
    Blob blob = b == null ? null : b.objects().get(name);
    return blob == null ? -1 : blob.generation();
  }

  /** Stores an object directly (test setup). */
  public void write(String bucket, String name, byte[] data) {
    Bucket b = buckets.get(bucket);
    b.objects()
        .put(
            name, new Blob(bucket, name, data.clone(), generations.incrementAndGet(), null, now()));
  }

  @Override
  public void close() {
    server.stop(0);
  }

  // ---- dispatch ----

  private void handle(HttpExchange ex) throws IOException {
    try {
      Reply r = route(ex.getRequestMethod(), ex.getRequestURI(), ex.getRequestHeaders(), body(ex));
      send(ex, r);
    } catch (RuntimeException e) {
      send(ex, Reply.error(500, "internal error: " + e));
    } finally {
      ex.close();
    }
  }

  private static byte[] body(HttpExchange ex) throws IOException {
    try (InputStream in = ex.getRequestBody()) {
      byte[] raw = in.readAllBytes();
      // Google's HTTP client gzips request bodies (Content-Encoding: gzip).
      if ("gzip".equalsIgnoreCase(ex.getRequestHeaders().getFirst("Content-Encoding"))) {
        try (InputStream z =
            new java.util.zip.GZIPInputStream(new java.io.ByteArrayInputStream(raw))) {
          return z.readAllBytes();
        }
      }
      return raw;
    }
  }

  private static void send(HttpExchange ex, Reply r) throws IOException {
    for (Map.Entry<String, String> h : r.headers.entrySet()) {
      ex.getResponseHeaders().set(h.getKey(), h.getValue());
    }
    if (r.contentType != null) {
      ex.getResponseHeaders().set("Content-Type", r.contentType);
    }
    boolean empty = r.body.length == 0 || ex.getRequestMethod().equals("HEAD");
    ex.sendResponseHeaders(r.status, empty ? -1 : r.body.length);
    if (!empty) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(r.body);
      }
    }
  }

  /** One response. */
  private static final class Reply {
    final int status;
    byte[] body = new byte[0];
    String contentType;
    final Map<String, String> headers = new LinkedHashMap<>();

    Reply(int status) {
      this.status = status;
    }

    static Reply json(int status, JsonNode node) {
      Reply r = new Reply(status);
      try {
        r.body = JSON.writeValueAsBytes(node);
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
      r.contentType = "application/json; charset=UTF-8";
      return r;
    }

    static Reply error(int status, String message) {
      ObjectNode err = JSON.createObjectNode();
      ObjectNode e = err.putObject("error");
      e.put("code", status);
      e.put("message", message);
      ArrayNode errors = e.putArray("errors");
      ObjectNode one = errors.addObject();
      one.put("message", message);
      one.put("domain", "global");
      one.put("reason", reasonOf(status));
      return json(status, err);
    }

    private static String reasonOf(int status) {
      return switch (status) {
        case 401 -> "required";
        case 403 -> "forbidden";
        case 404 -> "notFound";
        case 412 -> "conditionNotMet";
        case 416 -> "requestedRangeNotSatisfiable";
        case 503 -> "backendError";
        default -> "invalid";
      };
    }
  }

  private Reply route(String method, URI uri, Headers headers, byte[] body) {
    String path = uri.getRawPath();
    Map<String, String> q = query(uri.getRawQuery());
    try {
      if (path.equals("/token") && method.equals("POST")) {
        return token(body);
      }
      requests.incrementAndGet();
      int n = failEvery;
      if (n > 0 && requests.get() % n == 0) {
        faults.incrementAndGet();
        return Reply.error(503, "backend error (injected fault)");
      }
      if (path.startsWith("/batch/storage/v1")) {
        return batch(headers, body);
      }
      String account = authenticate(headers);
      String range = headers.getFirst("Range");
      if (range != null) {
        q.put(":range", range);
      }
      if (path.startsWith("/download/storage/v1/b/")) {
        path = path.substring("/download".length());
      }
      if (path.startsWith("/upload/storage/v1/b/")) {
        return upload(
            method, path.substring("/upload/storage/v1/b/".length()), q, headers, body, account);
      }
      if (path.equals("/storage/v1/b") && method.equals("POST")) {
        JsonNode meta = JSON.readTree(body);
        createBucket(meta.path("name").asText());
        return Reply.json(200, bucketJson(buckets.get(meta.path("name").asText())));
      }
      if (path.startsWith("/storage/v1/b/")) {
        return storage(method, path.substring("/storage/v1/b/".length()), q, body, account);
      }
      throw new Answer(404, "no such API: " + method + " " + path);
    } catch (Answer a) {
      return Reply.error(a.status, a.reason);
    } catch (IOException e) {
      return Reply.error(400, "bad request body: " + e.getMessage());
    }
  }

  /** The account a request's bearer token belongs to, or null (shared with other endpoints). */
  public String accountOf(String authorizationHeader) {
    try {
      Headers h = new Headers();
      if (authorizationHeader != null) {
        h.add("Authorization", authorizationHeader);
      }
      return authenticate(h);
    } catch (Answer a) {
      return null;
    }
  }

  /** The objects of {@code bucket} whose names match a {@code gs://} glob's object part. */
  public List<byte[]> readMatching(String bucket, String objectGlob) {
    Bucket b = buckets.get(bucket);
    List<byte[]> out = new ArrayList<>();
    if (b == null) {
      return out;
    }
    java.util.regex.Pattern p =
        java.util.regex.Pattern.compile(
            java.util.regex.Pattern.quote(objectGlob).replace("*", "\\E.*\\Q"));
    for (Blob blob : b.objects().values()) {
      if (p.matcher(blob.name()).matches()) {
        out.add(blob.data());
      }
    }
    return out;
  }

  private String authenticate(Headers headers) throws Answer {
    String auth = headers.getFirst("Authorization");
    if (auth == null || !auth.startsWith("Bearer ")) {
      throw new Answer(401, "Anonymous caller does not have access; send an OAuth2 bearer token");
    }
    String token = auth.substring("Bearer ".length()).trim();
    String account = tokens.get(token);
    if (account == null) {
      account = selfSignedJwtIssuer(token);
    }
    if (account == null) {
      throw new Answer(401, "Invalid Credentials");
    }
    return account;
  }

  private Bucket bucket(String name, String account) throws Answer {
    Bucket b = buckets.get(name);
    if (b == null) {
      throw new Answer(404, "The specified bucket does not exist.");
    }
    if (!b.allowed().isEmpty() && !b.allowed().contains(account)) {
      throw new Answer(
          403,
          account + " does not have storage.objects access to the Google Cloud Storage bucket.");
    }
    return b;
  }

  /**
   * A service account without OAuth scopes sends a JWT it signed itself as the bearer token (no
   * token exchange), as Google's APIs accept: its issuer is the caller. (The signature is not
   * checked: the server does not hold the accounts' public keys.)
   */
  private static String selfSignedJwtIssuer(String token) {
    String[] parts = token.split("\\.");
    if (parts.length != 3) {
      return null;
    }
    try {
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(parts[1]));
      long exp = claims.path("exp").asLong(0);
      if (exp != 0 && exp * 1000 < System.currentTimeMillis()) {
        return null;
      }
      String iss = claims.path("iss").asText(null);
      return iss == null || iss.isEmpty() ? null : iss;
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  // ---- OAuth2 ----

  /** The JWT-bearer grant: the assertion's issuer (the service account) gets a bearer token. */
  private Reply token(byte[] body) {
    Map<String, String> form = query(new String(body, StandardCharsets.UTF_8));
    String assertion = form.get("assertion");
    if (assertion == null || assertion.split("\\.").length != 3) {
      return Reply.json(400, JSON.createObjectNode().put("error", "invalid_grant"));
    }
    try {
      JsonNode claims = JSON.readTree(Base64.getUrlDecoder().decode(assertion.split("\\.")[1]));
      String account = claims.path("iss").asText();
      String token = "ya29.loopback-" + UUID.randomUUID();
      tokens.put(token, account);
      ObjectNode r = JSON.createObjectNode();
      r.put("access_token", token);
      r.put("token_type", "Bearer");
      r.put("expires_in", 3600);
      return Reply.json(200, r);
    } catch (IOException | IllegalArgumentException e) {
      return Reply.json(400, JSON.createObjectNode().put("error", "invalid_grant"));
    }
  }

  // ---- JSON API ----

  private Reply storage(
      String method, String rest, Map<String, String> q, byte[] body, String account)
      throws Answer, IOException {
    int slash = rest.indexOf('/');
    String bucketName = decode(slash < 0 ? rest : rest.substring(0, slash));
    Bucket b = bucket(bucketName, account);
    if (slash < 0) {
      if (method.equals("GET")) {
        return Reply.json(200, bucketJson(b));
      }
      throw new Answer(405, "method not allowed on a bucket");
    }
    String tail = rest.substring(slash + 1);
    if (tail.equals("o")) {
      if (method.equals("GET")) {
        return Reply.json(200, list(b, q));
      }
      throw new Answer(405, "method not allowed on objects");
    }
    if (!tail.startsWith("o/")) {
      throw new Answer(404, "no such API: " + tail);
    }
    String objectPart = tail.substring(2);
    for (String op : new String[] {"/rewriteTo/b/", "/copyTo/b/"}) {
      int at = objectPart.indexOf(op);
      if (at >= 0 && method.equals("POST")) {
        String src = decode(objectPart.substring(0, at));
        String dest = objectPart.substring(at + op.length());
        int o = dest.indexOf("/o/");
        Bucket db = bucket(decode(dest.substring(0, o)), account);
        String destName = decode(dest.substring(o + 3));
        Blob from = existing(b, src, q);
        Blob copy = store(db, destName, from.data(), from.contentType(), q);
        if (op.startsWith("/rewriteTo")) {
          ObjectNode r = JSON.createObjectNode();
          r.put("kind", "storage#rewriteResponse");
          r.put("totalBytesRewritten", String.valueOf(copy.data().length));
          r.put("objectSize", String.valueOf(copy.data().length));
          r.put("done", true);
          r.set("resource", objectJson(copy));
          return Reply.json(200, r);
        }
        return Reply.json(200, objectJson(copy));
      }
    }
    if (objectPart.endsWith("/compose") && method.equals("POST")) {
      String dest = decode(objectPart.substring(0, objectPart.length() - "/compose".length()));
      JsonNode req = JSON.readTree(body);
      ByteArrayOutputStream all = new ByteArrayOutputStream();
      for (JsonNode s : req.path("sourceObjects")) {
        all.writeBytes(existing(b, s.path("name").asText(), Map.of()).data());
      }
      String type = req.path("destination").path("contentType").asText(null);
      return Reply.json(200, objectJson(store(b, dest, all.toByteArray(), type, q)));
    }
    String name = decode(objectPart);
    switch (method) {
      case "GET" -> {
        Blob blob = existing(b, name, q);
        if ("media".equals(q.get("alt"))) {
          return media(blob, q);
        }
        return Reply.json(200, objectJson(blob));
      }
      case "DELETE" -> {
        Blob blob = existing(b, name, q);
        b.objects().remove(name, blob);
        return new Reply(204);
      }
      default -> throw new Answer(405, "method not allowed on an object");
    }
  }

  private Reply media(Blob blob, Map<String, String> q) throws Answer {
    // The Range header, passed on by route() under a key no query parameter can have.
    String range = q.get(":range");
    byte[] data = blob.data();
    Reply r;
    if (range == null) {
      r = new Reply(200);
      r.body = data;
    } else {
      long[] span = parseRange(range, data.length);
      if (span == null) {
        throw new Answer(416, "The requested range cannot be satisfied.");
      }
      r = new Reply(206);
      r.body = java.util.Arrays.copyOfRange(data, (int) span[0], (int) span[1] + 1);
      r.headers.put("Content-Range", "bytes " + span[0] + "-" + span[1] + "/" + data.length);
    }
    r.contentType = blob.contentType() == null ? "application/octet-stream" : blob.contentType();
    r.headers.put("x-goog-generation", String.valueOf(blob.generation()));
    r.headers.put("x-goog-metageneration", "1");
    r.headers.put("x-goog-stored-content-length", String.valueOf(data.length));
    r.headers.put("x-goog-hash", "crc32c=" + crc32c(data) + ",md5=" + md5(data));
    r.headers.put("ETag", "\"" + blob.generation() + "\"");
    return r;
  }

  /** {@code bytes=a-b}, {@code bytes=a-} or {@code bytes=-n}: the inclusive span, or null. */
  static long[] parseRange(String header, long size) {
    String spec = header.trim();
    if (!spec.startsWith("bytes=")) {
      return null;
    }
    spec = spec.substring(6);
    int dash = spec.indexOf('-');
    if (dash < 0) {
      return null;
    }
    String a = spec.substring(0, dash).trim();
    String z = spec.substring(dash + 1).trim();
    long start;
    long end;
    if (a.isEmpty()) {
      long n = Long.parseLong(z);
      start = Math.max(0, size - n);
      end = size - 1;
    } else {
      start = Long.parseLong(a);
      end = z.isEmpty() ? size - 1 : Math.min(Long.parseLong(z), size - 1);
    }
    if (start >= size || start > end) {
      return null;
    }
    return new long[] {start, end};
  }

  private JsonNode list(Bucket b, Map<String, String> q) {
    String prefix = q.getOrDefault("prefix", "");
    String delimiter = q.get("delimiter");
    int max = Integer.parseInt(q.getOrDefault("maxResults", "1000"));
    String after = q.get("pageToken");
    ObjectNode r = JSON.createObjectNode();
    r.put("kind", "storage#objects");
    ArrayNode items = r.putArray("items");
    ArrayNode prefixes = JSON.createArrayNode();
    java.util.Set<String> seenPrefixes = new java.util.LinkedHashSet<>();
    NavigableMap<String, Blob> view =
        after == null ? b.objects().tailMap(prefix, true) : b.objects().tailMap(after, false);
    int count = 0;
    String last = null;
    for (Map.Entry<String, Blob> e : view.entrySet()) {
      String name = e.getKey();
      if (!name.startsWith(prefix)) {
        break;
      }
      if (count >= max) {
        r.put("nextPageToken", last);
        break;
      }
      if (delimiter != null) {
        int d = name.indexOf(delimiter, prefix.length());
        if (d >= 0) {
          String p = name.substring(0, d + delimiter.length());
          if (seenPrefixes.add(p)) {
            prefixes.add(p);
            count++;
          }
          last = name;
          continue;
        }
      }
      items.add(objectJson(e.getValue()));
      count++;
      last = name;
    }
    if (!prefixes.isEmpty()) {
      r.set("prefixes", prefixes);
    }
    return r;
  }

  private Blob existing(Bucket b, String name, Map<String, String> q) throws Answer {
    Blob blob = b.objects().get(name);
    if (blob == null) {
      throw new Answer(404, "No such object: " + b.name() + "/" + name);
    }
    String g = q.get("ifGenerationMatch");
    if (g != null && Long.parseLong(g) != blob.generation()) {
      throw new Answer(412, "conditionNotMet: generation " + blob.generation());
    }
    return blob;
  }

  private Blob store(Bucket b, String name, byte[] data, String contentType, Map<String, String> q)
      throws Answer {
    String g = q.get("ifGenerationMatch");
    synchronized (b) {
      Blob old = b.objects().get(name);
      if (g != null) {
        long want = Long.parseLong(g);
        if ((want == 0 && old != null)
            || (want != 0 && (old == null || old.generation() != want))) {
          throw new Answer(412, "At least one of the pre-conditions you specified did not hold.");
        }
      }
      Blob blob = new Blob(b.name(), name, data, generations.incrementAndGet(), contentType, now());
      b.objects().put(name, blob);
      return blob;
    }
  }

  // ---- uploads ----

  private Reply upload(
      String method,
      String rest,
      Map<String, String> q,
      Headers headers,
      byte[] body,
      String account)
      throws Answer, IOException {
    String bucketName = decode(rest.endsWith("/o") ? rest.substring(0, rest.length() - 2) : rest);
    Bucket b = bucket(bucketName, account);
    String type = q.getOrDefault("uploadType", "media");
    String uploadId = q.get("upload_id");
    if (uploadId != null) {
      return resumableChunk(b, uploadId, method, headers, body, q);
    }
    switch (type) {
      case "media" -> {
        String name = q.get("name");
        if (name == null) {
          throw new Answer(400, "name is required");
        }
        return Reply.json(
            200, objectJson(store(b, name, body, headers.getFirst("Content-Type"), q)));
      }
      case "multipart" -> {
        List<Part> parts = multipart(headers.getFirst("Content-Type"), body);
        if (parts.size() != 2) {
          throw new Answer(400, "a multipart upload has a metadata part and a media part");
        }
        JsonNode meta = JSON.readTree(parts.get(0).body);
        String name = meta.path("name").asText(q.get("name"));
        String ct = meta.path("contentType").asText(parts.get(1).headers.get("content-type"));
        return Reply.json(200, objectJson(store(b, name, parts.get(1).body, ct, q)));
      }
      case "resumable" -> {
        JsonNode meta = body.length == 0 ? JSON.createObjectNode() : JSON.readTree(body);
        String name = meta.path("name").asText(q.get("name"));
        if (name == null || name.isEmpty()) {
          throw new Answer(400, "name is required");
        }
        String g = q.get("ifGenerationMatch");
        String id = UUID.randomUUID().toString().replace("-", "");
        uploads.put(
            id,
            new Upload(
                b.name(),
                name,
                meta.path("contentType").asText(headers.getFirst("X-Upload-Content-Type")),
                g == null ? null : Long.parseLong(g)));
        Reply r = new Reply(200);
        r.headers.put(
            "Location",
            url()
                + "/upload/storage/v1/b/"
                + URLEncoder.encode(b.name(), StandardCharsets.UTF_8)
                + "/o?uploadType=resumable&upload_id="
                + id);
        r.headers.put("X-GUploader-UploadID", id);
        return r;
      }
      default -> throw new Answer(400, "unknown uploadType " + type);
    }
  }

  private Reply resumableChunk(
      Bucket b, String id, String method, Headers headers, byte[] body, Map<String, String> q)
      throws Answer {
    Upload u = uploads.get(id);
    if (u == null) {
      throw new Answer(404, "no such upload session");
    }
    if (method.equals("DELETE")) {
      uploads.remove(id);
      return new Reply(499);
    }
    String cr = headers.getFirst("Content-Range");
    synchronized (u) {
      long have = u.data.size();
      long total = -1;
      if (cr != null) {
        // bytes a-b/total, bytes a-b/*, bytes */total
        String spec = cr.trim().replaceFirst("^bytes ", "");
        String[] parts = spec.split("/");
        if (!parts[1].equals("*")) {
          total = Long.parseLong(parts[1]);
        }
        if (!parts[0].equals("*")) {
          long start = Long.parseLong(parts[0].split("-")[0]);
          if (start > have) {
            throw new Answer(
                400, "chunk starts at " + start + " but " + have + " bytes are stored");
          }
          // A resent chunk overlaps what is stored: keep only the new bytes.
          int skip = (int) (have - start);
          if (skip < body.length) {
            u.data.write(body, skip, body.length - skip);
          }
        }
      } else {
        u.data.writeBytes(body);
        total = u.data.size();
      }
      if (total >= 0 && u.data.size() >= total) {
        uploads.remove(id);
        Map<String, String> cond = new LinkedHashMap<>();
        if (u.ifGenerationMatch != null) {
          cond.put("ifGenerationMatch", String.valueOf(u.ifGenerationMatch));
        }
        Blob blob = store(buckets.get(u.bucket), u.name, u.data.toByteArray(), u.contentType, cond);
        return Reply.json(200, objectJson(blob));
      }
      Reply r = new Reply(308);
      if (u.data.size() > 0) {
        r.headers.put("Range", "bytes=0-" + (u.data.size() - 1));
      }
      return r;
    }
  }

  // ---- batch ----

  private record Part(Map<String, String> headers, byte[] body) {}

  private Reply batch(Headers headers, byte[] body) throws Answer, IOException {
    List<Part> parts = multipart(headers.getFirst("Content-Type"), body);
    String boundary = "batch_" + UUID.randomUUID().toString().replace("-", "");
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Part p : parts) {
      // Each part is one HTTP request: request line, headers, blank line, body.
      byte[] raw = p.body;
      int headerEnd = indexOf(raw, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
      String head =
          new String(raw, 0, headerEnd < 0 ? raw.length : headerEnd, StandardCharsets.ISO_8859_1);
      byte[] innerBody =
          headerEnd < 0
              ? new byte[0]
              : java.util.Arrays.copyOfRange(raw, headerEnd + 4, raw.length);
      String[] lines = head.split("\r\n");
      String[] requestLine = lines[0].split(" ");
      Headers inner = new Headers();
      for (int i = 1; i < lines.length; i++) {
        int c = lines[i].indexOf(':');
        if (c > 0) {
          inner.add(lines[i].substring(0, c).trim(), lines[i].substring(c + 1).trim());
        }
      }
      if (inner.getFirst("Authorization") == null && headers.getFirst("Authorization") != null) {
        inner.add("Authorization", headers.getFirst("Authorization"));
      }
      URI target = URI.create(requestLine[1]);
      Reply r;
      try {
        String account = authenticate(inner);
        String path = target.getRawPath();
        if (!path.startsWith("/storage/v1/b/")) {
          throw new Answer(404, "no such API in a batch: " + path);
        }
        r =
            storage(
                requestLine[0],
                path.substring("/storage/v1/b/".length()),
                query(target.getRawQuery()),
                innerBody,
                account);
      } catch (Answer a) {
        r = Reply.error(a.status, a.reason);
      }
      out.writeBytes(("--" + boundary + "\r\n").getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes("Content-Type: application/http\r\n".getBytes(StandardCharsets.ISO_8859_1));
      String id = p.headers.get("content-id");
      if (id != null) {
        out.writeBytes(
            ("Content-ID: " + id.replaceFirst("^<", "<response-") + "\r\n")
                .getBytes(StandardCharsets.ISO_8859_1));
      }
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
      StringBuilder resp = new StringBuilder();
      resp.append("HTTP/1.1 ")
          .append(r.status)
          .append(' ')
          .append(statusText(r.status))
          .append("\r\n");
      if (r.contentType != null) {
        resp.append("Content-Type: ").append(r.contentType).append("\r\n");
      }
      resp.append("Content-Length: ").append(r.body.length).append("\r\n\r\n");
      out.writeBytes(resp.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.writeBytes(r.body);
      out.writeBytes("\r\n".getBytes(StandardCharsets.ISO_8859_1));
    }
    out.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.ISO_8859_1));
    Reply all = new Reply(200);
    all.body = out.toByteArray();
    all.contentType = "multipart/mixed; boundary=" + boundary;
    return all;
  }

  private static String statusText(int status) {
    return switch (status) {
      case 200 -> "OK";
      case 204 -> "No Content";
      case 404 -> "Not Found";
      case 412 -> "Precondition Failed";
      case 503 -> "Service Unavailable";
      default -> "Status";
    };
  }

  /** Splits a multipart body into its parts (headers lower-cased). */
  private static List<Part> multipart(String contentType, byte[] body) throws Answer {
    if (contentType == null || !contentType.contains("boundary=")) {
      throw new Answer(400, "a multipart body needs a boundary");
    }
    String boundary = contentType.substring(contentType.indexOf("boundary=") + 9).trim();
    if (boundary.startsWith("\"")) {
      boundary = boundary.substring(1, boundary.indexOf('"', 1));
    }
    int semi = boundary.indexOf(';');
    if (semi >= 0) {
      boundary = boundary.substring(0, semi);
    }
    byte[] delim = ("--" + boundary).getBytes(StandardCharsets.ISO_8859_1);
    List<Part> parts = new ArrayList<>();
    int pos = indexOf(body, delim, 0);
    while (pos >= 0) {
      int start = pos + delim.length;
      if (start + 1 < body.length && body[start] == '-' && body[start + 1] == '-') {
        break;
      }
      start = skipNewline(body, start);
      int next = indexOf(body, delim, start);
      if (next < 0) {
        break;
      }
      int end = next;
      if (end >= 2 && body[end - 2] == '\r' && body[end - 1] == '\n') {
        end -= 2;
      } else if (end >= 1 && body[end - 1] == '\n') {
        end -= 1;
      }
      byte[] part = java.util.Arrays.copyOfRange(body, start, end);
      int headerEnd = indexOf(part, "\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1), 0);
      int sep = 4;
      if (headerEnd < 0) {
        headerEnd = indexOf(part, "\n\n".getBytes(StandardCharsets.ISO_8859_1), 0);
        sep = 2;
      }
      Map<String, String> h = new LinkedHashMap<>();
      byte[] content;
      if (headerEnd < 0) {
        content = part;
      } else {
        for (String line :
            new String(part, 0, headerEnd, StandardCharsets.ISO_8859_1).split("\r?\n")) {
          int c = line.indexOf(':');
          if (c > 0) {
            h.put(
                line.substring(0, c).trim().toLowerCase(java.util.Locale.ROOT),
                line.substring(c + 1).trim());
          }
        }
        content = java.util.Arrays.copyOfRange(part, headerEnd + sep, part.length);
      }
      parts.add(new Part(h, content));
      pos = next;
    }
    return parts;
  }

  private static int skipNewline(byte[] b, int i) {
    if (i < b.length && b[i] == '\r') {
      i++;
    }
    if (i < b.length && b[i] == '\n') {
      i++;
    }
    return i;
  }

  static int indexOf(byte[] hay, byte[] needle, int from) {
    outer:
    for (int i = from; i <= hay.length - needle.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (hay[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }

  // ---- JSON shapes ----

  private ObjectNode bucketJson(Bucket b) {
    ObjectNode n = JSON.createObjectNode();
    n.put("kind", "storage#bucket");
    n.put("id", b.name());
    n.put("name", b.name());
    n.put("selfLink", url() + "/storage/v1/b/" + b.name());
    n.put("projectNumber", "123456789012");
    n.put("location", "US");
    n.put("storageClass", "STANDARD");
    n.put("metageneration", "1");
    n.put("timeCreated", "2026-01-01T00:00:00.000Z");
    n.put("updated", "2026-01-01T00:00:00.000Z");
    return n;
  }

  private ObjectNode objectJson(Blob o) {
    ObjectNode n = JSON.createObjectNode();
    String enc = URLEncoder.encode(o.name(), StandardCharsets.UTF_8).replace("+", "%20");
    n.put("kind", "storage#object");
    n.put("id", o.bucket() + "/" + o.name() + "/" + o.generation());
    n.put("selfLink", url() + "/storage/v1/b/" + o.bucket() + "/o/" + enc);
    n.put(
        "mediaLink",
        url()
            + "/download/storage/v1/b/"
            + o.bucket()
            + "/o/"
            + enc
            + "?generation="
            + o.generation()
            + "&alt=media");
    n.put("name", o.name());
    n.put("bucket", o.bucket());
    n.put("generation", String.valueOf(o.generation()));
    n.put("metageneration", "1");
    n.put("contentType", o.contentType() == null ? "application/octet-stream" : o.contentType());
    n.put("storageClass", "STANDARD");
    n.put("size", String.valueOf(o.data().length));
    n.put("md5Hash", md5(o.data()));
    n.put("crc32c", crc32c(o.data()));
    n.put("etag", "C" + o.generation());
    n.put("timeCreated", o.created().toString());
    n.put("updated", o.created().toString());
    n.put("timeStorageClassUpdated", o.created().toString());
    return n;
  }

  static String md5(byte[] data) {
    try {
      return Base64.getEncoder().encodeToString(MessageDigest.getInstance("MD5").digest(data));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  static String crc32c(byte[] data) {
    CRC32C c = new CRC32C();
    c.update(data);
    long v = c.getValue();
    byte[] b = {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    return Base64.getEncoder().encodeToString(b);
  }

  private static Instant now() {
    return Instant.ofEpochMilli(System.currentTimeMillis());
  }

  static Map<String, String> query(String raw) {
    Map<String, String> q = new LinkedHashMap<>();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String kv : raw.split("&")) {
      int eq = kv.indexOf('=');
      String k = decode(eq < 0 ? kv : kv.substring(0, eq));
      String v = eq < 0 ? "" : decode(kv.substring(eq + 1));
      q.put(k, v);
    }
    return q;
  }

  static String decode(String s) {
    return URLDecoder.decode(s.replace("+", "%2B"), StandardCharsets.UTF_8);
  }

  /** Runs a server until killed: {@code LoopbackGcs [--port=N] [--bucket=NAME ...]}. */
  public static void main(String[] args) throws Exception {
    int port = 0;
    List<String> names = new ArrayList<>();
    for (String a : args) {
      if (a.startsWith("--port=")) {
        port = Integer.parseInt(a.substring(7));
      } else if (a.startsWith("--bucket=")) {
        names.add(a.substring(9));
      } else {
        System.err.println("usage: LoopbackGcs [--port=N] [--bucket=NAME ...]");
        System.exit(2);
      }
    }
    LoopbackGcs gcs = start(port);
    for (String n : names) {
      gcs.createBucket(n);
    }
    System.out.println(
        "loopback GCS on " + gcs.url() + " (--gcsEndpoint=" + gcs.beamEndpoint() + ")");
    Thread.currentThread().join();
  }
}
