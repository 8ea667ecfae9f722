package dev.tripflow.pipelines.cli;

import dev.tripflow.pipelines.schedule.Period;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.options.PipelineOptions;

/** One {@code tripflow} command: its name, its options interface and what it does. */
public interface Command {
  /** The word users type, e.g. {@code revenue-report}. */
  String name();

  /** What follows {@code tripflow} in the command's usage line. */
  default String usage() {
    return name() + " [--option=value ...]";
  }

  /**
   * The option a first word without {@code --} fills ({@code tripflow cluster start} is {@code
   * --action=start}); null when the command takes no such word.
   */
  default String positionalOption() {
    return null;
  }

  /** Whether the command runs a Beam pipeline (and so takes {@code --runner}). */
  default boolean runsPipeline() {
    return true;
  }

  /** One line for {@code tripflow --help}. */
  String summary();

  /** The options the command takes; {@code --help} documents them from their annotations. */
  Class<? extends PipelineOptions> optionsClass();

  /**
   * Values this command derives from its other options when they are not given (the sample data
   * when no input is named, a side output beside the main one), as option name to value; the
   * resolve step adds them to the run's command line before the options are final.
   *
   * @param options the options as given, paths resolved
   * @param periods the run's periods (empty when it names none)
   * @param out where a command reports work it does to derive them (generating sample data)
   */
  default Map<String, String> derive(PipelineOptions options, List<Period> periods, PrintStream out)
      throws Exception {
    return Map.of();
  }

  /**
   * Runs the command.
   *
   * @param run the resolved run: its options (an instance of {@link #optionsClass()}), periods and
   *     paths
   * @param out where the command prints its results and summary
   * @return the process exit code
   */
  int run(RunSpec run, PrintStream out) throws Exception;
}
