package dev.tripflow.testing;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;

/** The JDK HTTP server every loopback endpoint runs on, bound to the loopback interface. */
final class LoopbackHttp {
  static {
    // The JDK's server writes a response's headers and body separately; with Nagle's algorithm on,
    // a keep-alive client's delayed ACK then holds every response about 40 ms. Read once, by the
    // first server the process creates.
    System.setProperty("sun.net.httpserver.nodelay", "true");
  }

  private LoopbackHttp() {}

  static HttpServer server(int port, int backlog) throws IOException {
    return HttpServer.create(
        new InetSocketAddress(InetAddress.getLoopbackAddress(), port), backlog);
  }
}
