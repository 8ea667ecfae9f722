package dev.tripflow.pipelines.schedule;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;

import java.time.LocalDateTime;
import java.util.List;
import org.junit.Test;

/** Periods, ranges and path templates, computed by hand. */
public class PeriodTest {
  private static LocalDateTime t(String s) {
    return LocalDateTime.parse(s);
  }

  @Test
  public void eachFormIsItsUnit() {
    assertEquals(Period.of(Period.Unit.YEAR, t("2020-01-01T00:00")), Period.parse("2020"));
    assertEquals(Period.of(Period.Unit.MONTH, t("2020-02-01T00:00")), Period.parse("2020-02"));
    assertEquals(t("2020-03-01T00:00"), Period.parse("2020-02").end()); // leap February
    assertEquals(t("2021-03-01T00:00"), Period.parse("2021-02-28").end());
    assertEquals(t("2020-03-08T03:00"), Period.parse("2020-03-08T02").end()); // no DST gap
    assertEquals("2020-03-08T02", Period.parse("2020-03-08T02").text());
    assertThrows(IllegalArgumentException.class, () -> Period.parse("2020-02-30"));
    assertThrows(IllegalArgumentException.class, () -> Period.parse("2020-01-01T24"));
    assertThrows(IllegalArgumentException.class, () -> Period.parse("2020-13"));
  }

  @Test
  public void aRangeHoldsBothEndsAndCrossesYears() {
    List<Period> r = Period.parseRange("2020-11..2021-02");
    assertEquals(
        List.of("2020-11", "2020-12", "2021-01", "2021-02"), r.stream().map(Period::text).toList());
    assertEquals(24, Period.parseRange("2020-01-01T00..2020-01-01T23").size());
    assertEquals(366, Period.parseRange("2020-01-01..2020-12-31").size());
    assertThrows(IllegalArgumentException.class, () -> Period.parseRange("2020-01..2020-02-01"));
    List<java.time.LocalDateTime[]> merged = Schedule.intervals(r);
    assertEquals(1, merged.size());
    assertEquals(t("2020-11-01T00:00"), merged.get(0)[0]);
    assertEquals(t("2021-03-01T00:00"), merged.get(0)[1]);
  }

  @Test
  public void runDatesNameThePeriodHoldingThem() {
    assertEquals("2021-02", Schedule.runPeriod("2021-02-15", "monthly").text());
    assertEquals("2021-02-15", Schedule.runPeriod("2021-02-15", "daily").text());
    assertEquals("2021-02-15T07", Schedule.runPeriod("2021-02-15T07", "hourly").text());
    assertEquals("2021", Schedule.runPeriod("2021-02-15T07:00", "yearly").text());
  }

  @Test
  public void templatesFillWhatThePeriodFixesAndWildcardTheRest() {
    Period march = Period.parse("2020-03");
    assertEquals(
        "pq/green/2020/03/*.parquet",
        Schedule.expandInput("pq/green/{yyyy}/{MM}/*.parquet", march));
    assertEquals(
        "raw/2020/03/*/x-*.csv", Schedule.expandInput("raw/{yyyy}/{MM}/{dd}/x-{HH}.csv", march));
    assertEquals("out/2020-03", Schedule.expandOutput("output", "out/{period}", march));
    assertEquals(
        List.of("pq/2020/*.parquet"),
        Schedule.inputGlobs("pq/{yyyy}/*.parquet", Period.parseRange("2020-01..2020-12")));
    assertEquals(
        List.of("pq/2020/12", "pq/2021/01"),
        Schedule.inputGlobs("pq/{yyyy}/{MM}", Period.parseRange("2020-12..2021-01")));
    assertThrows(
        dev.tripflow.pipelines.options.UsageException.class,
        () -> Schedule.expandOutput("output", "out/{dd}", march));
  }
}
