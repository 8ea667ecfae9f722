package dev.tripflow.transforms.sql;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import org.junit.Test;

public class SqlRewriterTest {

  /** The course's hourly query becomes Calcite SQL: FLOOR, expressions, a TIMESTAMP literal. */
  @Test
  public void rewritesTheCourseForms() {
    String in =
        "SELECT \n  -- comment with date_trunc('x', y) and GROUP BY 1\n"
            + "  date_trunc('hour', lpep_pickup_datetime) AS hour,\n"
            + "  PULocationID AS zone, SUM(total_amount) AS amount, COUNT(1) AS number_records\n"
            + "FROM green WHERE lpep_pickup_datetime >= '2020-01-01 00:00:00'\nGROUP BY\n  1, 2";
    String out = SqlRewriter.rewrite(in);
    assertTrue(out, out.contains("FLOOR(lpep_pickup_datetime TO HOUR) AS `hour`"));
    assertTrue(out, out.contains(">= TIMESTAMP '2020-01-01 00:00:00'"));
    assertTrue(out, out.endsWith("GROUP BY\n  FLOOR(lpep_pickup_datetime TO HOUR), PULocationID"));
    assertTrue(out, out.contains("-- comment with date_trunc('x', y) and GROUP BY 1"));
  }

  /** Aliases without AS, CASE expressions, nested calls and strings are handled. */
  @Test
  public void resolvesOrdinalsAgainstTheSelectList() {
    assertEquals(
        "SELECT CASE WHEN a > 1 THEN 'x, y' ELSE 'z' END, upper(b) bb, COUNT(*) FROM t"
            + " GROUP BY CASE WHEN a > 1 THEN 'x, y' ELSE 'z' END, upper(b) ORDER BY 1",
        SqlRewriter.rewrite(
            "SELECT CASE WHEN a > 1 THEN 'x, y' ELSE 'z' END, upper(b) bb, COUNT(*) FROM t"
                + " GROUP BY 1, 2 ORDER BY 1"));
    assertEquals(
        "SELECT FLOOR(FLOOR(ts TO DAY) TO MONTH) m FROM t GROUP BY FLOOR(FLOOR(ts TO DAY) TO MONTH)",
        SqlRewriter.rewrite(
            "SELECT date_trunc('month', date_trunc('day', ts)) m FROM t GROUP BY 1"));
  }

  /** Unsupported units and bad ordinals are clear errors. */
  @Test
  public void clearErrors() {
    IllegalArgumentException week =
        assertThrows(
            IllegalArgumentException.class,
            () -> SqlRewriter.rewrite("SELECT date_trunc('week', ts) FROM t"));
    assertTrue(week.getMessage(), week.getMessage().contains("unit 'week' is not supported"));
    IllegalArgumentException ordinal =
        assertThrows(
            IllegalArgumentException.class,
            () -> SqlRewriter.rewrite("SELECT a FROM t GROUP BY 2"));
    assertEquals("SQL: GROUP BY 2 is not a position in the SELECT list", ordinal.getMessage());
  }
}
