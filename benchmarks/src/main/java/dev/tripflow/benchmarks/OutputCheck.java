package dev.tripflow.benchmarks;

import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * Compares a workload's output with the reference output in DuckDB: the same number of rows and,
 * row for row in the order of the workload's columns, equal values (doubles within a relative 1e-9,
 * timestamps as wall-clock values, any Parquet physical type).
 */
final class OutputCheck {
  private OutputCheck() {}

  /** Empty when the outputs agree, else what differs. */
  static String compare(Workload w, Path reference, Path actual) throws SQLException {
    try (Connection c = DriverManager.getConnection("jdbc:duckdb:");
        Statement s = c.createStatement()) {
      s.execute("SET TimeZone = 'UTC'");
      s.execute("SET threads TO 2");
      List<String[]> columns = new ArrayList<>();
      try (ResultSet rs = s.executeQuery("DESCRIBE SELECT * FROM " + files(reference))) {
        while (rs.next()) {
          columns.add(new String[] {rs.getString(1), rs.getString(2)});
        }
      }
      StringBuilder select = new StringBuilder();
      for (String[] col : columns) {
        String name = '"' + col[0] + '"';
        String type = col[1].toUpperCase(java.util.Locale.ROOT);
        String value = type.startsWith("TIMESTAMP") ? "CAST(" + name + " AS TIMESTAMP)" : name;
        select.append(select.length() == 0 ? "" : ", ").append(value).append(" AS ").append(name);
      }
      StringBuilder order = new StringBuilder();
      for (String col : w.orderColumns) {
        order.append('"').append(col).append("\" NULLS FIRST, ");
      }
      for (String[] col : columns) {
        order.append('"').append(col[0]).append("\" NULLS FIRST, ");
      }
      order.setLength(order.length() - 2);
      for (String[] side : new String[][] {{"a", reference.toString()}, {"b", actual.toString()}}) {
        s.execute(
            "CREATE TABLE "
                + side[0]
                + " AS SELECT row_number() OVER (ORDER BY "
                + order
                + ") AS rn, * FROM (SELECT "
                + select
                + " FROM "
                + files(Path.of(side[1]))
                + ")");
      }
      long expected = count(s, "SELECT count(*) FROM a");
      long got = count(s, "SELECT count(*) FROM b");
      if (expected != got) {
        return got + " rows instead of " + expected;
      }
      StringBuilder differ = new StringBuilder();
      for (String[] col : columns) {
        String a = "a.\"" + col[0] + '"';
        String b = "b.\"" + col[0] + '"';
        String same =
            col[1].equalsIgnoreCase("DOUBLE") || col[1].equalsIgnoreCase("FLOAT")
                ? "("
                    + a
                    + " IS NOT DISTINCT FROM "
                    + b
                    + " OR abs("
                    + a
                    + " - "
                    + b
                    + ") <= 1e-9 * greatest(abs("
                    + a
                    + "), abs("
                    + b
                    + ")))"
                : a + " IS NOT DISTINCT FROM " + b;
        differ.append(differ.length() == 0 ? "" : " OR ").append("NOT ").append(same);
      }
      long bad = count(s, "SELECT count(*) FROM a JOIN b USING (rn) WHERE " + differ);
      return bad == 0 ? "" : bad + " of " + expected + " rows differ";
    }
  }

  private static String files(Path dir) {
    return "read_parquet('" + dir.resolve("*.parquet") + "')";
  }

  private static long count(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
