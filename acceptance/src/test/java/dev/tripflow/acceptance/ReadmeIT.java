package dev.tripflow.acceptance;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The README as a test: every shell block, in order, run by bash as a user would paste it, from a
 * directory that looks like the repository's root (its {@code ./tripflow}, poms and module
 * directories) but keeps the data the blocks write apart. Each block must exit 0; every count any
 * command's summary prints is checked against DuckDB's count of the files it names (the inputs it
 * read, the outputs it committed); a block said to print the block after it must print it. Blocks
 * that only make sense against Google Cloud run against the loopback servers the README itself
 * starts, with their endpoints added; the few that cannot run here say why in their directive.
 */
public class ReadmeIT {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static final Path ROOT =
      Path.of(System.getProperty("tripflow.root", "..")).toAbsolutePath().normalize();

  private final List<Process> background = new ArrayList<>();
  private final List<String> cleanups = new ArrayList<>();
  private Path work;

  /** A directory like the repository's root: the launcher, the poms and modules, no data. */
  private Path workDirectory() throws IOException {
    Path dir = tmp.newFolder("readme").toPath();
    Path launcher = dir.resolve("tripflow");
    Files.writeString(launcher, "#!/bin/sh\nexec '" + ROOT.resolve("tripflow") + "' \"$@\"\n");
    Files.setPosixFilePermissions(launcher, PosixFilePermissions.fromString("rwxr-xr-x"));
    try (Stream<Path> entries = Files.list(ROOT)) {
      for (Path e : entries.toList()) {
        String name = e.getFileName().toString();
        boolean module = Files.isRegularFile(e.resolve("pom.xml"));
        if (module || name.equals("pom.xml")) {
          Files.createSymbolicLink(dir.resolve(name), e);
        }
      }
    }
    return dir;
  }

  private record Output(int code, String text) {}

