package dev.tripflow.pipelines;

import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.OptionsParser;
import dev.tripflow.pipelines.cli.Paths;
import dev.tripflow.pipelines.cli.RawArgsCommand;
import dev.tripflow.pipelines.cli.ResolveOptions;
import dev.tripflow.pipelines.cli.RunSpec;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.pipelines.schedule.Schedule;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.Pipeline.PipelineExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The pipelines' commands, and how one {@code tripflow <command> [--option=value ...]} line runs
 * against a registry of commands: help, option parsing, per-period runs and exit codes. The
 * launcher (the {@code deploy} module) adds the commands that take jobs elsewhere.
 *
 * <p>Exit codes: 0 success, 1 the job failed, 2 bad usage (unknown option, missing input,
 * unwritable output), found before any pipeline starts.
 */
public final class PipelineCommands {
  private static final Logger LOG = LoggerFactory.getLogger(PipelineCommands.class);

  private PipelineCommands() {}

  /** The pipelines' commands, {@code template} last, in the order {@code --help} lists them. */
  public static Map<String, Command> commands() {
    return registry(List.of());
  }

  /**
   * The pipelines' commands, then {@code more}, then {@code template}, which documents all of them:
   * the launcher's full registry is {@code registry(List.of(cluster, submit))}.
   */
  public static Map<String, Command> registry(List<Command> more) {
    Map<String, Command> commands = new LinkedHashMap<>();
    Map<String, Command> registry = Collections.unmodifiableMap(commands);
    for (Command c :
        List.<Command>of(
            new GenerateCommand(),
            new InferSchemaCommand(),
            new IngestCommand(),
            new ShowCommand(),
            new RevenueReport.Cli(),
            new HourlyRevenue.Cli(),
            new ZoneRevenue.Cli(),
            new DurationCommands.Predict(),
            new DurationCommands.Train(),
            new SqlCommand(),
            new UploadCommand())) {
      commands.put(c.name(), c);
    }
    for (Command c : more) {
      commands.put(c.name(), c);
    }
    Command template = new TemplateCommand(registry);
    commands.put(template.name(), template);
    return registry;
  }

