package dev.tripflow.pipelines.cli;

import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.runners.RunnerPresets;
import java.beans.Introspector;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.apache.beam.sdk.options.Default;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.apache.beam.sdk.options.Validation;

/**
 * Parses {@code --name=value} arguments into a command's Beam options interface, rejecting unknown
 * or malformed options with one clear line, and renders {@code --help} from the interface's
 * {@code @Description} and {@code @Default} annotations.
 */
public final class OptionsParser {
  private OptionsParser() {}

  /**
   * One documented option: its {@code @Description}, {@code @Default} and {@link Param}, with the
   * regex its type implies when the {@code Param} names none.
   */
  public record OptionDoc(
      String name,
      String type,
      String description,
      String defaultValue,
      boolean required,
      String label,
      String example,
      String regex,
      String form,
      long min,
      long max) {
    /** Whether {@code value} has the form this option declares. */
    public boolean accepts(String value) {
      return java.util.regex.Pattern.compile(regex, java.util.regex.Pattern.DOTALL)
          .matcher(value)
          .matches();
    }

    /** Whether a whole number is within the option's declared bounds (other values are). */
    public boolean inRange(String value) {
      if (min == Long.MIN_VALUE && max == Long.MAX_VALUE) {
        return true;
      }
      try {
        long v = Long.parseLong(value.trim());
        return v >= min && v <= max;
      } catch (NumberFormatException e) {
        return false; // too large for a long: out of any bounds
      }
    }

    /** The declared bounds, for an error message. */
    public String range() {
      return max == Long.MAX_VALUE
          ? "a whole number of at least " + min
          : min == Long.MIN_VALUE
              ? "a whole number of at most " + max
              : "a whole number from " + min + " to " + max;
    }

    /** The expected form, for an error message. */
    public String expected() {
      return form.isEmpty() ? "a value matching " + regex : form;
    }
  }

  /**
   * Checks a command line ({@code --name=value} arguments, the params file merged) for {@code
   * command}: every name known, every value of the form its option declares.
   *
   * @return the names of the options given
   * @throws UsageException on the first problem, naming the option
   */
  static Set<String> check(
      String command, Class<? extends PipelineOptions> type, List<String> args) {
    Set<String> known = knownOptions(type);
    Set<String> given = new LinkedHashSet<>();
    String runner =
        args.stream()
            .filter(a -> a.startsWith("--runner="))
            .map(a -> a.substring("--runner=".length()).toLowerCase(java.util.Locale.ROOT))
            .reduce((a, b) -> b)
            .orElse("");
    for (String arg : args) {
      if (!arg.startsWith("--") || arg.length() == 2) {
        throw new UsageException(
            command + ": unexpected argument '" + arg + "' (options are --name=value)");
      }
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      String owner = runnerOwning(name);
      if (owner != null
          && !runner.contains(owner.replace("Runner", "").toLowerCase(java.util.Locale.ROOT))) {
        throw new UsageException(
            command + ": --" + name + " is a " + owner + " option; add --runner=" + owner);
      }
      if (!known.contains(name)) {
        throw new UsageException(
            command
                + ": unknown option --"
                + name
                + suggestion(name, known)
                + " (see 'tripflow "
                + command
                + " --help')");
      }
      given.add(name);
    }
    requireDeclaredForms(command, type, args.toArray(new String[0]));
    return given;
  }

  /** Parses a checked command line into Beam options of {@code type}, with Beam's validation. */
  static <T extends PipelineOptions> T parse(String command, Class<T> type, List<String> args) {
    try {
      return PipelineOptionsFactory.fromArgs(args.toArray(new String[0])).withValidation().as(type);
    } catch (IllegalArgumentException e) {
      throw new UsageException(command + ": " + firstLine(e.getMessage()));
    }
  }

  /**
   * Refuses a value that does not have the form its option declares ({@link Param#regex}), naming
   * the option and the form, before Beam sees it.
   */
  static void requireDeclaredForms(
      String command, Class<? extends PipelineOptions> type, String[] args) {
    Map<String, OptionDoc> docs = new TreeMap<>();
    for (OptionDoc d : document(type)) {
      docs.put(d.name(), d);
    }
    for (String arg : args) {
      int eq = arg.indexOf('=');
      String name = arg.substring(2, eq < 0 ? arg.length() : eq);
      OptionDoc doc = docs.get(name);
      if (doc == null || name.equals("runner")) {
        continue; // Beam's own options: Beam checks them
      }
      String value = eq < 0 ? "true" : arg.substring(eq + 1);
      if (doc.accepts(value) && !doc.inRange(value)) {
        throw new UsageException(
            command + ": --" + name + "=" + value + ": expected " + doc.range());
      }
      if (!doc.accepts(value)) {
        throw new UsageException(
            command
                + ": --"
                + name
                + "="
                + value
                + ": expected "
                + doc.expected()
                + (doc.example().isEmpty() ? "" : " (e.g. --" + name + "=" + doc.example() + ")"));
      }
    }
  }

