package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.Assume;
import org.junit.BeforeClass;
import org.junit.ClassRule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * What a run prints while it runs: one line rewritten in place on a terminal, naming stages by the
 * names the pipeline gave them; nothing but the summary off a terminal; each stage's detail with
 * {@code --verbose}; and an embedded Flink run without the warnings known to be harmless.
 */
public class ProgressLineTest {
  @ClassRule public static final TemporaryFolder TMP = new TemporaryFolder();

  private static Path data;

  @BeforeClass
  public static void generate() throws Exception {
    data = TMP.newFolder("data").toPath();
    Cli.ok("generate", "--output=" + data, "--rows=2000", "--services=green,yellow");
  }

  /** What one command line printed: the command's output and the process's standard error. */
  private record Printed(String out, String err) {}

  /** Runs revenue-report in this JVM, standard error captured (where the runners print). */
  private static Printed revenueReport(String name, String... more) throws Exception {
    List<String> args = new ArrayList<>();
    args.add("revenue-report");
    args.add("--inputGreen=" + data + "/pq/green/*/*/*.parquet");
    args.add("--inputYellow=" + data + "/pq/yellow/*/*/*.parquet");
    args.add("--output=" + TMP.getRoot().toPath().resolve(name));
    args.addAll(List.of(more));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    PrintStream original = System.err;
    PrintStream captured = new PrintStream(err, true, StandardCharsets.UTF_8);
    System.setErr(captured);
    int code;
    try {
      code =
          PipelineCommands.run(
              args.toArray(new String[0]),
              new PrintStream(out, true, StandardCharsets.UTF_8),
              captured);
    } finally {
      System.setErr(original);
    }
    Printed printed =
        new Printed(out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    assertEquals(printed.err(), 0, code);
    assertTrue(printed.out(), printed.out().startsWith("revenue-report finished in "));
    return printed;
  }

  private static final Pattern LIVE =
      Pattern.compile("stage (\\d+)/(\\d+) ([A-Za-z0-9_]+): (\\d+)/(\\d+) tasks, [0-9.]+ s *");

  /**
   * On a terminal: one line, redrawn with carriage returns and ended by one newline; every state of
   * it names a stage n/N by a name the pipeline gave (not Beam's step paths), with its tasks done.
   */
  @Test
  public void terminalGetsOneLineWithTheStepsOwnNames() throws Exception {
    System.setProperty("tripflow.progress", "true");
    Printed p;
    try {
      p = revenueReport("live");
    } finally {
      System.clearProperty("tripflow.progress");
    }
    String err = p.err();
    assertEquals(err, 1, err.chars().filter(c -> c == '\n').count());
    assertTrue(err, err.endsWith("\n"));
    String[] states = err.strip().split("\r");
    Set<String> names = new LinkedHashSet<>();
    int stages = -1;
    for (String state : states) {
      if (state.isBlank()) {
        continue;
      }
      Matcher m = LIVE.matcher(state);
      if (!m.matches()) {
        assertTrue(state, state.matches("(\\d+)/\\1 stages done, [0-9.]+ s *"));
        continue;
      }
      stages = Integer.parseInt(m.group(2));
      assertTrue(state, Integer.parseInt(m.group(1)) <= stages);
      assertTrue(state, Integer.parseInt(m.group(4)) <= Integer.parseInt(m.group(5)));
      names.add(m.group(3));
    }
    assertTrue(err, states[states.length - 1].matches(stages + "/" + stages + " stages done.*"));
    // The revenue report's own steps (RevenueReport and its transforms), in the order they run.
    assertEquals(
        err,
        List.of("ReadGreen", "ReadYellow", "MonthlyZoneRevenue", "WriteReport"),
        names.stream().filter(n -> !n.equals("CollectStagedOutputs")).toList());
    assertFalse(err, err.contains("fused") || err.contains("ParMultiDo") || err.contains("INFO"));
  }

  /** Off a terminal (a pipe, CI): no line per stage, only the summary on standard output. */
  @Test
  public void offTerminalOnlyTheSummary() throws Exception {
    Assume.assumeTrue("standard error is not a terminal here", System.console() == null);
    Printed p = revenueReport("quiet");
    assertEquals(p.err(), "", p.err());
    assertEquals(p.out(), 4, p.out().lines().count());
  }

  /**
   * {@code --verbose}: one log line per finished stage with Beam's step path, elements in and out
   * and CPU time, for every stage in order, then the run's CPU line.
   */
  @Test
  public void verboseLogsEachStagesDetail() throws Exception {
    Printed p = revenueReport("verbose", "--verbose");
    List<String> lines = p.err().lines().filter(l -> l.contains(" stage ")).toList();
    assertTrue(p.err(), lines.size() >= 5);
    Pattern detail =
        Pattern.compile(
            ".* INFO PartitionedRunner - stage (\\d+)/(\\d+) \\S+/.*: done (\\d+)/\\3 partitions,"
                + " [0-9,]+ in, [0-9,]+ out, [0-9.]+ s, CPU [0-9.]+ s");
    for (int i = 0; i < lines.size(); i++) {
      Matcher m = detail.matcher(lines.get(i));
      assertTrue(lines.get(i), m.matches());
      assertEquals(lines.get(i), i + 1, Integer.parseInt(m.group(1)));
      assertEquals(lines.get(i), lines.size(), Integer.parseInt(m.group(2)));
    }
    assertTrue(
        p.err(),
        p.err().contains("MonthlyZoneRevenue/")
            && p.err().contains(" stages in ")
            && p.err().contains("the tasks used"));
  }

  /**
   * An embedded Flink run prints none of the warnings known to be harmless (about 160 lines before
   * they were filtered: metric names cut to 80 characters, no Hadoop configuration, ...).
   */
  @Test
  public void embeddedFlinkPrintsNoHarmlessWarnings() throws Exception {
    Printed p = revenueReport("flink", "--runner=FlinkRunner", "--parallelism=2");
    List<String> warnings = p.err().lines().filter(l -> l.contains(" WARN ")).toList();
    for (String harmless :
        List.of(
            "exceeded the 80 characters length limit",
            "Could not find Hadoop configuration",
            "Unable to load native-hadoop library",
            "No tokens obtained",
            "Tokens update task not started",
            "Log file environment variable",
            "JobManager log files are unavailable",
            "Could not addJvmShutdownHook")) {
      assertTrue(
          harmless + ": " + warnings, warnings.stream().noneMatch(w -> w.contains(harmless)));
    }
    assertEquals(String.join("\n", warnings), 0, warnings.size());
  }
}
