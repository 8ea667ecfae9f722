package dev.tripflow.transforms;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/** Compares collections of rows by key columns, doubles with a relative tolerance of 1e-9. */
final class RowsAssert {
  private RowsAssert() {}

  static void assertSameRows(Iterable<Row> actual, List<Row> expected, String... keyColumns) {
    Map<List<Object>, Row> byKey = new HashMap<>();
    int n = 0;
    for (Row row : actual) {
      n++;
      Row previous = byKey.put(key(row, keyColumns), row);
      assertTrue("duplicate key " + key(row, keyColumns), previous == null);
    }
    assertEquals("row count", expected.size(), n);
    for (Row want : expected) {
      Row got = byKey.get(key(want, keyColumns));
      if (got == null) {
        fail("missing row with key " + key(want, keyColumns) + "; got keys " + byKey.keySet());
      }
      Schema schema = want.getSchema();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        String name = schema.getField(i).getName();
        Object w = want.getValue(i);
        Object g = got.getValue(name);
        if (w instanceof Double && g instanceof Double) {
          double a = (Double) w;
          double b = (Double) g;
          double tolerance = 1e-9 * Math.max(Math.abs(a), Math.abs(b));
          assertTrue(
              name + " of " + key(want, keyColumns) + ": expected " + a + " got " + b,
              Math.abs(a - b) <= tolerance);
        } else {
          assertTrue(
              name + " of " + key(want, keyColumns) + ": expected " + w + " got " + g,
              Objects.equals(w, g));
        }
      }
    }
  }

  private static List<Object> key(Row row, String... keyColumns) {
    List<Object> key = new ArrayList<>();
    for (String c : keyColumns) {
      key.add(row.getValue(c));
    }
    return key;
  }
}
