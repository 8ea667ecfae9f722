package dev.tripflow.jobs.flink;

import dev.tripflow.pipelines.EngineJob;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.flink.api.java.ExecutionEnvironment;
import org.apache.flink.client.program.ContextEnvironment;
import org.apache.flink.configuration.DeploymentOptions;

/**
 * The main class of {@code tripflow-flink-job.jar}: a tripflow command as a Flink program, for
 * {@code flink run} or the REST API's {@code /jars/:id/run}.
 */
public final class FlinkJob {
  private FlinkJob() {}

  public static void main(String[] args) {
    List<String> line = new ArrayList<>(Arrays.asList(args));
    // The REST API runs the program detached and cannot report a job's status to it: the
    // FlinkRunner must then hand the job over without waiting (it commits its outputs itself).
    ExecutionEnvironment env = ExecutionEnvironment.getExecutionEnvironment();
    if (env instanceof ContextEnvironment
        && !env.getConfiguration().get(DeploymentOptions.ATTACHED)
        && line.stream().noneMatch(a -> a.startsWith("--attachedMode"))) {
      line.add("--attachedMode=false");
    }
    EngineJob.run("FlinkRunner", line.toArray(new String[0]));
  }
}
