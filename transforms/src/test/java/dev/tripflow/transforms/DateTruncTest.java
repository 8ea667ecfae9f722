package dev.tripflow.transforms;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertThrows;

import java.time.LocalDateTime;
import org.junit.Test;

public class DateTruncTest {
  private static final LocalDateTime T = LocalDateTime.of(2020, 3, 8, 2, 30, 15, 123_000_000);

  /** Truncation is on the wall clock: 02:30 on the New York DST switch day stays 02:00. */
  @Test
  public void truncatesWallClockValues() {
    assertEquals(LocalDateTime.of(2020, 3, 1, 0, 0), DateTrunc.toMonth(T));
    assertEquals(LocalDateTime.of(2020, 3, 8, 2, 0), DateTrunc.toHour(T));
    assertEquals(LocalDateTime.of(2020, 3, 8, 0, 0), DateTrunc.toDay(T));
    assertEquals(LocalDateTime.of(2020, 1, 1, 0, 0), DateTrunc.truncate("YEAR", T));
    assertEquals(LocalDateTime.of(2020, 1, 1, 0, 0), DateTrunc.truncate("quarter", T));
    assertEquals(LocalDateTime.of(2020, 3, 2, 0, 0), DateTrunc.truncate("week", T));
    assertEquals(LocalDateTime.of(2020, 3, 8, 2, 30), DateTrunc.truncate("minute", T));
    assertEquals(LocalDateTime.of(2020, 3, 8, 2, 30, 15), DateTrunc.truncate("second", T));
  }

  /** Null stays null; an unknown unit is a clear error. */
  @Test
  public void nullsAndBadUnits() {
    assertNull(DateTrunc.toMonth(null));
    assertNull(DateTrunc.truncate("hour", null));
    IllegalArgumentException e =
        assertThrows(IllegalArgumentException.class, () -> DateTrunc.truncate("fortnight", T));
    assertEquals(
        "date_trunc: unknown unit 'fortnight' (expected one of year, quarter, month, week, day,"
            + " hour, minute, second)",
        e.getMessage());
  }
}
