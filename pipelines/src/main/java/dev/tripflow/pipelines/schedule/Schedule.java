package dev.tripflow.pipelines.schedule;

import dev.tripflow.pipelines.cli.Forms;
import dev.tripflow.pipelines.cli.Param;
import dev.tripflow.pipelines.cli.Roles;
import dev.tripflow.pipelines.cli.UsageException;
import java.lang.reflect.Method;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.options.Description;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Scheduled periods and path templates: {@code --period=2020-01} (or a range {@code
 * 2020-01..2020-12}, or {@code --runDate=2021-02-15 --interval=daily}) fills the placeholders
 * {@code {yyyy} {MM} {dd} {HH} {period}} of input and output paths. A range runs as one pipeline
 * over every period's inputs, or, with {@code --perPeriod}, as one run and one output per period.
 */
public final class Schedule {
  private Schedule() {}

  /** The schedule options of the pipelines that read trips. */
  public interface Options extends PipelineOptions {
    @Description(
        "Period to run: a month (2020-01), a range of them (2020-01..2020-12), a year, a day"
            + " (2020-01-15) or an hour (2020-01-15T08). Fills the {yyyy} {MM} {dd} {HH} {period}"
            + " placeholders of the input and output paths; revenue-report and hourly-revenue"
            + " count only the trips picked up in the period")
    @Param(
        label = "Period",
        example = "2020-01..2020-03",
        regex = Forms.PERIOD,
        form = Forms.PERIOD_FORM)
    String getPeriod();

    void setPeriod(String value);

    @Description(
        "A scheduled run's date, instead of --period: the run covers the --interval period that"
            + " holds it")
    @Param(
        label = "Run date",
        example = "2021-02-15",
        regex = Forms.RUN_DATE,
        form = Forms.RUN_DATE_FORM)
    String getRunDate();

    void setRunDate(String value);

    @Description("With --runDate: hourly, daily, monthly or yearly [default: daily]")
    @Param(
        label = "Interval",
        example = "monthly",
        regex = "^(hourly|daily|monthly|yearly)$",
        form = "hourly, daily, monthly or yearly")
    String getInterval();

    void setInterval(String value);

    @Description(
        "With a range of periods: one run and one output per period (the output paths need"
            + " placeholders), one after another, instead of one pipeline over the whole range")
    @Param(label = "One output per period", example = "true")
    boolean getPerPeriod();

    void setPerPeriod(boolean value);
  }

  /**
   * Input options of commands that read a single glob, filled in place for one period; the trip
   * inputs of the reports read one glob per period instead ({@link #inputGlobs}).
   */
  static final Set<String> SINGLE_INPUT_OPTIONS = Set.of("input");

  private static final Pattern PLACEHOLDER = Pattern.compile("\\{([A-Za-z]+)\\}");

  /** The periods the options name, in order; empty when they name none. */
  public static List<Period> periods(PipelineOptions options) {
    if (!(options instanceof Options)) {
      return List.of();
    }
    Options o = options.as(Options.class);
    if (o.getPeriod() != null && o.getRunDate() != null) {
      throw new UsageException("give --period or --runDate, not both");
    }
    if (o.getInterval() != null && o.getRunDate() == null) {
      throw new UsageException(
          "--interval="
              + o.getInterval()
              + " goes with --runDate (for --period, the form says it)");
    }
    if (o.getPeriod() != null) {
      try {
        return Period.parseRange(o.getPeriod());
      } catch (IllegalArgumentException e) {
        throw new UsageException("--period=" + o.getPeriod() + ": " + e.getMessage());
      }
    }
    if (o.getRunDate() != null) {
      return List.of(
          runPeriod(o.getRunDate(), o.getInterval() == null ? "daily" : o.getInterval()));
    }
    return List.of();
  }

  /** The period of {@code interval} that holds {@code runDate}. */
  static Period runPeriod(String runDate, String interval) {
    LocalDateTime time;
    boolean hasHour = runDate.length() > 10;
    try {
      LocalDate date = LocalDate.parse(runDate.substring(0, 10));
      int hour = hasHour ? Integer.parseInt(runDate.substring(11, 13)) : 0;
      if (hour > 23) {
        throw new UsageException("--runDate=" + runDate + ": hour " + hour + " is not 00..23");
      }
      time = date.atTime(hour, 0);
    } catch (java.time.DateTimeException | StringIndexOutOfBoundsException e) {
      throw new UsageException("--runDate=" + runDate + ": not a date (" + e.getMessage() + ")");
    }
    Period.Unit unit =
        switch (interval) {
          case "hourly" -> Period.Unit.HOUR;
          case "daily" -> Period.Unit.DAY;
          case "monthly" -> Period.Unit.MONTH;
          case "yearly" -> Period.Unit.YEAR;
          default ->
              throw new UsageException(
                  "--interval=" + interval + ": expected hourly, daily, monthly or yearly");
        };
    if (unit == Period.Unit.HOUR && !hasHour) {
      throw new UsageException(
          "--interval=hourly needs the hour: --runDate=" + runDate + "T00 .. " + runDate + "T23");
    }
    return Period.holding(unit, time);
  }

