package dev.tripflow.runners.partitioned.shuffle;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import org.junit.Test;

public class KeyTableTest {
  /** A key whose hash is chosen: many keys may share one. */
  private record Colliding(int id, int hash) {
    @Override
    public int hashCode() {
      return hash;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Colliding c && c.id == id;
    }
  }

  /** Against a HashMap: keys sharing hashes, growth from the smallest size, values kept. */
  @Test
  public void findsEveryKeyThroughCollisionsAndGrowth() {
    KeyTable table = new KeyTable();
    Map<Colliding, Integer> expected = new HashMap<>();
    Random random = new Random(3);
    for (int i = 0; i < 50_000; i++) {
      Colliding k = new Colliding(random.nextInt(20_000), random.nextInt(50));
      int slot = table.slot(k, KeyTable.hash(k));
      boolean isNew = slot < 0;
      assertEquals(!expected.containsKey(k), isNew);
      slot = isNew ? -slot - 1 : slot;
      Integer before = (Integer) table.valueAt(slot);
      table.setValue(slot, before == null ? 1 : before + 1);
      expected.merge(k, 1, Integer::sum);
    }
    assertEquals(expected.size(), table.size());
    int seen = 0;
    for (int s = 0; s < table.capacity(); s++) {
      if (table.used(s)) {
        seen++;
        assertEquals(expected.get((Colliding) table.keyAt(s)), table.valueAt(s));
      }
    }
    assertEquals(expected.size(), seen);
  }

  /** The caller's key is kept apart from the compared one, a null one included, through growth. */
  @Test
  public void keepsOriginalKeysAndOwnershipThroughGrowth() {
    KeyTable table = new KeyTable();
    int nullSlot = -table.slot("structural-of-null", KeyTable.hash("structural-of-null")) - 1;
    table.setOriginal(nullSlot, null);
    table.own(nullSlot);
    for (int i = 0; i < 1000; i++) {
      String k = "k" + i;
      int slot = -table.slot(k, KeyTable.hash(k)) - 1;
      table.setOriginal(slot, i % 2 == 0 ? k : Integer.valueOf(i));
    }
    int again = table.slot("structural-of-null", KeyTable.hash("structural-of-null"));
    assertTrue(again >= 0);
    assertNull(table.originalAt(again));
    assertTrue(table.owned(again));
    int odd = table.slot("k7", KeyTable.hash("k7"));
    assertEquals(7, table.originalAt(odd));
    assertFalse(table.owned(odd));
    int even = table.slot("k8", KeyTable.hash("k8"));
    assertEquals("k8", table.originalAt(even));
    table.clear();
    assertEquals(0, table.size());
    assertTrue(table.slot("k8", KeyTable.hash("k8")) < 0);
  }
}
