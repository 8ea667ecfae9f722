package dev.tripflow.acceptance;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The shell blocks of the README, in order, with the directives written just above each one as HTML
 * comments (invisible on the rendered page):
 *
 * <ul>
 *   <li>{@code <!-- readme-test: skip: REASON -->} the block is not run, for the reason given;
 *   <li>{@code <!-- readme-test: substitute FROM => TO -->} a smaller size for a test (repeatable);
 *   <li>{@code <!-- readme-test: background until TEXT -->} the block starts a server: it runs in
 *       the background until the test ends, and its output line holding TEXT gives the options of
 *       the cloud blocks;
 *   <li>{@code <!-- readme-test: cloud -->} each {@code ./tripflow} command of the block gets the
 *       background server's options it does not give itself (the loopback endpoints);
 *   <li>{@code <!-- readme-test: cleanup COMMAND -->} run when the test ends, whatever happened;
 *   <li>{@code <!-- readme-test: output matches the next block -->} the block's output must be the
 *       plain block after it, paths and hashes aside.
 * </ul>
 */
final class ReadmeBlocks {
  private ReadmeBlocks() {}

  /** One shell block. */
  record Block(
      int number,
      int line,
      String script,
      String skip,
      Map<String, String> substitutions,
      String backgroundUntil,
      boolean cloud,
      List<String> cleanups,
      String expectedOutput) {
    boolean substituted() {
      return !substitutions.isEmpty() || cloud;
    }
  }

  private static final Pattern DIRECTIVE = Pattern.compile("^<!-- readme-test: (.*) -->$");

  static List<Block> read(Path readme) throws IOException {
    List<String> lines = Files.readAllLines(readme, StandardCharsets.UTF_8);
    List<Block> blocks = new ArrayList<>();
    for (int i = 0; i < lines.size(); i++) {
      if (!lines.get(i).equals("```bash")) {
        continue;
      }
      int start = i;
      StringBuilder script = new StringBuilder();
      for (i++; !lines.get(i).equals("```"); i++) {
        script.append(lines.get(i)).append('\n');
      }
      String skip = null;
      Map<String, String> substitutions = new LinkedHashMap<>();
      String background = null;
      boolean cloud = false;
      List<String> cleanups = new ArrayList<>();
      boolean expectNext = false;
      for (int d = start - 1; d >= 0; d--) {
        Matcher m = DIRECTIVE.matcher(lines.get(d));
        if (!m.matches()) {
          break;
        }
        String text = m.group(1);
        if (text.startsWith("skip: ")) {
          skip = text.substring("skip: ".length());
        } else if (text.startsWith("substitute ")) {
          String[] fromTo = text.substring("substitute ".length()).split(" => ", 2);
          substitutions.put(fromTo[0], fromTo[1]);
        } else if (text.startsWith("background until ")) {
          background = text.substring("background until ".length());
        } else if (text.equals("cloud")) {
          cloud = true;
        } else if (text.startsWith("cleanup ")) {
          cleanups.add(text.substring("cleanup ".length()));
        } else if (text.equals("output matches the next block")) {
          expectNext = true;
        } else {
          throw new IllegalStateException(
              "README line " + (d + 1) + ": unknown readme-test directive: " + text);
        }
      }
      String expected = null;
      if (expectNext) {
        int j = i + 1;
        while (lines.get(j).isBlank()) {
          j++;
        }
        if (!lines.get(j).equals("```")) {
          throw new IllegalStateException(
              "README line " + (start + 1) + ": 'output matches the next block', but none follows");
        }
        StringBuilder out = new StringBuilder();
        for (j++; !lines.get(j).equals("```"); j++) {
          out.append(lines.get(j)).append('\n');
        }
        expected = out.toString();
      }
      Map<String, String> orderedSubstitutions = new LinkedHashMap<>();
      List<String> keys = new ArrayList<>(substitutions.keySet());
      for (int k = keys.size() - 1; k >= 0; k--) {
        orderedSubstitutions.put(keys.get(k), substitutions.get(keys.get(k)));
      }
      blocks.add(
          new Block(
              blocks.size() + 1,
              start + 1,
              script.toString(),
              skip,
              orderedSubstitutions,
              background,
              cloud,
              cleanups,
              expected));
    }
    return blocks;
  }

  /**
   * The script to run: the substitutions made (each must apply), and for a cloud block the given
   * options added to every {@code ./tripflow} command that does not give them itself.
   */
  static String script(Block b, Map<String, String> cloudOptions) {
    String s = b.script();
    for (Map.Entry<String, String> e : b.substitutions().entrySet()) {
      if (!s.contains(e.getKey())) {
        throw new IllegalStateException(
            "README block at line " + b.line() + ": nothing to substitute for " + e.getKey());
      }
      s = s.replace(e.getKey(), e.getValue());
    }
    if (!b.cloud()) {
      return s;
    }
    StringBuilder out = new StringBuilder();
    for (String command : s.replace("\\\n", " ").split("\n")) {
      String c = command.replaceFirst("\\s+#[^'\"]*$", "");
      if (c.startsWith("./tripflow ")) {
        for (Map.Entry<String, String> o : cloudOptions.entrySet()) {
          if (!c.contains("--" + o.getKey() + "=")) {
            c = c + " --" + o.getKey() + "=" + o.getValue();
          }
        }
      }
      out.append(c).append('\n');
    }
    return out.toString();
  }
}