  /** Whether the options ask for one run per period. */
  public static boolean perPeriod(PipelineOptions options) {
    return options instanceof Options && options.as(Options.class).getPerPeriod();
  }

  /**
   * Checks the schedule options and the path templates before a run and fills in what one period
   * determines: with {@code only}, the options are narrowed to that period (one run of a {@code
   * --perPeriod} range). Output paths are expanded in place; input templates stay, for {@link
   * #inputGlobs}.
   *
   * @return the periods of the run (empty when the options name none)
   */
  public static List<Period> resolve(PipelineOptions options, Period only) {
    if (!(options instanceof Options)) {
      return List.of();
    }
    List<Period> periods = periods(options);
    if (only != null) {
      Options o = options.as(Options.class);
      o.setPeriod(only.text());
      o.setRunDate(null);
      o.setInterval(null);
      periods = List.of(only);
    }
    boolean split = perPeriod(options) && periods.size() > 1;
    for (String name : pathOptions(options)) {
      String value = get(options, name);
      if (value == null || placeholders(value).isEmpty()) {
        if (split && value != null && isOutput(options, name)) {
          throw new UsageException(
              "--perPeriod writes one output per period: --"
                  + name
                  + "="
                  + value
                  + " needs placeholders, e.g. "
                  + value
                  + "/{period}");
        }
        continue;
      }
      for (String p : placeholders(value)) {
        if (rank(p) < 0) {
          throw new UsageException(
              "--" + name + "=" + value + ": unknown placeholder {" + p + "}; known: " + KNOWN);
        }
      }
      if (periods.isEmpty()) {
        throw new UsageException(
            "--"
                + name
                + "="
                + value
                + " has placeholders: give --period=... or --runDate=... to fill them");
      }
      if (SINGLE_INPUT_OPTIONS.contains(name) && !split) {
        // a command reading one glob (ingest): one period's files, or --perPeriod
        if (periods.size() > 1) {
          throw new UsageException(
              "--"
                  + name
                  + "="
                  + value
                  + ": this command reads one period at a time; add --perPeriod for the "
                  + periods.size()
                  + " periods");
        }
        set(options, name, expandInput(value, periods.get(0)));
      }
      if (isOutput(options, name) && !split) {
        if (periods.size() > 1) {
          throw new UsageException(
              "--"
                  + name
                  + "="
                  + value
                  + ": one pipeline over "
                  + periods.size()
                  + " periods writes one output; add --perPeriod for one output per period, or"
                  + " drop the placeholders");
        }
        set(options, name, expandOutput(name, value, periods.get(0)));
      }
    }
    return periods;
  }

  private static final String KNOWN = "{yyyy} {MM} {dd} {HH} {period}";

  /** The placeholder names in {@code template}, in order. */
  static List<String> placeholders(String template) {
    List<String> names = new ArrayList<>();
    Matcher m = PLACEHOLDER.matcher(template);
    while (m.find()) {
      names.add(m.group(1));
    }
    return names;
  }

  /** The unit a placeholder needs (0 year .. 3 hour), 4 for {period}, -1 for an unknown one. */
  private static int rank(String placeholder) {
    return switch (placeholder) {
      case "yyyy" -> 0;
      case "MM" -> 1;
      case "dd" -> 2;
      case "HH" -> 3;
      case "period" -> 4;
      default -> -1;
    };
  }

  private static String value(String placeholder, Period p) {
    LocalDateTime t = p.start();
    return switch (placeholder) {
      case "yyyy" -> String.format(Locale.ROOT, "%04d", t.getYear());
      case "MM" -> String.format(Locale.ROOT, "%02d", t.getMonthValue());
      case "dd" -> String.format(Locale.ROOT, "%02d", t.getDayOfMonth());
      case "HH" -> String.format(Locale.ROOT, "%02d", t.getHour());
      case "period" -> p.text();
      default -> throw new IllegalArgumentException("unknown placeholder {" + placeholder + "}");
    };
  }

