package dev.tripflow.deploy.cluster;

import java.io.IOException;
import java.io.PrintStream;

/** A standalone cluster of one engine on this machine; each call returns the exit code. */
interface LocalCluster {
  /** Starts the master and the workers and waits until every worker has registered. */
  int start(PrintStream out) throws IOException, InterruptedException;

  /** Stops exactly the processes {@link #start} recorded. */
  int stop(PrintStream out) throws IOException;

  /** Prints the processes, and the cluster as its REST API reports it. */
  int status(PrintStream out);
}
