package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tripflow.testing.LoopbackBigQuery;
import dev.tripflow.testing.LoopbackGcs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A job's Parquet output read back through DuckDB, sorted, with timestamps as text (no JVM time
 * zone involved), and the comparison of two such outputs: doubles to a relative 1e-12 (sums add in
 * partition order), everything else exactly. Outputs on the loopback GCS and tables of the loopback
 * BigQuery are read the same way.
 */
public final class OutputRows {
  private static final ObjectMapper JSON = new ObjectMapper();

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

  /** The Parquet files of a {@code gs://bucket/prefix} output on the loopback GCS. */
  public static List<List<Object>> ofGcs(
      LoopbackGcs gcs, String bucket, String prefix, Path scratch) throws Exception {
    Files.createDirectories(scratch);
    int i = 0;
    for (byte[] file : gcs.readMatching(bucket, prefix + "/*.parquet")) {
      Files.write(scratch.resolve("part-" + i++ + ".parquet"), file);
    }
    assertTrue("no Parquet files under gs://" + bucket + "/" + prefix, i > 0);
    return of(scratch);
  }

  /**
   * A loopback BigQuery table's rows, converted to Parquet by DuckDB with the table's own column
   * types (DATETIME as a timestamp without zone), then read as {@link #of}.
   */
  public static List<List<Object>> ofBigQuery(
      LoopbackBigQuery bq, String project, String dataset, String table, Path scratch)
      throws Exception {
    JsonNode resource = bq.table(project, dataset, table);
    assertTrue("no table " + project + ":" + dataset + "." + table, resource != null);
    List<String> columns = new ArrayList<>();
    for (JsonNode f : resource.path("schema").path("fields")) {
      String type =
          switch (f.path("type").asText()) {
            case "INTEGER" -> "BIGINT";
            case "FLOAT" -> "DOUBLE";
            case "DATETIME" -> "TIMESTAMP";
            case "BOOLEAN" -> "BOOLEAN";
            default -> "VARCHAR";
          };
      columns.add("'" + f.path("name").asText() + "': '" + type + "'");
    }
    Files.createDirectories(scratch);
    Path json = scratch.resolve(table + ".json");
    StringBuilder sb = new StringBuilder();
    for (ObjectNode row : bq.rows(project, dataset, table)) {
      sb.append(JSON.writeValueAsString(row)).append('\n');
    }
    Files.writeString(json, sb.toString());
    Path dir = Files.createDirectories(scratch.resolve(table + "-parquet"));
    try (DuckDbOracle duck = new DuckDbOracle()) {
      duck.execute(
          "COPY (SELECT * FROM read_json('"
              + json
              + "', format='newline_delimited', columns={"
              + String.join(", ", columns)
              + "})) TO '"
              + dir.resolve("part.parquet")
              + "' (FORMAT PARQUET)");
    }
    return of(dir);
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
