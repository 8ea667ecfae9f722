package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.AfterClass;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * {@code tripflow sql} without {@code --output} prints its result like Spark's {@code show()} (or
 * as CSV or JSON lines) and writes nothing; every printed row is checked against DuckDB running the
 * same query over the same files (TLC-shaped Parquet written by DuckDB, with null zones, null
 * timestamps and null amounts).
 */
public class SqlShowTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static DuckDbOracle duck;
  private static Path foreign;

  @BeforeClass
  public static void writeTrips() throws Exception {
    duck = new DuckDbOracle();
    foreign = TMP.newFolder("foreign").toPath();
    ForeignTlcFiles.write(duck, foreign, 30 * 86_400L);
    duck.execute(
        "CREATE VIEW green AS SELECT * FROM read_parquet('" + foreign + "/green.parquet')");
    duck.execute(
        "CREATE VIEW yellow AS SELECT * FROM read_parquet('" + foreign + "/yellow.parquet')");
  }

  @AfterClass
  public static void closeDuck() throws Exception {
    duck.close();
  }

  /** Runs {@code tripflow sql} over the green and yellow files; returns what it printed. */
  private static String sql(String query, String... more) throws Exception {
    List<String> args = new ArrayList<>();
    args.add("sql");
    args.add("--table=green=" + foreign + "/green.parquet");
    args.add("--table=yellow=" + foreign + "/yellow.parquet");
    args.add("--query=" + query);
    args.addAll(List.of(more));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        PipelineCommands.run(
            args.toArray(new String[0]),
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(err.toString(StandardCharsets.UTF_8), 0, code);
    try (Stream<Path> files = Files.list(TMP.getRoot().toPath())) {
      assertEquals("nothing written", List.of(foreign), files.toList());
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  /** The rows of a {@code show()}-style table, each cell read back as a number, text or null. */
  private static List<List<Object>> tableRows(String printed, List<String> header) {
    List<String> lines = printed.lines().toList();
    assertTrue(printed, lines.get(0).matches("\\+(-+\\+)+"));
    assertEquals(printed, header, cells(lines.get(1)));
    assertEquals(printed, lines.get(0), lines.get(2));
    List<List<Object>> rows = new ArrayList<>();
    for (String line : lines.subList(3, lines.size())) {
      if (line.equals(lines.get(0))) {
        break;
      }
      List<Object> row = new ArrayList<>();
      for (String cell : cells(line)) {
        row.add(value(cell));
      }
      rows.add(row);
    }
    return rows;
  }

  private static List<String> cells(String line) {
    assertTrue(line, line.startsWith("|") && line.endsWith("|"));
    List<String> cells = new ArrayList<>();
    for (String c : line.substring(1, line.length() - 1).split("\\|", -1)) {
      cells.add(c.strip());
    }
    return cells;
  }

  private static Object value(String cell) {
    if (cell.equals("null")) {
      return null;
    }
    try {
      return Long.parseLong(cell);
    } catch (NumberFormatException e) {
      // not a whole number
    }
    try {
      return Double.parseDouble(cell);
    } catch (NumberFormatException e) {
      return cell;
    }
  }

  /** Row i of each, compared as {@link DuckDbOracle#assertSameRows} compares rows. */
  private static void assertSameRowsInOrder(List<List<Object>> expected, List<List<Object>> got) {
    DuckDbOracle.assertSameRows(numbered(expected), numbered(got), 1);
  }

  private static List<List<Object>> numbered(List<List<Object>> rows) {
    List<List<Object>> out = new ArrayList<>();
    for (int i = 0; i < rows.size(); i++) {
      List<Object> row = new ArrayList<>();
      row.add((long) i);
      row.addAll(rows.get(i));
      out.add(row);
    }
    return out;
  }

  /**
   * An aggregate over null zones and tips, grouped by zone and vendor: every group, as DuckDB
   * computes it.
   */
  @Test
  public void aggregateWithNullsAsTable() throws Exception {
    String query =
        "SELECT PULocationID, VendorID, COUNT(*) AS trips, SUM(tip_amount) AS tips,"
            + " AVG(trip_distance) AS distance FROM green GROUP BY PULocationID, VendorID";
    String printed = sql(query, "--limit=1000");
    List<List<Object>> expected = duck.query(query);
    assertTrue(expected.size() > 60);
    assertTrue(expected.stream().anyMatch(r -> r.get(0) == null));
    assertTrue(printed, !printed.contains("only showing"));
    DuckDbOracle.assertSameRows(
        expected,
        tableRows(printed, List.of("PULocationID", "VendorID", "trips", "tips", "distance")),
        2);
  }

  /**
   * {@code ORDER BY ... LIMIT} keeps its order, and {@code --limit} below the result's size shows
   * the first rows and says so, as {@code show(5)} does.
   */
  @Test
  public void orderedResultKeepsItsOrderAndSaysWhenCut() throws Exception {
    String query =
        "SELECT PULocationID, COUNT(*) AS trips, SUM(total_amount) AS total FROM yellow"
            + " WHERE PULocationID IS NOT NULL GROUP BY PULocationID ORDER BY total DESC LIMIT 10";
    String printed = sql(query, "--limit=5");
    List<List<Object>> expected = duck.query(query).subList(0, 5);
    assertSameRowsInOrder(expected, tableRows(printed, List.of("PULocationID", "trips", "total")));
    assertTrue(printed, printed.strip().endsWith("\nonly showing top 5 rows"));
  }

  /**
   * {@code --format=csv}: a header and every row, timestamps as wall-clock text, read by DuckDB.
   */
  @Test
  public void hourlyAggregateAsCsv() throws Exception {
    String query =
        "SELECT date_trunc('hour', lpep_pickup_datetime) AS hour, COUNT(*) AS n,"
            + " SUM(fare_amount) AS fares FROM green GROUP BY 1";
    String printed = sql(query, "--format=csv", "--limit=100000");
    assertTrue(printed, printed.startsWith("hour,n,fares\n"));
    Path csv = Files.createTempFile("tripflow-sql-show", ".csv");
    try {
      Files.writeString(csv, printed);
      List<List<Object>> expected =
          duck.query("SELECT CAST(hour AS VARCHAR), n, fares FROM (" + query + ")");
      assertTrue(expected.size() > 300);
      assertTrue(expected.stream().anyMatch(r -> r.get(0) == null));
      DuckDbOracle.assertSameRows(
          expected,
          duck.query(
              "SELECT CAST(hour AS VARCHAR), n, fares FROM read_csv('"
                  + csv
                  + "', header=true, columns={'hour': 'TIMESTAMP', 'n': 'BIGINT', 'fares':"
                  + " 'DOUBLE'})"),
          1);
    } finally {
      Files.delete(csv);
    }
  }

  /**
   * {@code --format=json} with {@code --limit} and no order: as many rows as asked, each one of
   * DuckDB's rows (nulls as JSON nulls), none twice more often than DuckDB has it.
   */
  @Test
  public void projectedRowsAsJsonLines() throws Exception {
    String query =
        "SELECT VendorID, PULocationID, passenger_count, tip_amount, store_and_fwd_flag"
            + " FROM yellow WHERE trip_distance < 5";
    String printed = sql(query, "--format=json", "--limit=50");
    Map<List<Object>, Integer> oracle = new HashMap<>();
    for (List<Object> row : duck.query(query)) {
      oracle.merge(row, 1, Integer::sum);
    }
    ObjectMapper json = new ObjectMapper();
    List<String> lines = printed.lines().toList();
    assertEquals(printed, 50, lines.size());
    boolean sawNull = false;
    for (String line : lines) {
      JsonNode o = json.readTree(line);
      List<String> names = new ArrayList<>();
      o.fieldNames().forEachRemaining(names::add);
      assertEquals(
          List.of(
              "VendorID", "PULocationID", "passenger_count", "tip_amount", "store_and_fwd_flag"),
          names);
      List<Object> row = new ArrayList<>();
      for (Iterator<JsonNode> it = o.elements(); it.hasNext(); ) {
        JsonNode v = it.next();
        sawNull |= v.isNull();
        row.add(
            v.isNull()
                ? null
                : v.isIntegralNumber()
                    ? (Object) v.asLong()
                    : v.isNumber() ? v.asDouble() : v.asText());
      }
      Integer left = oracle.get(row);
      assertTrue("not one of DuckDB's rows (or once too often): " + line, left != null && left > 0);
      oracle.put(row, left - 1);
    }
    assertTrue("the sample holds null amounts", sawNull);
  }

  /** An empty result is the header alone, as {@code show()} prints it. */
  @Test
  public void emptyResultIsTheHeader() throws Exception {
    String query = "SELECT PULocationID, total_amount FROM green WHERE total_amount > 1000";
    assertEquals(0, duck.query(query).size());
    String printed = sql(query);
    assertEquals(List.of(), tableRows(printed, List.of("PULocationID", "total_amount")));
    assertEquals(printed, 4, printed.lines().count());
  }

  /**
   * {@code --explain} prints the PartitionedRunner's plan of the query instead of its rows, like
   * Spark SQL's {@code EXPLAIN}, and runs nothing.
   */
  @Test
  public void explainPrintsThePlanInsteadOfTheRows() throws Exception {
    String printed =
        sql("SELECT PULocationID, COUNT(*) AS n FROM green GROUP BY PULocationID", "--explain");
    assertTrue(printed, printed.startsWith("== Physical Plan ==\nPartitionedRunner plan: "));
    assertTrue(printed, printed.contains("Query/Sql/BeamAggregationRel"));
    assertTrue(printed, printed.contains("ShowResult/"));
    assertTrue(printed, !printed.contains("+---"));
  }

  /** The options of one mode given to the other are refused in one line, before any work. */
  @Test
  public void optionsOfTheOtherModeAreRefused() {
    String table = "--table=green=" + foreign + "/green.parquet";
    String query = "--query=SELECT PULocationID FROM green";
    assertEquals(
        "tripflow sql: --shards needs --output (without it the rows are printed)\n",
        Cli.fails(2, "sql", table, query, "--shards=2"));
    assertEquals(
        "tripflow sql: --format is for printed rows: drop --output\n",
        Cli.fails(
            2,
            "sql",
            table,
            query,
            "--format=csv",
            "--output=" + TMP.getRoot().toPath().resolve("o")));
  }
}
