package dev.tripflow.runners.partitioned.shuffle;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.Test;

public class FlatTableTest {
  /**
   * Against a HashMap: keys of any sign (and structured ones, differing in high bits only) keep
   * their state and boxed marks through growth from the smallest size, and clearing empties it.
   */
  @Test
  public void keepsEveryKeysStateAndBoxedMarkThroughGrowth() {
    FlatTable table = new FlatTable(3);
    Map<Long, long[]> expected = new HashMap<>();
    Set<Long> boxed = new HashSet<>();
    Random random = new Random(9);
    for (int i = 0; i < 60_000; i++) {
      long key =
          switch (i % 3) {
            case 0 -> random.nextLong();
            case 1 -> (long) random.nextInt(5000) << 40;
            default -> -random.nextInt(5000);
          };
      if (key == Long.MIN_VALUE) {
        continue;
      }
      int slot = table.slot(key, FlatTable.hash(key));
      assertEquals(key, table.keyAt(slot));
      long[] slab = table.slab();
      int off = table.offset(slot);
      long[] state = expected.computeIfAbsent(key, k -> new long[3]);
      for (int w = 0; w < 3; w++) {
        assertEquals(state[w], slab[off + w]);
        slab[off + w] += key * (w + 1) + i;
        state[w] += key * (w + 1) + i;
      }
      if (i % 97 == 0) {
        table.box(slot);
        boxed.add(key);
      }
      assertEquals(boxed.contains(key), table.boxed(slot));
    }
    assertEquals(expected.size(), table.size());
    int used = 0;
    for (int s = 0; s < table.capacity(); s++) {
      if (table.used(s)) {
        used++;
        long key = table.keyAt(s);
        for (int w = 0; w < 3; w++) {
          assertEquals(expected.get(key)[w], table.slab()[table.offset(s) + w]);
        }
        assertEquals(boxed.contains(key), table.boxed(s));
      }
    }
    assertEquals(expected.size(), used);
    int capacity = table.capacity();
    table.clear();
    assertEquals(0, table.size());
    assertEquals(capacity, table.capacity());
    for (int s = 0; s < capacity; s++) {
      assertFalse(table.used(s));
      assertFalse(table.boxed(s));
    }
    int slot = table.slot(42L, FlatTable.hash(42L));
    for (int w = 0; w < 3; w++) {
      assertEquals(0L, table.slab()[table.offset(slot) + w]);
    }
    assertTrue(table.used(slot));
  }
}
