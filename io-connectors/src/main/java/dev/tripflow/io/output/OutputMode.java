package dev.tripflow.io.output;

import java.util.Locale;

/**
 * What a run does with an output that already exists, as Spark's save modes, but safe by default:
 * {@code overwrite} replaces only an empty directory or one that tripflow committed.
 */
public enum OutputMode {
  /** Replace an empty output or tripflow's own; refuse anything else. */
  OVERWRITE("overwrite"),
  /** Refuse to run when an output exists. */
  ERROR_IF_EXISTS("errorIfExists"),
  /** Write nothing, successfully, when an output exists. */
  IGNORE("ignore");

  private final String word;

  OutputMode(String word) {
    this.word = word;
  }

  /** The word users write: {@code overwrite}, {@code errorIfExists} or {@code ignore}. */
  public String word() {
    return word;
  }

  /** Parses the user's word, in any case. */
  public static OutputMode parse(String word) {
    for (OutputMode m : values()) {
      if (m.word.toLowerCase(Locale.ROOT).equals(word.toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new IllegalArgumentException(
        "--mode=" + word + ": expected overwrite, errorIfExists or ignore");
  }
}