  /** The runner whose own options interface declares {@code name}, when it is not selected. */
  private static String runnerOwning(String name) {
    String[][] runners = {
      {"FlinkRunner", "org.apache.beam.runners.flink.FlinkPipelineOptions"},
      {"SparkRunner", "org.apache.beam.runners.spark.SparkPipelineOptions"}
    };
    for (String[] r : runners) {
      try {
        for (Method m : Class.forName(r[1]).getMethods()) {
          // the runner's own options, not the core ones every options interface has
          boolean own = m.getDeclaringClass().getName().startsWith("org.apache.beam.runners.");
          if (own && name.equals(propertyName(m))) {
            return r[0];
          }
        }
      } catch (ClassNotFoundException | LinkageError e) {
        // that runner is not on the classpath
      }
    }
    return null;
  }

  /** Accepts {@code --name value} as well as {@code --name=value}. */
  static String[] joinSeparatedValues(String[] args) {
    List<String> out = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String arg = args[i];
      if (arg.startsWith("--")
          && arg.length() > 2
          && arg.indexOf('=') < 0
          && i + 1 < args.length
          && !args[i + 1].startsWith("--")) {
        out.add(arg + "=" + args[++i]);
      } else {
        out.add(arg);
      }
    }
    return out.toArray(new String[0]);
  }

  private static String suggestion(String name, Set<String> known) {
    String best = null;
    int bestDistance = Integer.MAX_VALUE;
    for (String k : known) {
      int d = distance(name.toLowerCase(), k.toLowerCase());
      if (d < bestDistance) {
        bestDistance = d;
        best = k;
      }
    }
    return best != null && bestDistance <= Math.max(2, name.length() / 3)
        ? "; did you mean --" + best + "?"
        : "";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        int cost = a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1;
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + cost);
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  static String firstLine(String message) {
    if (message == null) {
      return "invalid options";
    }
    int nl = message.indexOf('\n');
    return (nl < 0 ? message : message.substring(0, nl)).trim();
  }

  /** Every option name Beam would accept for {@code type}: its own and all registered ones. */
  static Set<String> knownOptions(Class<? extends PipelineOptions> type) {
    Set<String> names = new LinkedHashSet<>();
    List<Class<? extends PipelineOptions>> interfaces = new ArrayList<>();
    interfaces.add(type);
    interfaces.addAll(PipelineOptionsFactory.getRegisteredOptions());
    for (Class<?> iface : interfaces) {
      for (Method m : iface.getMethods()) {
        String property = propertyName(m);
        if (property != null) {
          names.add(property);
        }
      }
    }
    names.add("help");
    return names;
  }

  private static String propertyName(Method m) {
    if (m.getParameterCount() != 0 || m.getDeclaringClass() == Object.class) {
      return null;
    }
    String n = m.getName();
    if (n.startsWith("get") && n.length() > 3) {
      return Introspector.decapitalize(n.substring(3));
    }
    if (n.startsWith("is") && n.length() > 2) {
      return Introspector.decapitalize(n.substring(2));
    }
    return null;
  }

  /**
   * The options a command documents: those declared by its interface and its tripflow
   * super-interfaces (not Beam's own), plus {@code --runner}.
   */
  public static List<OptionDoc> document(Class<? extends PipelineOptions> type) {
    return document(type, true);
  }

  /** The options {@code command} documents: {@code --runner} only when it runs a pipeline. */
  public static List<OptionDoc> document(Command command) {
    return document(command.optionsClass(), command.runsPipeline());
  }

  /**
   * Whether {@code declaring} holds a command's own options: the pipelines' shared interfaces and
   * those beside the command's interface (the deploy module's), not Beam's, io's or the runners'.
   */
  private static boolean isCommandOption(Class<?> declaring, Class<?> type) {
    String name = declaring.getName();
    String home = type.getPackageName() + ".";
    return name.startsWith("dev.tripflow.pipelines.")
        || (home.startsWith("dev.tripflow.") && name.startsWith(home));
  }

  private static List<OptionDoc> document(
      Class<? extends PipelineOptions> type, boolean withRunner) {
    Map<String, OptionDoc> docs = new TreeMap<>();
    for (Method m : type.getMethods()) {
      String property = propertyName(m);
      Class<?> declaring = m.getDeclaringClass();
      if (property == null
          || !isCommandOption(declaring, type)
          || m.isAnnotationPresent(com.fasterxml.jackson.annotation.JsonIgnore.class)) {
        continue;
      }
      Description d = m.getAnnotation(Description.class);
      Param param = m.getAnnotation(Param.class);
      String[] implied = impliedForm(m);
      boolean hasRegex = param != null && !param.regex().isEmpty();
      docs.put(
          property,
          new OptionDoc(
              property,
              m.getReturnType().getSimpleName(),
              d == null ? "" : d.value(),
              defaultOf(m),
              m.isAnnotationPresent(Validation.Required.class)
                  || (param != null && param.required()),
              param == null ? property : param.label(),
              param == null ? "" : param.example(),
              hasRegex ? param.regex() : implied[0],
              param != null && !param.form().isEmpty() ? param.form() : hasRegex ? "" : implied[1],
              param == null ? Long.MIN_VALUE : param.min(),
              param == null ? Long.MAX_VALUE : param.max()));
    }
    List<OptionDoc> out = new ArrayList<>(docs.values());
    out.sort(Comparator.comparing((OptionDoc o) -> !o.required()));
    if (!withRunner) {
      return out;
    }
    out.add(
        new OptionDoc(
            "runner",
            "String",
            "Beam runner: PartitionedRunner (in-process, --partitions=N threads), DirectRunner,"
                + " FlinkRunner (--flinkMaster=HOST:PORT or [local]) or SparkRunner"
                + " (--sparkMaster=local[N] or spark://HOST:PORT)",
            RunnerPresets.defaultRunner().getSimpleName(),
            false,
            "Runner",
            "PartitionedRunner",
            "^[A-Za-z_$][A-Za-z0-9_$.]*$",
            "a runner's class name",
            Long.MIN_VALUE,
            Long.MAX_VALUE));
    return out;
  }

  /** The regex and its wording implied by a getter's type. */
  private static String[] impliedForm(Method m) {
    Class<?> t = m.getReturnType();
    if (t == int.class || t == Integer.class || t == long.class || t == Long.class) {
      return new String[] {"^-?[0-9]+$", "a whole number"};
    }
    if (t == double.class || t == Double.class) {
      return new String[] {"^-?[0-9]+(\\.[0-9]*)?([eE][-+]?[0-9]+)?$", "a number"};
    }
    if (t == boolean.class || t == Boolean.class) {
      return new String[] {"^(true|false)$", "true or false"};
    }
    if (t.isEnum()) {
      StringBuilder alternatives = new StringBuilder();
      for (Object c : t.getEnumConstants()) {
        alternatives.append(alternatives.length() == 0 ? "" : "|").append(c);
      }
      return new String[] {"^(" + alternatives + ")$", "one of " + alternatives};
    }
    return new String[] {"^(?s).*\\S.*$", "a non-blank value"};
  }

  private static String defaultOf(Method m) {
    if (m.getAnnotation(Default.String.class) != null) {
      return m.getAnnotation(Default.String.class).value();
    }
    if (m.getAnnotation(Default.Integer.class) != null) {
      return String.valueOf(m.getAnnotation(Default.Integer.class).value());
    }
    if (m.getAnnotation(Default.Long.class) != null) {
      return String.valueOf(m.getAnnotation(Default.Long.class).value());
    }
    if (m.getAnnotation(Default.Double.class) != null) {
      return String.valueOf(m.getAnnotation(Default.Double.class).value());
    }
    if (m.getAnnotation(Default.Boolean.class) != null) {
      return String.valueOf(m.getAnnotation(Default.Boolean.class).value());
    }
    if (m.getAnnotation(Default.Enum.class) != null) {
      return m.getAnnotation(Default.Enum.class).value();
    }
    return null;
  }

  /** Renders a command's {@code --help}. */
  public static String help(Command command) {
    StringBuilder sb = new StringBuilder();
    sb.append("Usage: tripflow ").append(command.usage()).append("\n\n");
    sb.append(command.summary()).append("\n\nOptions:\n");
    for (OptionDoc o : document(command)) {
      sb.append("  --").append(o.name()).append("=<").append(o.type()).append(">");
      if (o.required()) {
        sb.append("  (required)");
      }
      sb.append('\n');
      sb.append("      ").append(o.description());
      if (o.defaultValue() != null) {
        sb.append(" [default: ").append(o.defaultValue().isEmpty() ? "\"\"" : o.defaultValue());
        sb.append(']');
      }
      if (!o.example().isEmpty() && !o.example().equals(o.defaultValue())) {
        sb.append(" (e.g. --").append(o.name()).append('=').append(o.example()).append(')');
      }
      sb.append('\n');
    }
    sb.append(
        "\nAny Beam pipeline option of the selected runner is accepted too"
            + " (e.g. --partitions=4 for PartitionedRunner, and --explain to print its physical plan before the run). gs:// paths take"
            + " --serviceAccountKey=FILE (default: GOOGLE_APPLICATION_CREDENTIALS or the application"
            + " default credentials) and Beam's --gcsEndpoint=URL. --paramsFile=params.json takes"
            + " options from a JSON object; the command line wins.\n");
    return sb.toString();
  }
}
