package dev.tripflow.runners.partitioned.ui;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * The web UI: the pages (static HTML, JavaScript and CSS drawing SVG in the browser) and their
 * JSON, on the loopback address only, over the JDK's HTTP server.
 *
 * <ul>
 *   <li>{@code GET /api/ui}: whether the server shows one live run or a history;
 *   <li>{@code GET /api/runs}: the runs, newest first (command, status, start, duration, rows);
 *   <li>{@code GET /api/runs/ID}: one run: plan (stages, fused steps, edges), stages with their
 *       partitions and task attempts, metrics per step, options.
 * </ul>
 */
public final class UiServer implements AutoCloseable {
  static {
    // The JDK's server writes a response's headers and body separately; with Nagle's algorithm on,
    // a keep-alive client's delayed ACK then holds every response about 40 ms. Read once, by the
    // first server the process creates.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  /** The runs a server shows. */
  public interface Runs {
    /** Every run, newest first. */
    List<RunState> list();

    /** Whether these are one live run's (its page opens at once) rather than a history's. */
    default boolean live() {
      return false;
    }

    /** The run of that id, or null. */
    default RunState get(String id) {
      for (RunState r : list()) {
        if (id.equals(r.id())) {
          return r;
        }
      }
      return null;
    }
  }

  private static final Map<String, String> PAGES =
      Map.of(
          "/", "index.html",
          "/index.html", "index.html",
          "/app.js", "app.js",
          "/style.css", "style.css");

  private final HttpServer server;
  private final ExecutorService threads;
  private final Runs runs;

  private UiServer(HttpServer server, Runs runs) {
    this.server = server;
    this.runs = runs;
    this.threads =
        Executors.newFixedThreadPool(
            2,
            r -> {
              Thread t = new Thread(r, "tripflow-ui");
              t.setDaemon(true);
              return t;
            });
    server.setExecutor(threads);
    server.createContext("/", this::handle);
    server.start();
  }

  /**
   * Starts a server on 127.0.0.1 at {@code port}, or the next free port of the 100 after it when it
   * is taken ({@code port} 0: any free port).
   */
  public static UiServer start(int port, Runs runs) throws IOException {
    InetAddress loopback = InetAddress.getLoopbackAddress();
    BindException last = null;
    for (int p = port; p < port + 100 && p <= 65535; p++) {
      try {
        return new UiServer(HttpServer.create(new InetSocketAddress(loopback, p), 0), runs);
      } catch (BindException e) {
        last = e;
        if (port == 0) {
          break;
        }
      }
    }
    throw new IOException("no free port from " + port + " to " + (port + 99), last);
  }

  /** The address to open, e.g. {@code http://127.0.0.1:4040}. */
  public String url() {
    return "http://127.0.0.1:" + server.getAddress().getPort();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange x) throws IOException {
    try (x) {
      if (!"GET".equals(x.getRequestMethod()) && !"HEAD".equals(x.getRequestMethod())) {
        send(x, 405, "text/plain", "GET only\n".getBytes(StandardCharsets.UTF_8));
        return;
      }
      String path = x.getRequestURI().getPath();
      if (path.equals("/api/ui")) {
        sendJson(x, 200, RunEvents.JSON.createObjectNode().put("live", runs.live()));
      } else if (path.equals("/api/runs")) {
        ArrayNode list = RunEvents.array();
        for (RunState r : runs.list()) {
          if (r.id() != null) { // a live run whose first event is still on its way
            list.add(r.summary());
          }
        }
        sendJson(x, 200, list);
      } else if (path.startsWith("/api/runs/")) {
        RunState run = runs.get(path.substring("/api/runs/".length()));
        if (run == null) {
          sendJson(x, 404, RunEvents.JSON.createObjectNode().put("error", "no such run"));
        } else {
          sendJson(x, 200, run.toJson());
        }
      } else if (PAGES.containsKey(path)) {
        String name = PAGES.get(path);
        byte[] body;
        try (InputStream in = UiServer.class.getResourceAsStream(name)) {
          body = in.readAllBytes();
        }
        String type =
            name.endsWith(".js")
                ? "text/javascript"
                : name.endsWith(".css") ? "text/css" : "text/html";
        send(x, 200, type + "; charset=utf-8", body);
      } else {
        send(x, 404, "text/plain", "not found\n".getBytes(StandardCharsets.UTF_8));
      }
    }
  }

  private static void sendJson(HttpExchange x, int code, Object json) throws IOException {
    send(x, code, "application/json", RunEvents.JSON.writeValueAsBytes(json));
  }

  private static void send(HttpExchange x, int code, String type, byte[] body) throws IOException {
    x.getResponseHeaders().set("Content-Type", type);
    x.getResponseHeaders().set("Cache-Control", "no-store");
    boolean head = "HEAD".equals(x.getRequestMethod());
    x.sendResponseHeaders(code, head ? -1 : body.length);
    if (!head) {
      try (OutputStream out = x.getResponseBody()) {
        out.write(body);
      }
    }
  }

  /** Stops serving; the pages open in a browser keep what they showed last. */
  @Override
  public void close() {
    server.stop(0);
    threads.shutdownNow();
  }
}
