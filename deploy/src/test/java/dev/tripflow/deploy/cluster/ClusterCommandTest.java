package dev.tripflow.deploy.cluster;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import dev.tripflow.pipelines.PipelineCommands;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.GlobalConfiguration;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The cluster command's usage errors, its status of a cluster that is not running, and the Flink
 * configuration it writes as Flink itself reads it. Starting real clusters is ClusterIT's job.
 */
public class ClusterCommandTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();
  private final ByteArrayOutputStream err = new ByteArrayOutputStream();

  private int run(String... args) {
    return PipelineCommands.run(
        PipelineCommands.registry(List.of(new ClusterCommand())),
        args,
        new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  private String stderr() {
    return err.toString(StandardCharsets.UTF_8);
  }

  @Test
  public void usageErrorsAreOneLine() {
    assertEquals(2, run("cluster"));
    assertTrue(stderr(), stderr().contains("cluster start|stop|status"));
    err.reset();
    assertEquals(2, run("cluster", "restart", "--clusterDir=" + tmp.getRoot()));
    assertTrue(stderr(), stderr().contains("--action=restart: expected start, stop or status"));
    err.reset();
    assertEquals(2, run("cluster", "start", "--engine=yarn", "--clusterDir=" + tmp.getRoot()));
    assertTrue(stderr(), stderr().contains("--engine=yarn: expected flink or spark"));
    err.reset();
    assertEquals(0, run("cluster", "--help"));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("--taskManagerMemory=<String>"));
  }

  @Test
  public void statusAndStopOfNoCluster() throws Exception {
    int port = Rest.freePort();
    String dir = "--clusterDir=" + tmp.getRoot();
    assertEquals(3, run("cluster", "status", dir, "--webUiPort=" + port));
    assertTrue(out.toString(), out.toString().contains("no Flink REST API answers on 127.0.0.1:"));
    out.reset();
    assertEquals(0, run("cluster", "stop", dir));
    assertTrue(out.toString(), out.toString().contains("no Flink cluster was started from"));
    out.reset();
    assertEquals(3, run("cluster", "status", "--engine=spark", dir, "--webUiPort=" + port));
    assertTrue(out.toString(), out.toString().contains("no Spark master web UI answers"));
  }

  @Test
  public void startRefusesAPortInUse() throws Exception {
    try (java.net.ServerSocket busy =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      int code =
          run(
              "cluster",
              "start",
              "--clusterDir=" + tmp.getRoot(),
              "--webUiPort=" + busy.getLocalPort());
      assertEquals(stderr(), 2, code);
      assertTrue(
          stderr(), stderr().contains("port " + busy.getLocalPort() + " on 127.0.0.1 is in use"));
    }
  }

  /** Flink's own loader reads the written config.yaml: every address on the loopback interface. */
  @Test
  public void flinkConfigurationBindsToLoopback() throws Exception {
    ClusterCommand.Options o = PipelineOptionsFactory.as(ClusterCommand.Options.class);
    o.setWorkers(2);
    o.setSlots(3);
    o.setRestartAttempts(7);
    Path dir = tmp.getRoot().toPath();
    Path conf = dir.resolve("conf");
    Files.createDirectories(conf);
    Files.writeString(conf.resolve("config.yaml"), new FlinkCluster(o, dir).config(40123));
    Configuration c = GlobalConfiguration.loadConfiguration(conf.toString());
    for (String key :
        new String[] {
          "jobmanager.rpc.address",
          "jobmanager.bind-host",
          "taskmanager.bind-host",
          "taskmanager.host",
          "rest.address",
          "rest.bind-address"
        }) {
      assertEquals(key, "127.0.0.1", c.toMap().get(key));
    }
    assertEquals("40123", c.toMap().get("jobmanager.rpc.port"));
    assertEquals("8081", c.toMap().get("rest.port"));
    assertEquals("3", c.toMap().get("taskmanager.numberOfTaskSlots"));
    assertEquals("3", c.toMap().get("parallelism.default"));
    assertEquals("1600m", c.toMap().get("taskmanager.memory.process.size"));
    assertEquals("fixed-delay", c.toMap().get("restart-strategy.type"));
    assertEquals("7", c.toMap().get("restart-strategy.fixed-delay.attempts"));
  }
}
