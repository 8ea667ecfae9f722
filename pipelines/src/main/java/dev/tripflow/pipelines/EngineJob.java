package dev.tripflow.pipelines;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * How the per-engine job jars run a tripflow command inside an engine's own process (Flink's CLI
 * front end or JobManager, Spark's driver): {@code <command> [--option=value ...]}, with the
 * engine's runner unless the line names one.
 *
 * <pre>{@code
 * flink run tripflow-flink-job.jar revenue-report --sampleData=/data --output=/out/report
 * }</pre>
 */
public final class EngineJob {
  private EngineJob() {}

  /**
   * Runs the command line on {@code runner} and throws if it fails: the engine reports the failure,
   * and {@code System.exit} would end the engine's JVM rather than the job.
   */
  public static void run(String runner, String[] args) {
    List<String> line = new ArrayList<>(Arrays.asList(args));
    if (!line.isEmpty()
        && !line.get(0).startsWith("-")
        && line.stream().noneMatch(a -> a.equals("--runner") || a.startsWith("--runner="))) {
      line.add(1, "--runner=" + runner);
    }
    int code = PipelineCommands.run(line.toArray(new String[0]), System.out, System.err);
    System.out.flush();
    System.err.flush();
    if (code != 0) {
      throw new IllegalStateException(
          "tripflow "
              + (args.length > 0 ? args[0] : "")
              + " failed with exit code "
              + code
              + " (its error is printed above)");
    }
  }
}
