package dev.tripflow.deploy.cluster;

import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Locale;
import java.util.stream.Stream;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.Validation;

/**
 * {@code tripflow cluster start|stop|status}: a real Flink or Spark standalone cluster on this
 * machine, every process bound to 127.0.0.1, started from the jars tripflow runs on.
 */
public final class ClusterCommand implements Command {

  /** Options of {@code tripflow cluster}. */
  public interface Options extends PipelineOptions {
    @Description("start, stop or status (also given as the first word: 'tripflow cluster start')")
    @Validation.Required
    @Param(
        label = "Action",
        example = "start",
        regex = "^(start|stop|status)$",
        form = "start, stop or status")
    String getAction();

    void setAction(String value);

    @Description("flink (a JobManager and TaskManagers) or spark (a master and workers)")
    @Default.String("flink")
    @Param(
        label = "Engine",
        example = "spark",
        regex = "(?i)^(flink|spark)$",
        form = "flink or spark")
    String getEngine();

    void setEngine(String value);

    @Description("Number of workers: Flink TaskManagers or Spark workers")
    @Default.Integer(1)
    @Param(
        label = "Workers",
        example = "2",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 64)
    int getWorkers();

    void setWorkers(int value);

    @Description("Task slots per Flink TaskManager, or cores per Spark worker")
    @Default.Integer(2)
    @Param(
        label = "Slots per worker",
        example = "2",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 256)
    int getSlots();

    void setSlots(int value);

    @Description("Process memory of each Flink TaskManager (Flink needs at least 1600m here)")
    @Default.String("1600m")
    @Param(
        label = "TaskManager memory",
        example = "2g",
        regex = Forms.MEMORY,
        form = "a size such as 1600m or 2g")
    String getTaskManagerMemory();

    void setTaskManagerMemory(String value);

    @Description("Process memory of the Flink JobManager")
    @Default.String("1024m")
    @Param(
        label = "JobManager memory",
        example = "1024m",
        regex = Forms.MEMORY,
        form = "a size such as 1024m or 1g")
    String getJobManagerMemory();

    void setJobManagerMemory(String value);

    @Description("Memory each Spark worker offers its executors")
    @Default.String("2g")
    @Param(
        label = "Spark worker memory",
        example = "4g",
        regex = Forms.MEMORY,
        form = "a size such as 2g")
    String getWorkerMemory();

    void setWorkerMemory(String value);

    @Description(
        "Web UI port: the Flink dashboard and REST API (default 8081) or the Spark master's UI"
            + " (default 8080); 0 = the engine's default")
    @Default.Integer(0)
    @Param(
        label = "Web UI port",
        example = "8081",
        regex = "^[0-9]{1,5}$",
        form = "a port number, 0 for the default",
        min = 0,
        max = 65535)
    int getWebUiPort();

    void setWebUiPort(int value);

    @Description("Spark master port (default 7077); 0 = the default")
    @Default.Integer(0)
    @Param(
        label = "Spark master port",
        example = "7077",
        regex = "^[0-9]{1,5}$",
        form = "a port number, 0 for the default",
        min = 0,
        max = 65535)
    int getMasterPort();

    void setMasterPort(int value);

    @Description("Attempts of Flink's fixed-delay restart strategy for a failed job")
    @Default.Integer(5)
    @Param(
        label = "Restart attempts",
        example = "3",
        regex = Forms.NON_NEGATIVE,
        form = "a whole number",
        min = 0,
        max = 1000)
    int getRestartAttempts();

    void setRestartAttempts(int value);

    @Description("Seconds to wait for the cluster to come up")
    @Default.Integer(120)
    @Param(
        label = "Start timeout (s)",
        example = "300",
        regex = Forms.POSITIVE,
        form = "a whole number of at least one",
        min = 1,
        max = 3600)
    int getStartTimeoutSeconds();

    void setStartTimeoutSeconds(int value);

    @Description(
        "Directory of the cluster's configuration, logs and pid files"
            + " (default ~/.tripflow/cluster/<engine>)")
    @Default.String("")
    @Param(
        label = "Cluster directory",
        example = "/tmp/tripflow-cluster",
        regex = Forms.PATH,
        form = Forms.PATH_FORM,
        role = Param.Role.PATH)
    String getClusterDir();

    void setClusterDir(String value);
  }

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "cluster";
  }

  @Override
  public String positionalOption() {
    return "action";
  }

  @Override
  public String usage() {
    return "cluster start|stop|status [--engine=flink|spark] [--option=value ...]";
  }

  @Override
  public String summary() {
    return "Start, stop or show a local Flink (or --engine=spark) standalone cluster on 127.0.0.1";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return Options.class;
  }

  @Override
  public int run(RunSpec run, PrintStream out) throws Exception {
    Options o = run.options(Options.class);
    String engine = o.getEngine().toLowerCase(Locale.ROOT);
    if (o.getWorkers() < 1 || o.getSlots() < 1) {
      throw new UsageException("--workers and --slots must be at least 1");
    }
    Path dir =
        o.getClusterDir().isEmpty()
            ? Path.of(System.getProperty("user.home"), ".tripflow", "cluster", engine)
            : Path.of(o.getClusterDir());
    dir = dir.toAbsolutePath().normalize();
    String action = o.getAction().toLowerCase(Locale.ROOT);
    LocalCluster c = engine.equals("flink") ? new FlinkCluster(o, dir) : new SparkCluster(o, dir);
    return switch (action) {
      case "start" -> c.start(out);
      case "stop" -> c.stop(out);
      case "status" -> c.status(out);
      default -> throw badAction(o);
    };
  }

  private static UsageException badAction(Options o) {
    return new UsageException("unknown action '" + o.getAction() + "'; use start, stop or status");
  }

  /** Deletes a directory tree if it exists. */
  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }
}
