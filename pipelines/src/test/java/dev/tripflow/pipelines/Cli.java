package dev.tripflow.pipelines;

import static org.junit.Assert.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** Runs a tripflow command line in-process for tests. */
final class Cli {
  private Cli() {}

  /** Runs {@code args} and asserts exit code 0, showing the command's error output otherwise. */
  static void ok(String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code =
        PipelineCommands.run(
            args,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    assertEquals(String.join(" ", args) + ": " + err.toString(StandardCharsets.UTF_8), 0, code);
  }

  /**
   * Runs {@code args}, asserts exit code {@code code} and an error of exactly one line, and returns
   * that line.
   */
  static String fails(int code, String... args) {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int got =
        PipelineCommands.run(
            args,
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8));
    String e = err.toString(StandardCharsets.UTF_8);
    assertEquals(e, code, got);
    assertEquals("one line: " + e, 1, e.strip().lines().count());
    return e;
  }
}
