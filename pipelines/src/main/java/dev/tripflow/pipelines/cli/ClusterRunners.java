package dev.tripflow.pipelines.cli;

import org.apache.beam.runners.spark.SparkPipelineOptions;
import org.apache.beam.sdk.options.PipelineOptions;

/** Settings a command needs to submit to a cluster started by {@code tripflow cluster start}. */
final class ClusterRunners {
  private ClusterRunners() {}

  /**
   * SparkRunner against a master on the loopback interface: the executors connect back to the
   * driver (this JVM), so the driver listens on 127.0.0.1 too, unless {@code spark.driver.host} is
   * already set as a system property.
   */
  static void apply(PipelineOptions options) {
    // By name: the Flink job jar has no Spark runner, and this runs for every command line.
    if (!options.getRunner().getName().equals("org.apache.beam.runners.spark.SparkRunner")) {
      return;
    }
    String master = options.as(SparkPipelineOptions.class).getSparkMaster();
    boolean loopback =
        master.startsWith("spark://127.0.0.1") || master.startsWith("spark://localhost");
    if (loopback && System.getProperty("spark.driver.host") == null) {
      System.setProperty("spark.driver.host", "127.0.0.1");
      System.setProperty("spark.driver.bindAddress", "127.0.0.1");
    }
  }
}
