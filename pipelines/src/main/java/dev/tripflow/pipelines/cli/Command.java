package dev.tripflow.pipelines.cli;

import java.io.PrintStream;
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
   * Runs the command.
   *
   * @param options the parsed, validated options (an instance of {@link #optionsClass()})
   * @param out where the command prints its results and summary
   * @return the process exit code
   */
  int run(PipelineOptions options, PrintStream out) throws Exception;
}
