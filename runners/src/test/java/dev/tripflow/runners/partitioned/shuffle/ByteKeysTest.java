package dev.tripflow.runners.partitioned.shuffle;

import static org.junit.Assert.assertEquals;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import org.junit.Test;

public class ByteKeysTest {
  /**
   * Keys at different places of different arrays are found by their bytes: each record's first
   * record is the first with the same bytes (as a map of strings says), through a table grown to
   * its capacity and probed past collisions.
   */
  @Test
  public void findsEachKeysFirstRecordByItsBytes() {
    int n = 20_000;
    ByteKeys keys = new ByteKeys(n);
    Map<String, Integer> firsts = new HashMap<>();
    for (int record = 0; record < n; record++) {
      // Keys of up to 8 bytes are compared packed into a long, longer ones byte by byte.
      long k = record * 7919L % 3000;
      String key = k % 2 == 0 ? "k" + k : "a longer key, number " + k;
      byte[] padded = ("xx" + key + "yyy").getBytes(StandardCharsets.UTF_8);
      int from = 2;
      int to = padded.length - 3;
      int expected = firsts.containsKey(key) ? firsts.get(key) : -1;
      firsts.putIfAbsent(key, record);
      assertEquals(key, expected, keys.firstOf(record, padded, from, to));
    }
    assertEquals(3000, firsts.size());
  }

  /** An empty key is a key like any other, and a prefix of a key is a different key. */
  @Test
  public void emptyKeysAndPrefixesAreTheirOwnKeys() {
    ByteKeys keys = new ByteKeys(4);
    byte[] b = {1, 2, 3};
    assertEquals(-1, keys.firstOf(0, b, 0, 0));
    assertEquals(-1, keys.firstOf(1, b, 0, 2));
    assertEquals(-1, keys.firstOf(2, b, 0, 3));
    assertEquals(0, keys.firstOf(3, b, 1, 1));
    assertEquals(1, keys.firstOf(4, new byte[] {1, 2}, 0, 2));
    // Zero bytes count: {0} and {0, 0} are neither the empty key nor each other.
    assertEquals(-1, keys.firstOf(5, new byte[] {0}, 0, 1));
    assertEquals(-1, keys.firstOf(6, new byte[] {0, 0}, 0, 2));
    assertEquals(5, keys.firstOf(7, new byte[] {9, 0}, 1, 2));
  }
}