  private Output bash(String script, long minutes) throws Exception {
    Path log = Files.createTempFile(tmp.getRoot().toPath(), "block", ".log");
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-e", "-o", "pipefail", "-c", script)
            .directory(work.toFile())
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("TRIPFLOW_NO_BUILD", "1");
    Process p = pb.start();
    if (!p.waitFor(minutes, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail("timed out after " + minutes + " min:\n" + Files.readString(log));
    }
    return new Output(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
  }

  /** Starts a server block; returns the options on the first line holding {@code until}. */
  private Map<String, String> startBackground(String script, String until) throws Exception {
    ProcessBuilder pb =
        new ProcessBuilder("bash", "-e", "-c", script)
            .directory(work.toFile())
            .redirectErrorStream(true);
    pb.environment().put("TRIPFLOW_NO_BUILD", "1");
    Process p = pb.start();
    background.add(p);
    BufferedReader reader =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
    CompletableFuture<String> line =
        CompletableFuture.supplyAsync(
            () -> {
              StringBuilder seen = new StringBuilder();
              try {
                for (String l; (l = reader.readLine()) != null; ) {
                  if (l.contains(until)) {
                    return l;
                  }
                  seen.append(l).append('\n');
                }
              } catch (IOException e) {
                throw new IllegalStateException(e);
              }
              throw new IllegalStateException("the server block ended without printing: " + seen);
            });
    String printed = line.get(10, TimeUnit.MINUTES);
    // Keep reading, so that the server never blocks on a full pipe.
    CompletableFuture.runAsync(
        () -> {
          try {
            while (reader.readLine() != null) {
              // discard
            }
          } catch (IOException e) {
            // the server was stopped
          }
        });
    Map<String, String> options = new LinkedHashMap<>();
    Matcher m = Pattern.compile("--([A-Za-z]+)=(\\S+)").matcher(printed);
    while (m.find()) {
      options.put(m.group(1), m.group(2));
    }
    return options;
  }

  @Test
  public void everyShellBlockRunsAsWritten() throws Exception {
    List<ReadmeBlocks.Block> blocks = new ArrayList<>();
    List<String> pageOf = new ArrayList<>();
    for (String page : pages()) {
      for (ReadmeBlocks.Block b : ReadmeBlocks.read(ROOT.resolve(page))) {
        blocks.add(b);
        pageOf.add(page);
      }
    }
    work = workDirectory();
    Map<String, String> cloud = new LinkedHashMap<>();
    int ran = 0;
    int substituted = 0;
    List<String> skipped = new ArrayList<>();
    int counts = 0;
    try (Connection duck = DriverManager.getConnection("jdbc:duckdb:")) {
      for (int i = 0; i < blocks.size(); i++) {
        ReadmeBlocks.Block b = blocks.get(i);
        String where = pageOf.get(i) + " block " + b.number() + " (line " + b.line() + ")";
        if (b.skip() != null) {
          skipped.add(pageOf.get(i) + " " + b.number() + " (" + b.skip() + ")");
          continue;
        }
        cleanups.addAll(b.cleanups());
        if (b.cloud() && cloud.isEmpty()) {
          fail(where + " needs the loopback servers, which no block before it started");
        }
        String script = ReadmeBlocks.script(b, cloud);
        ran++;
        substituted += b.substituted() ? 1 : 0;
        if (b.backgroundUntil() != null) {
          cloud.putAll(startBackground(script, b.backgroundUntil()));
          assertTrue(
              where + " printed " + cloud,
              cloud.keySet().containsAll(List.of("serviceAccountKey", "gcsEndpoint")));
          continue;
        }
        long started = System.nanoTime();
        Output out = bash(script, 20);
        System.out.printf(
            "%s: exit %d in %.1f s%n", where, out.code(), (System.nanoTime() - started) / 1e9);
        assertEquals(where + "\n" + script + "\n" + out.text(), 0, out.code());
        counts += checkSummaries(duck, where, out.text());
        if (b.expectedOutput() != null) {
          assertEquals(where, normalise(b.expectedOutput()), normalise(commandLines(out.text())));
        }
      }
    } finally {
      for (String c : cleanups) {
        Output out = bash(c, 5);
        System.out.println("cleanup " + c + ": exit " + out.code());
      }
      for (Process p : background) {
        p.descendants().forEach(ProcessHandle::destroy);
        p.destroy();
      }
    }
    System.out.printf(
        "README: %d shell blocks; %d run (%d of them with smaller data or the loopback cloud);"
            + " %d skipped: %s; %d summary counts checked against DuckDB%n",
        blocks.size(), ran, substituted, skipped.size(), skipped, counts);
    assertTrue("the README's summaries were checked", counts >= 20);
  }

  /**
   * The README, then the guide pages in the order its table of guides links them; every page of
   * {@code docs/} must be one of them but the benchmarks, whose commands take the real volume.
   */
  static List<String> pages() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    List<String> pages = new ArrayList<>(List.of("README.md"));
    Matcher m = Pattern.compile("\\]\\((docs/[a-z-]+\\.md)\\)").matcher(readme);
    while (m.find()) {
      if (!pages.contains(m.group(1)) && !m.group(1).equals("docs/benchmarks.md")) {
        pages.add(m.group(1));
      }
    }
    try (Stream<Path> docs = Files.list(ROOT.resolve("docs"))) {
      for (Path p : docs.filter(p -> p.toString().endsWith(".md")).toList()) {
        String page = "docs/" + p.getFileName();
        assertTrue(
            page + " is not linked from the README's guides, so its blocks would not run",
            pages.contains(page) || page.equals("docs/benchmarks.md"));
      }
    }
    return pages;
  }

  /** The lines of a dry run's output (gcloud commands), without the launcher's own. */
  private static String commandLines(String output) {
    StringBuilder sb = new StringBuilder();
    for (String l : output.lines().toList()) {
      if (l.startsWith("gcloud ")) {
        sb.append(l).append('\n');
      }
    }
    return sb.toString();
  }

  /** The README's placeholders for this machine's path and the jar's hash. */
  private static String normalise(String text) {
    return text.replace(ROOT.toString(), "/path/to/tripflow")
        .replaceAll("tripflow-[0-9a-f]{16}\\.jar", "tripflow-HASH.jar");
  }

  private static final Pattern SUMMARY_LINE =
      Pattern.compile("^  (rows read|rows written|bad rows|unmatched)\\s+([0-9,]+)\\s+(.*)$");

  /**
   * Checks every count line of every summary in a block's output against DuckDB's count of the
   * files it names; returns how many were checked.
   */
  private static int checkSummaries(Connection duck, String where, String output) throws Exception {
    int checked = 0;
    for (String line : output.lines().toList()) {
      Matcher m = SUMMARY_LINE.matcher(line);
      if (!m.matches()) {
        continue;
      }
      long count = Long.parseLong(m.group(2).replace(",", ""));
      String path = null;
      for (String token : m.group(3).split("\\s+")) {
        if (token.startsWith("/")) {
          path = token;
          break;
        }
      }
      if (path == null || path.contains("{")) {
        // a gs:// path (the loopback server's, which the GCS tests check), or a period's
        // template (its files are the period's)
        continue;
      }
      String sql = countSql(m.group(1), path);
      long expected;
      try (Statement s = duck.createStatement();
          ResultSet rs = s.executeQuery(sql)) {
        rs.next();
        expected = rs.getLong(1);
      }
      assertEquals(where + ": " + line + " (DuckDB: " + sql + ")", expected, count);
      checked++;
    }
    return checked;
  }

  private static String countSql(String label, String path) throws IOException {
    boolean read = label.equals("rows read");
    boolean csv =
        path.endsWith(".csv")
            || path.endsWith(".csv.gz")
            || (!read && Files.isDirectory(Path.of(path)) && hasCsv(Path.of(path)));
    String files = read ? path : path + (csv ? "/*.csv" : "/*.parquet");
    return csv
        ? "SELECT count(*) FROM read_csv('"
            + files
            + "', header=true, all_varchar=true, null_padding=true)"
        : "SELECT count(*) FROM read_parquet('" + files + "')";
  }

  private static boolean hasCsv(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.anyMatch(p -> p.toString().endsWith(".csv"));
    }
  }
}
