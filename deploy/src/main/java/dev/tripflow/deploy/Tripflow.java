package dev.tripflow.deploy;

import dev.tripflow.deploy.cluster.ClusterCommand;
import dev.tripflow.deploy.submit.SubmitCommand;
import dev.tripflow.pipelines.PipelineCommands;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.OptionRegistrars;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;

/**
 * The {@code tripflow} command-line launcher, the bundled jar's main class: {@code tripflow
 * <command> [--option=value ...]}. Its commands are the pipelines' and those that take a job
 * elsewhere: {@code cluster} and {@code submit}.
 *
 * <p>Exit codes: 0 success, 1 the job failed, 2 bad usage (unknown option, missing input,
 * unwritable output), found before any pipeline starts.
 */
public final class Tripflow {
  private Tripflow() {}

  /** Every command, in the order {@code --help} lists them. */
  public static Map<String, Command> commands() {
    return PipelineCommands.registry(
        List.of(new ClusterCommand(), new SubmitCommand(), new HistoryCommand()));
  }

  public static void main(String[] args) {
    OptionRegistrars.install(args);
    // The PartitionedRunner's event log and UI name the run by the command line that started it.
    System.setProperty("tripflow.commandLine", "tripflow " + String.join(" ", args));
    int code = run(args, System.out, System.err);
    System.out.flush();
    System.exit(code);
  }

  /** Runs one command line and returns the exit code; never calls {@code System.exit}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return PipelineCommands.run(commands(), args, out, err);
  }
}
