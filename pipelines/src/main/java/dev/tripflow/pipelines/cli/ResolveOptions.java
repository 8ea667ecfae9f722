package dev.tripflow.pipelines.cli;

import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.Roles;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.pipelines.schedule.Period;
import dev.tripflow.pipelines.schedule.Schedule;
import dev.tripflow.runners.RunnerPresets;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * The one step from a command line to a {@link RunSpec}: options checked against their declared
 * forms, runner presets and defaults added, every path option made absolute and filled for the
 * run's period by its {@link Param#role role}, and the values the command derives added, all as
 * options of the command line, which is then parsed once. Nothing changes the options afterwards.
 */
public final class ResolveOptions {
  private ResolveOptions() {}

  /** Resolves {@code args} for {@code command}; throws {@link UsageException} on any problem. */
  public static RunSpec resolve(Command command, String[] args, PrintStream out) throws Exception {
    List<String> line = normalize(command.name(), args);
    Set<String> given = OptionsParser.check(command.name(), command.optionsClass(), line);
    return resolve(command.name(), command.optionsClass(), line, given, command, out);
  }

  /** Resolves options of {@code type} that no command derives values for (submit's own). */
  public static RunSpec resolve(String who, Class<? extends PipelineOptions> type, String[] args) {
    List<String> line = normalize(who, args);
    Set<String> given = OptionsParser.check(who, type, line);
    try {
      return resolve(who, type, line, given, null, null);
    } catch (UsageException | IllegalStateException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  /** One period of a {@code --perPeriod} range: the range's command line narrowed to it. */
  public static RunSpec forPeriod(Command command, RunSpec range, Period period, PrintStream out)
      throws Exception {
    Map<String, List<String>> values = valuesOf(range.args());
    values.remove("period");
    values.remove("runDate");
    values.remove("interval");
    values.put("period", List.of(period.text()));
    return resolve(
        command.name(), command.optionsClass(), lineOf(values), range.given(), command, out);
  }

  private static List<String> normalize(String who, String[] args) {
    return new ArrayList<>(
        Arrays.asList(ParamsFile.merge(who, OptionsParser.joinSeparatedValues(args))));
  }

  private static RunSpec resolve(
      String who,
      Class<? extends PipelineOptions> type,
      List<String> line,
      Set<String> given,
      Command command,
      PrintStream out)
      throws Exception {
    Map<String, List<String>> values = valuesOf(line);
    values.putIfAbsent("runner", List.of(RunnerPresets.defaultRunner().getSimpleName()));
    values.putIfAbsent("jobName", List.of("tripflow-" + who));
    PipelineOptions first = OptionsParser.parse(who, type, lineOf(values));
    for (String preset : RunnerPresets.defaults(first.getRunner(), given)) {
      Map<String, List<String>> p = valuesOf(List.of(preset));
      p.forEach(values::putIfAbsent);
    }
    List<Period> periods = Schedule.periods(first);
    boolean split = Schedule.perPeriod(first) && periods.size() > 1;
    boolean scheduled = first instanceof Schedule.Options;
    fillPaths(type, first, values, periods, split, scheduled);
    PipelineOptions options = OptionsParser.parse(who, type, lineOf(values));
    if (command != null) {
      Map<String, String> derived = command.derive(options, periods, out);
      if (!derived.isEmpty()) {
        derived.forEach((name, value) -> values.put(name, List.of(value)));
        options = OptionsParser.parse(who, type, lineOf(values));
        fillPaths(type, options, values, periods, split, scheduled);
        options = OptionsParser.parse(who, type, lineOf(values));
      }
    }
    try {
      RunnerPresets.validate(options);
    } catch (IllegalArgumentException e) {
      throw new UsageException(who + ": " + OptionsParser.firstLine(e.getMessage()));
    }
    ClusterRunners.apply(options);
    try {
      dev.tripflow.io.gcs.KeyFileCredentials.apply(options);
    } catch (java.io.IOException e) {
      throw new UsageException(who + ": --serviceAccountKey=" + e.getMessage());
    }
    dev.tripflow.io.gcs.GcsEndpointOnWorkers.carry(options);
    return RunSpec.of(who, lineOf(values), given, periods, split, pathsOf(type, options), options);
  }

  /**
   * Makes every path option's value absolute, against this process's working directory (the workers
   * of a cluster job run elsewhere and must read and write the files the user meant), and fills its
   * period placeholders; remote paths ({@code gs://...}) stay as they are.
   */
  private static void fillPaths(
      Class<? extends PipelineOptions> type,
      PipelineOptions options,
      Map<String, List<String>> values,
      List<Period> periods,
      boolean split,
      boolean scheduled) {
    for (Map.Entry<String, Param> e : Roles.of(type).entrySet()) {
      String name = e.getKey();
      Param.Role role = e.getValue().role();
      if (role == Param.Role.NONE) {
        continue;
      }
      Object value = Roles.value(options, name);
      List<String> resolved = new ArrayList<>();
      if (value instanceof String s) {
        String abs = absolute(s);
        boolean templated =
            role == Param.Role.INPUT
                || role == Param.Role.PERIOD_INPUTS
                || role == Param.Role.OUTPUT;
        resolved.add(scheduled && templated ? Schedule.fill(name, role, abs, periods, split) : abs);
      } else if (value instanceof List<?> list) {
        for (Object o : list) {
          String v = o.toString();
          int eq = role == Param.Role.NAMED_INPUTS ? v.indexOf('=') : -1;
          resolved.add(
              eq < 0 ? absolute(v) : v.substring(0, eq + 1) + absolute(v.substring(eq + 1)));
        }
      } else {
        continue; // not given and no default
      }
      values.put(name, resolved);
    }
  }

  private static List<PathOption> pathsOf(
      Class<? extends PipelineOptions> type, PipelineOptions options) {
    List<PathOption> paths = new ArrayList<>();
    for (Map.Entry<String, Param> e : Roles.of(type).entrySet()) {
      Object value = Roles.value(options, e.getKey());
      if (e.getValue().role() == Param.Role.NONE || value == null) {
        continue;
      }
      List<String> values = new ArrayList<>();
      if (value instanceof List<?> list) {
        list.forEach(v -> values.add(v.toString()));
      } else {
        values.add(value.toString());
      }
      paths.add(PathOption.of(e.getKey(), e.getValue(), values));
    }
    return paths;
  }

  static String absolute(String value) {
    if (value == null || value.isBlank() || !Paths.isLocal(value) || value.startsWith("file:")) {
      return value;
    }
    return Path.of(value).toAbsolutePath().normalize().toString();
  }

  /** A command line's values by option name, in order; a flag without a value is "true". */
  private static Map<String, List<String>> valuesOf(List<String> line) {
    Map<String, List<String>> values = new LinkedHashMap<>();
    for (String arg : line) {
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      values
          .computeIfAbsent(name, n -> new ArrayList<>())
          .add(eq < 0 ? "true" : arg.substring(eq + 1));
    }
    return values;
  }

  private static List<String> lineOf(Map<String, List<String>> values) {
    List<String> line = new ArrayList<>();
    values.forEach((name, vs) -> vs.forEach(v -> line.add("--" + name + "=" + v)));
    return line;
  }
}
