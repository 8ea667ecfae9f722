package dev.tripflow.deploy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** {@code tripflow history --list}: the runs of an event log directory, newest first. */
public class HistoryCommandTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static String log(String id, String command, long start, String status, long rows) {
    String plan = "{\"steps\":1,\"stages\":[],\"edges\":[]}";
    return String.join(
        "\n",
        "{\"event\":\"RunStart\",\"time\":"
            + start
            + ",\"id\":\""
            + id
            + "\",\"command\":\""
            + command
            + "\",\"partitions\":2,\"plan\":"
            + plan
            + ",\"options\":{}}",
        "{\"event\":\"Metrics\",\"time\":"
            + (start + 1500)
            + ",\"counters\":[{\"step\":\"Read\","
            + "\"namespace\":\"tripflow\",\"name\":\"rows_read_green\",\"value\":"
            + rows
            + "}],\"distributions\":[],\"gauges\":[]}",
        "{\"event\":\"RunEnd\",\"time\":" + (start + 1500) + ",\"status\":\"" + status + "\"}",
        "");
  }

  /** Each run's start (UTC), command, status, duration and rows read, the newest first. */
  @Test
  public void listsRunsNewestFirst() throws Exception {
    Path dir = tmp.newFolder("history").toPath();
    Files.writeString(
        dir.resolve("a.jsonl"),
        log("a", "tripflow revenue-report", 1_700_000_000_000L, "DONE", 100));
    Files.writeString(
        dir.resolve("b.jsonl"), log("b", "tripflow zone-revenue", 1_700_000_100_000L, "FAILED", 7));
    Files.writeString(dir.resolve("notes.txt"), "not a log");
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    int code =
        Tripflow.run(
            new String[] {"history", "--list", "--eventLogDir=" + dir},
            new PrintStream(out, true, StandardCharsets.UTF_8),
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));

    assertEquals(0, code);
    String[] lines = out.toString(StandardCharsets.UTF_8).split("\n");
    assertEquals("2 runs in " + dir, lines[0]);
    assertTrue(lines[1], lines[1].startsWith("started (UTC)"));
    assertTrue(
        lines[2],
        lines[2].matches("2023-11-14T22:15:00Z  tripflow zone-revenue +FAILED +1\\.5 s +7  b"));
    assertTrue(
        lines[3],
        lines[3].matches("2023-11-14T22:13:20Z  tripflow revenue-report +DONE +1\\.5 s +100  a"));
  }
}
