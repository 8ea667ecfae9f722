package dev.tripflow.pipelines.schedule;

import com.google.auto.value.AutoValue;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One scheduled period of local wall-clock time, {@code [start, end)}: a year, a month, a day or an
 * hour. Taxi timestamps are local times, so a period is too: no time zone enters it.
 */
@AutoValue
public abstract class Period {
  /** The period's length. */
  public abstract Unit unit();

  /** Its first instant. */
  public abstract LocalDateTime start();

  /** The length of a period, coarsest first. */
  public enum Unit {
    YEAR,
    MONTH,
    DAY,
    HOUR;

    /** The {@code --interval} word for this unit. */
    public String interval() {
      return switch (this) {
        case YEAR -> "yearly";
        case MONTH -> "monthly";
        case DAY -> "daily";
        case HOUR -> "hourly";
      };
    }
  }

  /** The most periods one range may hold (ten years of hours). */
  static final int MAX_PERIODS = 24 * 366 * 10;

  /**
   * The period of {@code unit} starting at {@code start}.
   *
   * @throws IllegalArgumentException when {@code start} does not start such a period
   */
  public static Period of(Unit unit, LocalDateTime start) {
    LocalDateTime truncated = truncate(unit, start);
    if (!truncated.equals(start)) {
      throw new IllegalArgumentException(
          start + " does not start a " + unit.interval() + " period");
    }
    return new AutoValue_Period(unit, start);
  }

  /** The period of {@code unit} that holds {@code time}. */
  public static Period holding(Unit unit, LocalDateTime time) {
    return Period.of(unit, truncate(unit, time));
  }

  private static LocalDateTime truncate(Unit unit, LocalDateTime t) {
    return switch (unit) {
      case YEAR -> LocalDate.of(t.getYear(), 1, 1).atStartOfDay();
      case MONTH -> LocalDate.of(t.getYear(), t.getMonth(), 1).atStartOfDay();
      case DAY -> t.toLocalDate().atStartOfDay();
      case HOUR -> t.toLocalDate().atTime(t.getHour(), 0);
    };
  }

  /** The first instant after the period. */
  public LocalDateTime end() {
    return next().start();
  }

  /** The period of the same unit that follows this one. */
  public Period next() {
    return Period.of(
        unit(),
        switch (unit()) {
          case YEAR -> start().plusYears(1);
          case MONTH -> start().plusMonths(1);
          case DAY -> start().plusDays(1);
          case HOUR -> start().plusHours(1);
        });
  }

  /** The period as {@code --period} takes it: 2020, 2020-01, 2020-01-15 or 2020-01-15T08. */
  public String text() {
    return switch (unit()) {
      case YEAR -> String.format(Locale.ROOT, "%04d", start().getYear());
      case MONTH -> YearMonth.from(start()).toString();
      case DAY -> start().toLocalDate().toString();
      case HOUR -> start().toLocalDate() + String.format(Locale.ROOT, "T%02d", start().getHour());
    };
  }

  @Override
  public final String toString() {
    return text();
  }

  /** One period as {@code --period} writes it; the unit follows from the form. */
  public static Period parse(String text) {
    String s = text.trim();
    try {
      if (s.matches("\\d{4}")) {
        return Period.of(Unit.YEAR, LocalDate.of(Integer.parseInt(s), 1, 1).atStartOfDay());
      }
      if (s.matches("\\d{4}-\\d{2}")) {
        return Period.of(Unit.MONTH, YearMonth.parse(s).atDay(1).atStartOfDay());
      }
      if (s.matches("\\d{4}-\\d{2}-\\d{2}")) {
        return Period.of(Unit.DAY, LocalDate.parse(s).atStartOfDay());
      }
      if (s.matches("\\d{4}-\\d{2}-\\d{2}T\\d{2}")) {
        int hour = Integer.parseInt(s.substring(11));
        if (hour > 23) {
          throw new IllegalArgumentException("hour " + hour + " is not 00..23");
        }
        return Period.of(Unit.HOUR, LocalDate.parse(s.substring(0, 10)).atTime(hour, 0));
      }
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("'" + s + "' is not a date: " + e.getMessage());
    }
    throw new IllegalArgumentException(
        "'" + s + "' is not YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH");
  }

  /**
   * The periods of {@code --period}: one, or {@code FROM..TO} with both ends included and of the
   * same unit.
   */
  public static List<Period> parseRange(String text) {
    int dots = text.indexOf("..");
    if (dots < 0) {
      return List.of(parse(text));
    }
    Period from = parse(text.substring(0, dots));
    Period to = parse(text.substring(dots + 2));
    if (from.unit() != to.unit()) {
      throw new IllegalArgumentException(
          "both ends of a range must be of one kind ("
              + from
              + " is "
              + from.unit().interval()
              + ", "
              + to
              + " is "
              + to.unit().interval()
              + ")");
    }
    if (to.start().isBefore(from.start())) {
      throw new IllegalArgumentException(
          "the range ends (" + to + ") before it starts (" + from + ")");
    }
    List<Period> periods = new ArrayList<>();
    for (Period p = from; !p.start().isAfter(to.start()); p = p.next()) {
      if (periods.size() == MAX_PERIODS) {
        throw new IllegalArgumentException(
            "the range holds more than " + MAX_PERIODS + " periods; use a coarser one");
      }
      periods.add(p);
    }
    return periods;
  }
}