  /** Runs one command line against the pipelines' commands; never calls {@code System.exit}. */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return run(commands(), args, out, err);
  }

  /**
   * Runs one command line against {@code commands} and returns the exit code; never calls {@code
   * System.exit}.
   */
  public static int run(
      Map<String, Command> commands, String[] args, PrintStream out, PrintStream err) {
    if (args.length == 0
        || args[0].equals("--help")
        || args[0].equals("-h")
        || args[0].equals("help")) {
      out.print(usage(commands));
      return args.length == 0 ? 2 : 0;
    }
    Command command = commands.get(args[0]);
    if (command == null && args[0].equals("bench")) {
      err.println(
          "tripflow: bench runs from the benchmarks module, whose classpath holds the Flink and"
              + " Spark runners: use ./tripflow bench");
      return 2;
    }
    if (command == null) {
      err.println(
          "tripflow: unknown command '"
              + args[0]
              + "'; commands: "
              + String.join(", ", commands.keySet()));
      return 2;
    }
    String[] rest = Arrays.copyOfRange(args, 1, args.length);
    if (command instanceof RawArgsCommand raw) {
      return raw.run(rest, out, err);
    }
    if (Arrays.asList(rest).contains("--help") || Arrays.asList(rest).contains("-h")) {
      out.print(OptionsParser.help(command));
      return 0;
    }
    String positional = command.positionalOption();
    if (positional != null) {
      if (rest.length > 0 && !rest[0].startsWith("-")) {
        rest[0] = "--" + positional + "=" + rest[0];
      } else if (Arrays.stream(rest).noneMatch(a -> a.startsWith("--" + positional))
          && OptionsParser.document(command.optionsClass()).stream()
              .anyMatch(d -> d.name().equals(positional) && d.required())) {
        err.println(
            "tripflow "
                + command.name()
                + ": say which "
                + positional
                + ": tripflow "
                + command.usage());
        return 2;
      }
    }
    try {
      RunSpec run = ResolveOptions.resolve(command, rest, out);
      if (run.split()) {
        return runPerPeriod(command, run, out);
      }
      return command.run(run, out);
    } catch (UsageException e) {
      err.println(
          "tripflow " + command.name() + ": " + stripCommand(command.name(), e.getMessage()));
      return 2;
    } catch (PipelineExecutionException e) {
      err.println("tripflow " + command.name() + ": job failed: " + rootMessage(e));
      LOG.debug("job failure", e);
      printTraceIfAsked(e, err);
      return 1;
    } catch (OutOfMemoryError e) {
      // Out of heap outside a partition task (those say which step): one line, what to do.
      err.println(
          "tripflow "
              + command.name()
              + ": failed: out of memory (heap "
              + (Runtime.getRuntime().maxMemory() >> 20)
              + " MiB); give the JVM more with -Xmx (TRIPFLOW_JAVA_OPTS=-Xmx8g for ./tripflow)");
      return 1;
    } catch (Exception | Error e) {
      if (isWrapper(e) && e.getCause() != null && e.getCause() != e) {
        // a runner's own job failure (the FlinkRunner's, the SparkRunner's)
        err.println("tripflow " + command.name() + ": job failed: " + rootMessage(e));
        printTraceIfAsked(e, err);
        return 1;
      }
      err.println("tripflow " + command.name() + ": failed: " + rootMessage(e));
      if (System.getenv("TRIPFLOW_STACKTRACE") != null) {
        e.printStackTrace(err);
      } else {
        err.println("(set TRIPFLOW_STACKTRACE=1 for the stack trace)");
      }
      return 1;
    }
  }

  /**
   * Runs a {@code --perPeriod} range: the whole range's inputs are checked first, then one run per
   * period, each writing its own outputs atomically. A failed period stops the runs; the periods
   * before it stay written, and the error says which period failed.
   */
  private static int runPerPeriod(Command command, RunSpec range, PrintStream out)
      throws Exception {
    if (range.options() instanceof TripInputs.Options) {
      TripInputs.check(range, null);
    } else if (range.options() instanceof IngestCommand.Options ingest
        && ingest.getInput() != null) {
      Paths.requireMatches(ingest, "input", ingest.getInput(), range.periods());
    }
    List<Period> periods = range.periods();
    for (int i = 0; i < periods.size(); i++) {
      Period period = periods.get(i);
      out.printf("period %s (%d of %d)%n", period, i + 1, periods.size());
      RunSpec one = ResolveOptions.forPeriod(command, range, period, out);
      try {
        int code = command.run(one, out);
        if (code != 0) {
          return code;
        }
      } catch (Exception | Error e) {
        out.printf(
            "period %s failed%s%n",
            period, i == 0 ? "" : "; written: " + Schedule.describe(periods.subList(0, i)));
        throw e;
      }
    }
    out.printf("%d periods written: %s%n", periods.size(), Schedule.describe(periods));
    return 0;
  }

  private static void printTraceIfAsked(Throwable e, PrintStream err) {
    if (System.getenv("TRIPFLOW_STACKTRACE") != null) {
      e.printStackTrace(err);
    }
  }

  private static String stripCommand(String command, String message) {
    return message.startsWith(command + ": ") ? message.substring(command.length() + 2) : message;
  }

  /**
   * The message of the first exception under the runner's wrappers, on one line: tripflow's own
   * exceptions already name the file, row or option, and carry the library's cause in their text.
   */
  static String rootMessage(Throwable t) {
    Throwable e = t;
    while (e.getCause() != null && e.getCause() != e && isWrapper(e)) {
      e = e.getCause();
    }
    String msg = e.getMessage();
    if (msg == null || msg.isBlank()) {
      return e.getClass().getSimpleName();
    }
    msg = msg.replace('\n', ' ').trim();
    boolean plain =
        e instanceof java.io.IOException
            || e instanceof IllegalStateException
            || e instanceof IllegalArgumentException
            || e instanceof java.io.UncheckedIOException;
    return plain ? msg : e.getClass().getSimpleName() + ": " + msg;
  }

  /**
   * Whether an exception only wraps its cause: the runners' own layers (Beam's, Flink's job client
   * and task chain, Spark's job abort) or one whose message adds nothing to its cause's.
   */
  private static boolean isWrapper(Throwable e) {
    String name = e.getClass().getName();
    String msg = e.getMessage();
    return e instanceof PipelineExecutionException
        || e instanceof org.apache.beam.sdk.util.UserCodeException
        || name.startsWith("org.apache.flink.")
        || name.equals("org.apache.spark.SparkException")
        || msg == null
        || msg.equals("Pipeline execution failed")
        || (e.getCause() != null && msg.equals(e.getCause().toString()));
  }

  /** The list of commands {@code tripflow --help} prints. */
  public static String usage(Map<String, Command> commands) {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: tripflow <command> [--option=value ...]\n\n");
    sb.append("NYC-taxi revenue batch workloads as Apache Beam pipelines.\n\nCommands:\n");
    int width = commands.keySet().stream().mapToInt(String::length).max().orElse(10);
    for (Command c : commands.values()) {
      sb.append(String.format("  %-" + width + "s  %s%n", c.name(), c.summary()));
    }
    sb.append(
        String.format(
            "  %-" + width + "s  %s%n",
            "bench",
            "Every workload on every runner, checked against DuckDB (./tripflow bench; the"
                + " benchmarks module)"));
    sb.append("\nRun 'tripflow <command> --help' for a command's options.\n");
    return sb.toString();
  }
}
