package dev.tripflow.deploy.submit;

import dev.tripflow.pipelines.PipelineCommands;
import dev.tripflow.pipelines.cli.Command;
import dev.tripflow.pipelines.cli.OptionsParser;
import dev.tripflow.pipelines.cli.RawArgsCommand;
import dev.tripflow.pipelines.cli.ResolveOptions;
import dev.tripflow.pipelines.options.UsageException;
import java.io.PrintStream;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * {@code tripflow submit <target> [submit options] <command> [pipeline options]}: runs a tripflow
 * command somewhere else. Targets: {@code dataproc} (a Spark or Flink job on a Dataproc cluster,
 * through the Dataproc jobs API) and {@code flink} (any Flink cluster's REST address). The launcher
 * hands it the raw command line: the options before the pipeline command are submit's, the ones
 * after it the job's.
 */
public final class SubmitCommand implements RawArgsCommand {
  static final String USAGE =
      "submit dataproc|flink [submit options] <command> [pipeline options ...]";

  /** Commands that work on this machine's files or processes, not as a job on a cluster. */
  private static final Set<String> LOCAL_COMMANDS =
      Set.of("submit", "cluster", "upload", "generate");

  @Override
  public boolean runsPipeline() {

    return false;
  }

  @Override
  public String name() {
    return "submit";
  }

  @Override
  public String usage() {
    return USAGE;
  }

  @Override
  public String summary() {
    return "Run a command as a Dataproc job (Spark or Flink) or on a Flink cluster";
  }

  @Override
  public Class<? extends PipelineOptions> optionsClass() {
    return DataprocTarget.Options.class;
  }

  /** Runs {@code args} (what follows {@code submit}) and returns the exit code. */
  @Override
  public int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && (isHelp(args[0]) || args[0].equals("help"))) {
      out.print(help());
      return 0;
    }
    String who = args.length > 0 && !args[0].startsWith("-") ? "submit " + args[0] : "submit";
    try {
      JobLine line = JobLine.split(args, DataprocTarget.FLAGS);
      boolean help = line.submitOptions().stream().anyMatch(SubmitCommand::isHelp);
      switch (line.target()) {
        case DataprocTarget.NAME:
          if (help) {
            out.print(dataprocHelp());
            return 0;
          }
          return DataprocTarget.run(line, out, err);
        case FlinkTarget.NAME:
          if (help) {
            out.print(FlinkTarget.help());
            return 0;
          }
          return FlinkTarget.run(line, out, err);
        default:
          throw new UsageException(
              "unknown target '" + line.target() + "'; targets: dataproc, flink");
      }
    } catch (UsageException e) {
      String m = e.getMessage();
      err.println(
          "tripflow "
              + who
              + ": "
              + (m.startsWith(who + ": ") ? m.substring(who.length() + 2) : m));
      return 2;
    } catch (Exception | LinkageError e) {
      String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      err.println("tripflow " + who + ": failed: " + m.replace('\n', ' ').trim());
      if (System.getenv("TRIPFLOW_STACKTRACE") != null) {
        e.printStackTrace(err);
      }
      return 1;
    }
  }

  private static boolean isHelp(String a) {
    return a.equals("--help") || a.equals("-h");
  }

  /** The pipeline command must exist and be one that can run as a job. */
  static void requireSubmittable(JobLine line, String target) {
    // Only pipeline commands run as jobs: cluster and submit are this machine's, never a job.
    Map<String, Command> commands = PipelineCommands.commands();
    List<String> submittable =
        commands.keySet().stream().filter(c -> !LOCAL_COMMANDS.contains(c)).toList();
    if (line.command() == null) {
      throw new UsageException(
          "say which command to run: tripflow submit "
              + target
              + " [submit options] <command> [pipeline options]; commands: "
              + String.join(", ", submittable));
    }
    if (LOCAL_COMMANDS.contains(line.command())) {
      throw new UsageException(
          line.command()
              + " works on this machine and is not a job to submit; commands: "
              + String.join(", ", submittable));
    }
    if (!commands.containsKey(line.command())) {
      throw new UsageException(
          "unknown command '" + line.command() + "'; commands: " + String.join(", ", submittable));
    }
  }

  /**
   * Parses the job's options here as the job will (with the runner submit adds), so that an unknown
   * option or a missing required one is a usage error now, not a failed job later.
   */
  static void validateJob(JobLine line, List<String> optionsWithRunner) {
    Command command = PipelineCommands.commands().get(line.command());
    ResolveOptions.resolve(
        command.name(), command.optionsClass(), optionsWithRunner.toArray(new String[0]));
  }

  static String help() {
    return "Usage: tripflow "
        + USAGE
        + "\n\nRun a tripflow command somewhere else. The options before the command are submit's;"
        + " the ones after it are the command's own (see 'tripflow <command> --help') and go to"
        + " the job as they are.\n\n"
        + "Targets:\n"
        + "  dataproc  A Dataproc job: the bundled jar staged in gs://, submitted as a Spark job"
        + " (--engine=spark, default) or a Flink job (--engine=flink); see 'tripflow submit dataproc"
        + " --help'\n"
        + "  flink     A Flink cluster's REST address (--flinkMaster=HOST:PORT); see 'tripflow"
        + " submit flink --help'\n";
  }

  static String dataprocHelp() {
    StringBuilder sb = new StringBuilder();
    sb.append(
        "Usage: tripflow submit dataproc --cluster=NAME --region=REGION --bucket=gs://BUCKET[/prefix]"
            + " [options] <command> [pipeline options ...]\n\n");
    sb.append(
        "Run a command as a job on a Dataproc cluster: stage the bundled jar in the bucket, submit"
            + " it through the Dataproc jobs API with the command line as its arguments, and wait"
            + " for the job to end (exit 0 when it is DONE, 1 when it fails).\n\nOptions:\n");
    for (OptionsParser.OptionDoc o : OptionsParser.document(DataprocTarget.Options.class)) {
      if (o.name().equals("runner")) {
        continue;
      }
      sb.append("  --").append(o.name()).append("=<").append(o.type()).append(">");
      if (o.required()) {
        sb.append("  (required)");
      }
      sb.append("\n      ").append(o.description());
      if (o.defaultValue() != null) {
        sb.append(" [default: ").append(o.defaultValue()).append(']');
      }
      sb.append('\n');
    }
    sb.append(
        "  --project=<String>\n"
            + "      The cluster's project [default: GOOGLE_CLOUD_PROJECT, gcloud's project, or the"
            + " key's project_id]\n"
            + "  --gcsEndpoint=<String>\n"
            + "      Another Cloud Storage JSON-API endpoint for staging the jar\n\n"
            + "The job runs '<command> --runner=SparkRunner|FlinkRunner [pipeline options]' on the"
            + " cluster; Dataproc sets the master, so --sparkMaster and --flinkMaster are refused,"
            + " and so are local paths: inputs and outputs are gs:// paths (or --bigQueryTable).\n");
    return sb.toString();
  }
}
