package dev.tripflow.pipelines.cli;

import java.io.PrintStream;

/**
 * A command that reads its own command line instead of one options interface: {@code tripflow
 * submit} keeps the options after the job's command for the job.
 */
public interface RawArgsCommand extends Command {
  /** Runs {@code args} (what follows the command's name) and returns the exit code. */
  int run(String[] args, PrintStream out, PrintStream err);

  /** Never called: the registry hands such a command its raw arguments. */
  @Override
  default int run(RunSpec run, PrintStream out) {
    throw new UnsupportedOperationException(name() + " takes its own command line");
  }
}
