package dev.tripflow.testing;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs the loopback GCS and BigQuery endpoints together until killed, for trying gs:// and BigQuery
 * commands without a cloud: {@code LoopbackCloud [--bucket=NAME ...] [--dataset=PROJECT:DATASET
 * ...] [--key=FILE]}. It writes a service-account key for the endpoints and prints the options
 * every tripflow command then needs.
 */
public final class LoopbackCloud {
  private LoopbackCloud() {}

  public static void main(String[] args) throws Exception {
    List<String> buckets = new ArrayList<>();
    List<String> datasets = new ArrayList<>();
    Path key = Path.of("loopback-key.json");
    for (String a : args) {
      if (a.startsWith("--bucket=")) {
        buckets.add(a.substring("--bucket=".length()));
      } else if (a.startsWith("--dataset=") && a.contains(":")) {
        datasets.add(a.substring("--dataset=".length()));
      } else if (a.startsWith("--key=")) {
        key = Path.of(a.substring("--key=".length()));
      } else {
        System.err.println(
            "usage: LoopbackCloud [--bucket=NAME ...] [--dataset=PROJECT:DATASET ...] [--key=FILE]");
        System.exit(2);
      }
    }
    LoopbackGcs gcs = LoopbackGcs.start(0);
    LoopbackBigQuery bq = LoopbackBigQuery.start(0, gcs);
    for (String b : buckets) {
      gcs.createBucket(b);
    }
    for (String d : datasets) {
      bq.createDataset(d.substring(0, d.indexOf(':')), d.substring(d.indexOf(':') + 1));
    }
    gcs.writeServiceAccountKey(key.toAbsolutePath(), "tripflow@loopback.iam");
    System.out.println(
        "--serviceAccountKey="
            + key.toAbsolutePath()
            + " --gcsEndpoint="
            + gcs.beamEndpoint()
            + " --bigQueryEndpoint="
            + bq.endpoint());
    System.out.flush();
    Thread.currentThread().join();
  }
}
