package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code tripflow sql} runs the course's hourly SQL verbatim and matches DuckDB running it. */
public class SqlCommandTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private int tripflow(ByteArrayOutputStream err, String... args) {
    return PipelineCommands.run(
        args,
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
  }

  /** The course's green hourly query over a foreign file equals DuckDB's answer. */
  @Test
  public void courseHourlySqlMatchesDuckDb() throws Exception {
    Path foreign = tmp.newFolder("foreign").toPath();
    Path out = tmp.getRoot().toPath().resolve("out");
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, foreign, 86_400L);
      String green = foreign + "/green.parquet";
      String sql = DuckDbOracle.courseSql("hourly_revenue_green.sql");
      ByteArrayOutputStream err = new ByteArrayOutputStream();
      int code =
          tripflow(err, "sql", "--table=green=" + green, "--query=" + sql, "--output=" + out);
      assertEquals(err.toString(StandardCharsets.UTF_8), 0, code);
      duck.execute("CREATE VIEW green AS SELECT * FROM read_parquet('" + green + "')");
      List<List<Object>> expected =
          duck.query(
              "SELECT CAST(hour AS VARCHAR), zone, amount, number_records FROM (" + sql + ")");
      assertTrue(expected.size() > 300);
      DuckDbOracle.assertSameRows(
          expected,
          duck.query(
              "SELECT CAST(hour AS VARCHAR), zone, amount, number_records FROM read_parquet('"
                  + out
                  + "/*.parquet')"),
          2);
    }
  }

  /** A query that does not compile is one line and exit code 2. */
  @Test
  public void badQueryIsAUsageError() throws Exception {
    Path foreign = tmp.newFolder("f").toPath();
    try (DuckDbOracle duck = new DuckDbOracle()) {
      ForeignTlcFiles.write(duck, foreign, 3600L);
    }
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        tripflow(
            err,
            "sql",
            "--table=green=" + foreign + "/green.parquet",
            "--query=SELECT nope FROM green",
            "--output=" + tmp.getRoot().toPath().resolve("o"));
    assertEquals(2, code);
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals(e, 1, e.strip().lines().count());
    assertTrue(e, e.startsWith("tripflow sql: the query does not compile"));
  }
}
