package dev.tripflow.deploy.submit;

import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/** Quoting for command lines printed for a POSIX shell (bash, zsh, sh). */
final class Shell {
  private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_@%+=:,./-]+");
  private static final Pattern OPTION = Pattern.compile("(--[A-Za-z0-9][A-Za-z0-9._-]*=)(.*)");

  private Shell() {}

  /**
   * One word as the shell must see it: unchanged when it has no character the shell treats
   * specially, otherwise in single quotes. Of {@code --name=value}, only the value is quoted
   * ({@code --inputGreen='gs://b/*.parquet'}).
   */
  static String quote(String word) {
    if (!word.isEmpty() && SAFE.matcher(word).matches()) {
      return word;
    }
    var option = OPTION.matcher(word);
    if (option.matches()) {
      return option.group(1) + quoteAll(option.group(2));
    }
    return quoteAll(word);
  }

  private static String quoteAll(String s) {
    if (!s.isEmpty() && SAFE.matcher(s).matches()) {
      return s;
    }
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** The words, each quoted as needed, separated by spaces. */
  static String line(List<String> words) {
    return words.stream().map(Shell::quote).collect(Collectors.joining(" "));
  }
}
