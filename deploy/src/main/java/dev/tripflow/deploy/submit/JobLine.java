package dev.tripflow.deploy.submit;

import dev.tripflow.pipelines.options.UsageException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A {@code submit} command line split into its parts: {@code <target> [submit options] <command>
 * [pipeline options]}. The first word after the target that is not an option (nor the value of a
 * {@code --name value} option) is the pipeline command; everything after it is the job's own, kept
 * verbatim.
 */
record JobLine(String target, List<String> submitOptions, String command, List<String> jobArgs) {

  /**
   * Splits {@code args} (what follows {@code submit}).
   *
   * @param flags the submit options that take no value (every other one does, so that {@code
   *     --cluster NAME} is one option, not an option and a command)
   */
  static JobLine split(String[] args, java.util.Set<String> flags) {
    if (args.length == 0 || args[0].startsWith("-")) {
      throw new UsageException("say where to submit: tripflow " + SubmitCommand.USAGE);
    }
    List<String> options = new ArrayList<>();
    int i = 1;
    while (i < args.length && args[i].startsWith("-")) {
      String a = args[i];
      options.add(a);
      String name = a.replaceFirst("^--?", "");
      if (!a.contains("=") && !flags.contains(name) && i + 1 < args.length) {
        options.add(args[++i]);
      }
      i++;
    }
    String command = i < args.length ? args[i] : null;
    List<String> rest =
        i < args.length ? Arrays.asList(args).subList(i + 1, args.length) : List.of();
    return new JobLine(args[0], options, command, List.copyOf(rest));
  }

  /** One pipeline option of the job, {@code --name=value} or {@code --name value} joined. */
  record Option(String name, String value) {
    String text() {
      return value == null ? "--" + name : "--" + name + "=" + value;
    }
  }

  /** The job's options as name/value pairs (a bare {@code --flag} has a null value). */
  List<Option> jobOptions() {
    List<Option> out = new ArrayList<>();
    for (int i = 0; i < jobArgs.size(); i++) {
      String a = jobArgs.get(i);
      if (!a.startsWith("--") || a.length() == 2) {
        throw new UsageException(
            command + ": unexpected argument '" + a + "' (options are --name=value)");
      }
      int eq = a.indexOf('=');
      if (eq >= 0) {
        out.add(new Option(a.substring(2, eq), a.substring(eq + 1)));
      } else if (i + 1 < jobArgs.size() && !jobArgs.get(i + 1).startsWith("--")) {
        out.add(new Option(a.substring(2), jobArgs.get(++i)));
      } else {
        out.add(new Option(a.substring(2), null));
      }
    }
    return out;
  }
}
