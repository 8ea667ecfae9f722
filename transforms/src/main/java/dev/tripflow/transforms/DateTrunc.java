package dev.tripflow.transforms;

import java.time.LocalDateTime;
import java.time.temporal.ChronoUnit;
import java.util.Locale;

/**
 * {@code date_trunc} on local wall-clock timestamps, as Spark and DuckDB define it: the value with
 * every field finer than the unit set to its minimum. No time zone is involved.
 */
public final class DateTrunc {
  private DateTrunc() {}

  /** The units {@link #truncate} accepts. */
  public enum Unit {
    YEAR,
    QUARTER,
    MONTH,
    WEEK,
    DAY,
    HOUR,
    MINUTE,
    SECOND
  }

  /** Truncates to the first instant of the month; null stays null. */
  public static LocalDateTime toMonth(LocalDateTime t) {
    return t == null ? null : t.toLocalDate().withDayOfMonth(1).atStartOfDay();
  }

  /** Truncates to the hour; null stays null. */
  public static LocalDateTime toHour(LocalDateTime t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.HOURS);
  }

  /** Truncates to midnight of the day; null stays null. */
  public static LocalDateTime toDay(LocalDateTime t) {
    return t == null ? null : t.truncatedTo(ChronoUnit.DAYS);
  }

  /**
   * Truncates {@code t} to {@code unit} (case-insensitive, e.g. {@code "month"}); weeks start on
   * Monday as in Spark and DuckDB.
   *
   * @throws IllegalArgumentException naming the accepted units when {@code unit} is not one
   */
  public static LocalDateTime truncate(String unit, LocalDateTime t) {
    return truncate(parseUnit(unit), t);
  }

  /** Truncates {@code t} to {@code unit}; null stays null. */
  public static LocalDateTime truncate(Unit unit, LocalDateTime t) {
    if (t == null) {
      return null;
    }
    switch (unit) {
      case YEAR:
        return t.toLocalDate().withDayOfYear(1).atStartOfDay();
      case QUARTER:
        int firstMonth = (t.getMonthValue() - 1) / 3 * 3 + 1;
        return t.toLocalDate().withMonth(firstMonth).withDayOfMonth(1).atStartOfDay();
      case MONTH:
        return toMonth(t);
      case WEEK:
        return t.toLocalDate().minusDays(t.getDayOfWeek().getValue() - 1L).atStartOfDay();
      case DAY:
        return toDay(t);
      case HOUR:
        return toHour(t);
      case MINUTE:
        return t.truncatedTo(ChronoUnit.MINUTES);
      case SECOND:
        return t.truncatedTo(ChronoUnit.SECONDS);
      default:
        throw new AssertionError(unit);
    }
  }

  /** Parses a unit name such as {@code "hour"}. */
  public static Unit parseUnit(String unit) {
    try {
      return Unit.valueOf(unit.trim().toUpperCase(Locale.ROOT));
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException(
          "date_trunc: unknown unit '"
              + unit
              + "' (expected one of year, quarter, month, week, day, hour, minute, second)");
    }
  }
}
