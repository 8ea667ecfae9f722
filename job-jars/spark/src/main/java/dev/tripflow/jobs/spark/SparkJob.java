package dev.tripflow.jobs.spark;

import dev.tripflow.pipelines.EngineJob;

/**
 * The main class of {@code tripflow-spark-job.jar}: a tripflow command as a Spark application, for
 * {@code spark-submit --class dev.tripflow.jobs.spark.SparkJob}.
 */
public final class SparkJob {
  private SparkJob() {}

  public static void main(String[] args) {
    EngineJob.run("SparkRunner", args);
  }
}
