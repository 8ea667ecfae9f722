package dev.tripflow.transforms;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;

import java.time.LocalDateTime;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;

public class ZoneMonthTest {
  /** The month is the wall-clock month (date_trunc), before 1970 too; nulls stay null. */
  @Test
  public void keepsZoneMonthAndServiceWithNulls() {
    ZoneMonth k = ZoneMonth.of(132L, LocalDateTime.of(2020, 3, 31, 23, 59, 59), "yellow");
    assertEquals(Long.valueOf(132), k.zone());
    assertEquals(DateTrunc.toMonth(LocalDateTime.of(2020, 3, 31, 23, 59, 59)), k.month());
    assertEquals("yellow", k.service());
    assertEquals(
        LocalDateTime.of(1969, 12, 1, 0, 0),
        ZoneMonth.of(1L, LocalDateTime.of(1969, 12, 31, 12, 0), "green").month());
    ZoneMonth none = ZoneMonth.of(null, null, null);
    assertNull(none.zone());
    assertNull(none.month());
    assertNull(none.service());
  }

  /** Keys are equal exactly when their three parts are; a null part differs from zero. */
  @Test
  public void equalityFollowsTheParts() {
    LocalDateTime march = LocalDateTime.of(2020, 3, 5, 8, 0);
    assertEquals(
        ZoneMonth.of(7L, march, "green"),
        ZoneMonth.of(7L, LocalDateTime.of(2020, 3, 28, 1, 0), new String("green")));
    assertEquals(
        ZoneMonth.of(7L, march, "green").hashCode(),
        ZoneMonth.of(7L, march.plusDays(1), "green").hashCode());
    assertNotEquals(ZoneMonth.of(7L, march, "green"), ZoneMonth.of(7L, march, "yellow"));
    assertNotEquals(
        ZoneMonth.of(7L, march, "green"), ZoneMonth.of(7L, march.plusMonths(1), "green"));
    assertNotEquals(ZoneMonth.of(0L, march, "green"), ZoneMonth.of(null, march, "green"));
    assertNotEquals(
        ZoneMonth.of(7L, LocalDateTime.of(1970, 1, 1, 0, 0), "green"),
        ZoneMonth.of(7L, null, "green"));
    assertNotEquals(ZoneMonth.of(7L, march, "green"), ZoneMonth.of(7L, march, null));
  }

  /** The coder round-trips every combination of nulls, and equal keys encode equally. */
  @Test
  public void coderRoundTrips() throws Exception {
    List<ZoneMonth> keys =
        Arrays.asList(
            ZoneMonth.of(265L, LocalDateTime.of(2021, 12, 1, 0, 0), "yellow"),
            ZoneMonth.of(-3L, LocalDateTime.of(1900, 1, 1, 0, 0), "green"),
            ZoneMonth.of(null, LocalDateTime.of(2020, 6, 1, 0, 0), "green"),
            ZoneMonth.of(5L, null, "yellow"),
            ZoneMonth.of(5L, LocalDateTime.of(2020, 6, 1, 0, 0), null),
            ZoneMonth.of(null, null, null));
    for (ZoneMonth k : keys) {
      byte[] bytes = CoderUtils.encodeToByteArray(ZoneMonth.CODER, k);
      ZoneMonth back = CoderUtils.decodeFromByteArray(ZoneMonth.CODER, bytes);
      assertEquals(k, back);
      assertEquals(k.toString(), back.toString());
    }
  }
}
