package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's Parquet output read back through DuckDB, sorted, with timestamps as text (no JVM time
 * zone involved), and the comparison of two such outputs: doubles to a relative 1e-12 (sums add in
 * partition order), everything else exactly.
 */
public final class OutputRows {
  private OutputRows() {}

  public static List<List<Object>> of(Path dir) throws Exception {
    try (DuckDbOracle duck = new DuckDbOracle()) {
      String source = "read_parquet('" + dir + "/*.parquet')";
      List<String> select = new ArrayList<>();
      for (List<Object> col :
          duck.query(
              "SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM " + source + ")")) {
        String c = "\"" + col.get(0) + "\"";
        String type = (String) col.get(1);
        select.add(
            type.equals("DOUBLE") || type.equals("BIGINT") || type.equals("INTEGER")
                ? c
                : "CAST(" + c + " AS VARCHAR)");
      }
      return duck.query(
          "SELECT " + String.join(", ", select) + " FROM " + source + " ORDER BY ALL");
    }
  }

  public static void assertSame(
      String who, List<List<Object>> expected, List<List<Object>> actual) {
    assertTrue(who + ": no rows", expected.size() > 0);
    assertEquals(who + ": row count", expected.size(), actual.size());
    for (int i = 0; i < expected.size(); i++) {
      List<Object> a = expected.get(i);
      List<Object> b = actual.get(i);
      for (int c = 0; c < a.size(); c++) {
        Object x = a.get(c);
        Object y = b.get(c);
        if (x instanceof Double dx && y instanceof Double dy) {
          assertTrue(
              who + ": row " + i + " column " + c + ": " + dx + " vs " + dy,
              Math.abs(dx - dy) <= 1e-12 * Math.max(Math.abs(dx), Math.abs(dy)) + 1e-12);
        } else {
          assertEquals(who + ": row " + i + " column " + c, x, y);
        }
      }
    }
  }
}
