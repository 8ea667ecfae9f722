package dev.tripflow.transforms;

import java.util.Locale;

/**
 * The course's user-defined functions as plain static methods, usable in {@link WithColumn} and
 * registrable in Beam SQL.
 */
public final class Udfs {
  private Udfs() {}

  /**
   * The course's {@code crazy_stuff(base_num)}: the number after the first character, in hex with
   * at least three digits, prefixed {@code s/} when divisible by 7, {@code a/} when divisible by 3,
   * else {@code e/}. {@code B02884} gives {@code s/b44}. Null, too short or non-numeric input gives
   * null rather than failing the job.
   */
  public static String crazyStuff(String baseNum) {
    if (baseNum == null || baseNum.length() < 2) {
      return null;
    }
    long num;
    try {
      num = Long.parseLong(baseNum.substring(1));
    } catch (NumberFormatException e) {
      return null;
    }
    String hex = String.format(Locale.ROOT, "%03x", num);
    if (num % 7 == 0) {
      return "s/" + hex;
    } else if (num % 3 == 0) {
      return "a/" + hex;
    }
    return "e/" + hex;
  }
}
