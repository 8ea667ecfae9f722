package dev.tripflow.pipelines.schedule;

import dev.tripflow.pipelines.options.Forms;
import dev.tripflow.pipelines.options.Param;
import dev.tripflow.pipelines.options.UsageException;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
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
   * The value of one path option for a run over {@code periods}: a template of an output, or of an
   * input read one period at a time, is checked and filled for the run's one period; a template of
   * {@link Param.Role#PERIOD_INPUTS} stays, for {@link #inputGlobs}. With {@code split} (a {@code
   * --perPeriod} range, resolved again per period) templates stay and outputs must have
   * placeholders.
   */
  public static String fill(
      String name, Param.Role role, String value, List<Period> periods, boolean split) {
    boolean output = role == Param.Role.OUTPUT;
    if (value == null || placeholders(value).isEmpty()) {
      if (split && value != null && output) {
        throw new UsageException(
            "--perPeriod writes one output per period: --"
                + name
                + "="
                + value
                + " needs placeholders, e.g. "
                + value
                + "/{period}");
      }
      return value;
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
    if (split || (role != Param.Role.INPUT && !output)) {
      return value;
    }
    if (periods.size() > 1) {
      throw new UsageException(
          "--"
              + name
              + "="
              + value
              + (output
                  ? ": one pipeline over "
                      + periods.size()
                      + " periods writes one output; add --perPeriod for one output per period,"
                      + " or drop the placeholders"
                  : ": this command reads one period at a time; add --perPeriod for the "
                      + periods.size()
                      + " periods"));
    }
    return output ? expandOutput(name, value, periods.get(0)) : expandInput(value, periods.get(0));
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
}
