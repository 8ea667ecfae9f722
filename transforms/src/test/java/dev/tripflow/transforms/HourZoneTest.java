package dev.tripflow.transforms;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;

import dev.tripflow.spi.PackedKeys;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.beam.sdk.util.CoderUtils;
import org.junit.Test;

public class HourZoneTest {
  @SuppressWarnings("unchecked")
  private static final PackedKeys<HourZone> PACKED = (PackedKeys<HourZone>) HourZone.CODER;

  private static HourZone key(LocalDateTime t, Long zone) {
    return HourZone.of(t, zone);
  }

  /**
   * Keys in the packed range pack to distinct longs, unpack to equal keys that encode to the same
   * bytes; zones beyond 2^20 - 1 or negative, and hours beyond 2^42 from 1970, do not pack.
   */
  @Test
  public void packsInjectivelyAndUnpacksToEqualKeys() throws Exception {
    List<HourZone> keys = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(11);
    LocalDateTime epoch = LocalDateTime.of(1970, 1, 1, 0, 0);
    for (int i = 0; i < 50_000; i++) {
      LocalDateTime t =
          epoch.plusHours(r.nextLong(-2_000_000, 2_000_000)).plusMinutes(r.nextInt(60));
      keys.add(key(t, r.nextInt(10) == 0 ? null : (long) r.nextInt(300)));
    }
    for (long zone : new long[] {0, 1, 264, (1L << 20) - 1}) {
      keys.add(key(epoch, zone));
      keys.add(key(epoch.minusHours(1), zone));
    }
    keys.add(key(epoch, null));
    keys.add(key(LocalDateTime.of(-100_000, 1, 1, 23, 0), 7L));
    keys.add(key(LocalDateTime.of(100_000, 12, 31, 23, 59), null));
    Map<Long, HourZone> seen = new HashMap<>();
    for (HourZone k : keys) {
      long p = PACKED.pack(k);
      assertNotEquals(k.toString(), PackedKeys.NOT_PACKED, p);
      HourZone before = seen.put(p, k);
      assertTrue(k + " and " + before + " pack alike", before == null || before.equals(k));
      HourZone back = PACKED.unpack(p);
      assertEquals(k, back);
      assertEquals(k.hour(), back.hour());
      assertEquals(k.zone(), back.zone());
      assertArrayEquals(
          CoderUtils.encodeToByteArray(HourZone.CODER, k),
          CoderUtils.encodeToByteArray(HourZone.CODER, back));
    }
    assertEquals(PackedKeys.NOT_PACKED, PACKED.pack(key(epoch, 1L << 20)));
    assertEquals(PackedKeys.NOT_PACKED, PACKED.pack(key(epoch, -1L)));
    assertEquals(PackedKeys.NOT_PACKED, PACKED.pack(key(epoch, Long.MAX_VALUE)));
    assertEquals(PackedKeys.NOT_PACKED, PACKED.pack(key(LocalDateTime.MIN, 3L)));
    assertEquals(PackedKeys.NOT_PACKED, PACKED.pack(key(LocalDateTime.MAX, null)));
    assertNull(PACKED.unpack(PACKED.pack(key(epoch, null))).zone());
  }
}
