package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The test oracle: an in-memory DuckDB, an engine independent of tripflow, that runs the course's
 * SQL over the same files; results come back as lists of values with timestamps rendered as text
 * inside DuckDB, so no JVM time zone is involved.
 */
public final class DuckDbOracle implements AutoCloseable {
  private final Connection connection;

  public DuckDbOracle() throws SQLException {
    connection = DriverManager.getConnection("jdbc:duckdb:");
  }

  public void execute(String sql) throws SQLException {
    try (Statement s = connection.createStatement()) {
      s.execute(sql);
    }
  }

  /** Runs a query; each row is a list of JDBC values (numbers, strings, nulls). */
  public List<List<Object>> query(String sql) throws SQLException {
    List<List<Object>> rows = new ArrayList<>();
    try (Statement s = connection.createStatement();
        ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      while (rs.next()) {
        List<Object> row = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          Object v = rs.getObject(i);
          if (v instanceof Integer n) {
            v = n.longValue();
          } else if (v instanceof java.math.BigInteger n) {
            v = n.longValue();
          } else if (v instanceof java.math.BigDecimal d) {
            v = d.doubleValue(); // DuckDB sums DECIMAL columns as DECIMAL; the TLC types are DOUBLE
          } else if (v instanceof Float f) {
            v = f.doubleValue();
          } else if (v != null && !(v instanceof Number) && !(v instanceof String)) {
            fail("oracle queries must render " + v.getClass() + " as text (column " + i + ")");
          }
          row.add(v);
        }
        rows.add(row);
      }
    }
    return rows;
  }

  /** Reads a course SQL file from the test resources. */
  static String courseSql(String name) throws IOException {
    try (InputStream in = DuckDbOracle.class.getResourceAsStream("/course/" + name)) {
      return new String(Objects.requireNonNull(in, name).readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  /**
   * Asserts two results hold the same rows, matched on the first {@code keyColumns} values; doubles
   * agree to a relative 1e-9 (with an absolute floor of 1e-9 for sums that cancel to about zero),
   * everything else exactly.
   */
  static void assertSameRows(
      List<List<Object>> expected, List<List<Object>> actual, int keyColumns) {
    assertEquals("row count", expected.size(), actual.size());
    Map<List<Object>, List<Object>> byKey = new HashMap<>();
    for (List<Object> row : actual) {
      List<Object> previous = byKey.put(row.subList(0, keyColumns), row);
      assertTrue("duplicate key " + row.subList(0, keyColumns), previous == null);
    }
    int compared = 0;
    for (List<Object> want : expected) {
      List<Object> key = want.subList(0, keyColumns);
      List<Object> got = byKey.get(key);
      if (got == null) {
        fail("missing row " + key);
      }
      assertEquals("columns of " + key, want.size(), got.size());
      for (int i = keyColumns; i < want.size(); i++) {
        Object w = want.get(i);
        Object g = got.get(i);
        if (w instanceof Double a && g instanceof Double b) {
          double tolerance = 1e-9 * Math.max(Math.abs(a), Math.abs(b)) + 1e-9;
          assertTrue(
              "column " + i + " of " + key + ": oracle " + a + ", tripflow " + b,
              Math.abs(a - b) <= tolerance);
        } else {
          assertEquals("column " + i + " of " + key, w, g);
        }
        compared++;
      }
    }
    assertTrue("compared nothing", compared > 0 || expected.isEmpty());
  }

  @Override
  public void close() throws SQLException {
    connection.close();
  }
}