  /**
   * An input template for one period: placeholders the period fixes are filled, finer ones ({@code
   * {dd}} of a month) become {@code *}, so the glob matches all of the period's files.
   */
  public static String expandInput(String template, Period p) {
    Matcher m = PLACEHOLDER.matcher(template);
    StringBuilder sb = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      int rank = rank(name);
      String v = rank == 4 || rank <= p.unit().ordinal() ? value(name, p) : "*";
      m.appendReplacement(sb, Matcher.quoteReplacement(v));
    }
    m.appendTail(sb);
    return sb.toString();
  }

  /** An output template for one period: every placeholder must be one the period fixes. */
  public static String expandOutput(String option, String template, Period p) {
    for (String name : placeholders(template)) {
      int rank = rank(name);
      if (rank != 4 && rank > p.unit().ordinal()) {
        throw new UsageException(
            "--"
                + option
                + "="
                + template
                + ": {"
                + name
                + "} is finer than the "
                + p.unit().interval()
                + " period "
                + p);
      }
    }
    return expandInput(template, p);
  }

  /**
   * The globs an input template stands for over {@code periods}: one per distinct expansion, in
   * period order; the template itself when the run has no period.
   */
  public static List<String> inputGlobs(String template, List<Period> periods) {
    if (periods.isEmpty() || placeholders(template).isEmpty()) {
      return List.of(template);
    }
    Set<String> globs = new LinkedHashSet<>();
    for (Period p : periods) {
      globs.add(expandInput(template, p));
    }
    return List.copyOf(globs);
  }

  /**
   * Checks that an input template matches files in every period (one glob when the periods share
   * it); the error names the period whose files are missing.
   */
  public static List<Metadata> requireMatches(
      PipelineOptions options, String option, String template, List<Period> periods) {
    List<String> globs = inputGlobs(template, periods);
    if (globs.size() == 1) {
      return dev.tripflow.pipelines.cli.Paths.requireMatches(options, option, globs.get(0));
    }
    List<Metadata> all = new ArrayList<>();
    Set<String> seen = new java.util.HashSet<>();
    for (Period p : periods) {
      try {
        for (Metadata m :
            dev.tripflow.pipelines.cli.Paths.requireMatches(
                options, option, expandInput(template, p))) {
          if (seen.add(m.resourceId().toString())) {
            all.add(m);
          }
        }
      } catch (UsageException e) {
        throw new UsageException(
            e.getMessage()
                + " (period "
                + p
                + " of --period="
                + options.as(Options.class).getPeriod()
                + ")");
      }
    }
    return all;
  }

  /** The periods as {@code [start, end)} pairs, adjacent ones merged. */
  public static List<LocalDateTime[]> intervals(List<Period> periods) {
    List<LocalDateTime[]> out = new ArrayList<>();
    for (Period p : periods) {
      LocalDateTime[] last = out.isEmpty() ? null : out.get(out.size() - 1);
      if (last != null && !p.start().isAfter(last[1])) {
        if (p.end().isAfter(last[1])) {
          last[1] = p.end();
        }
      } else {
        out.add(new LocalDateTime[] {p.start(), p.end()});
      }
    }
    return out;
  }

  /** A short description of the run's periods, e.g. {@code 2020-01..2020-12 (12 monthly)}. */
  public static String describe(List<Period> periods) {
    if (periods.size() == 1) {
      return periods.get(0).text();
    }
    return periods.get(0)
        + ".."
        + periods.get(periods.size() - 1)
        + " ("
        + periods.size()
        + " "
        + periods.get(0).unit().interval()
        + ")";
  }

  /** The input and output options (by their roles) of {@code options} that hold one path. */
  private static List<String> pathOptions(PipelineOptions options) {
    List<String> names = new ArrayList<>(Roles.named(options, Param.Role.INPUT, Param.Role.OUTPUT));
    names.removeIf(n -> getter(options, n) == null);
    return names;
  }

  private static boolean isOutput(PipelineOptions options, String name) {
    Param p = Roles.of(options).get(name);
    return p != null && p.role() == Param.Role.OUTPUT;
  }

  private static Method getter(PipelineOptions options, String name) {
    for (Class<?> iface : options.getClass().getInterfaces()) {
      try {
        Method m =
            iface.getMethod("get" + Character.toUpperCase(name.charAt(0)) + name.substring(1));
        if (m.getReturnType() == String.class) {
          return m;
        }
      } catch (NoSuchMethodException e) {
        // not this interface's
      }
    }
    return null;
  }

  private static String get(PipelineOptions options, String name) {
    try {
      return (String) getter(options, name).invoke(options);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("--" + name, e);
    }
  }

  private static void set(PipelineOptions options, String name, String value) {
    Method g = getter(options, name);
    try {
      g.getDeclaringClass()
          .getMethod("s" + g.getName().substring(1), String.class)
          .invoke(options, value);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException("--" + name, e);
    }
  }
}
