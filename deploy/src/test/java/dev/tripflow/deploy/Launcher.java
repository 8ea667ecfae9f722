package dev.tripflow.deploy;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs {@code ./tripflow}, the launcher users run, as a process: the script, the bundled jar it
 * starts and the JVM flags it gives, in a working directory of the test's. The jar must be built
 * (the Maven build's package phase did); the script is told not to build it again.
 */
final class Launcher {
  private Launcher() {}

  /** The repository's root, where the launcher is. */
  static final Path ROOT =
      Path.of(System.getProperty("tripflow.root", "..")).toAbsolutePath().normalize();

  /** What a run printed and how it ended. */
  record Result(int code, String out, String err) {
    /** Both streams, for failure messages. */
    String both() {
      return "exit " + code + "\n--- stdout\n" + out + "--- stderr\n" + err;
    }

    /** Asserts exit 0 and no error or stack trace anywhere in the output. */
    Result ok() {
      assertEquals(both(), 0, code);
      assertClean(this);
      return this;
    }

    /**
     * Asserts the exit code and an error of exactly one line (besides the runner's timestamped
     * progress log and the web UI's address of a job that began), and returns that line.
     */
    String fails(int expected) {
      assertEquals(both(), expected, code);
      List<String> lines =
          err.strip()
              .lines()
              .filter(l -> !l.matches("^\\d\\d:\\d\\d:\\d\\d (INFO|WARN) .*"))
              .filter(l -> !l.startsWith("tripflow: UI at http://127.0.0.1:"))
              .toList();
      assertEquals("one line: " + both(), 1, lines.size());
      return lines.get(0);
    }
  }

  /** A successful run prints no ERROR line and no stack trace. */
  static void assertClean(Result r) {
    for (String line : (r.out() + r.err()).lines().toList()) {
      assertTrue("an ERROR in a successful run: " + r.both(), !line.contains(" ERROR "));
      assertTrue(
          "a stack trace in a successful run: " + r.both(),
          !line.startsWith("\tat ") && !line.contains("Exception:"));
    }
  }

  /** Runs {@code ./tripflow args} in {@code dir}, waiting up to 10 minutes. */
  static Result run(Path dir, String... args) throws Exception {
    return run(dir, Map.of(), args);
  }

  /** Runs {@code ./tripflow args} in {@code dir} with extra environment variables. */
  static Result run(Path dir, Map<String, String> env, String... args) throws Exception {
    Path out = Files.createTempFile("tripflow-out", ".txt");
    Path err = Files.createTempFile("tripflow-err", ".txt");
    try {
      Process p =
          builder(dir, env, args).redirectOutput(out.toFile()).redirectError(err.toFile()).start();
      if (!p.waitFor(10, TimeUnit.MINUTES)) {
        p.destroyForcibly();
        throw new AssertionError("./tripflow " + String.join(" ", args) + " did not end");
      }
      return new Result(
          p.exitValue(),
          Files.readString(out, StandardCharsets.UTF_8),
          Files.readString(err, StandardCharsets.UTF_8));
    } finally {
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** A process of {@code ./tripflow args}, not started. */
  static ProcessBuilder builder(Path dir, Map<String, String> env, String... args)
      throws IOException {
    List<String> command = new ArrayList<>();
    command.add(ROOT.resolve("tripflow").toString());
    command.addAll(List.of(args));
    ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile());
    pb.environment().put("TRIPFLOW_NO_BUILD", "1");
    pb.environment().putAll(env);
    return pb;
  }
}
