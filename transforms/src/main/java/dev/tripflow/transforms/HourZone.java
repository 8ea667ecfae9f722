package dev.tripflow.transforms;

import dev.tripflow.spi.PackedKeys;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.util.VarInt;

/**
 * A grouping key of (pickup hour, zone) held as two numbers: the hour as hours since 1970-01-01T00
 * of local wall-clock time (no time zone: pure calendar arithmetic), and the zone, which may be
 * null. Hashing and comparing it costs two long operations, where a {@code Row} key of a {@code
 * LocalDateTime} and a {@code Long} walks its schema; a million keys of an hourly report take a
 * tenth of the memory.
 */
public final class HourZone implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long hour;
  // The zone, meaningful only when hasZone (a primitive, so comparing keys reads no other object).
  private final long zone;
  private final boolean hasZone;

  private HourZone(long hour, Long zone) {
    this(hour, zone == null ? 0L : zone, zone != null);
  }

  private HourZone(long hour, long zone, boolean hasZone) {
    this.hour = hour;
    this.hasZone = hasZone;
    this.zone = hasZone ? zone : 0L;
  }

  /** The key of a trip picked up at {@code pickup} (any minute of the hour) in {@code zone}. */
  public static HourZone of(LocalDateTime pickup, Long zone) {
    return new HourZone(hourOf(pickup), zone);
  }

  /**
   * The key of a trip picked up at {@code pickup} in a zone of any integral type, or none when it
   * is null (no boxed Long is made for it: the hourly revenue keys millions of trips).
   */
  public static HourZone of(LocalDateTime pickup, Number zone) {
    return zone == null
        ? new HourZone(hourOf(pickup), 0L, false)
        : new HourZone(hourOf(pickup), zone.longValue(), true);
  }

  private static long hourOf(LocalDateTime pickup) {
    return pickup.toLocalDate().toEpochDay() * 24 + pickup.getHour();
  }

  /** The hour, truncated: minutes and seconds are zero. */
  public LocalDateTime hour() {
    return LocalDateTime.of(
        LocalDate.ofEpochDay(Math.floorDiv(hour, 24)),
        LocalTime.of((int) Math.floorMod(hour, 24), 0));
  }

  /** The zone, or null. */
  public Long zone() {
    return hasZone ? Long.valueOf(zone) : null;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof HourZone k && k.hour == hour && k.zone == zone && k.hasZone == hasZone;
  }

  @Override
  public int hashCode() {
    long z = hasZone ? zone : -1L;
    long h = hour * 0x9E3779B97F4A7C15L + z;
    return (int) (h ^ (h >>> 32));
  }

  @Override
  public String toString() {
    return "(" + hour() + ", " + zone() + ")";
  }

  /** The key's coder: deterministic, so that any runner may group by it. */
  public static final AtomicCoder<HourZone> CODER = new HourZoneCoder();

  // Packed form (PackedKeys): the hour times 2^21, plus the zone times 2 plus 1 when there is one.
  private static final int ZONE_BITS = 21;
  private static final long MAX_PACKED_ZONE = (1L << (ZONE_BITS - 1)) - 1;
  private static final long PACKED_HOURS = 1L << (63 - ZONE_BITS);

  private static final class HourZoneCoder extends AtomicCoder<HourZone>
      implements PackedKeys<HourZone> {
    private static final long serialVersionUID = 1L;

    @Override
    public void encode(HourZone key, OutputStream out) throws IOException {
      if (key == null) {
        throw new CoderException("cannot encode a null HourZone");
      }
      VarInt.encode(key.hour, out);
      if (!key.hasZone) {
        out.write(0);
      } else {
        out.write(1);
        VarInt.encode(key.zone, out);
      }
    }

    @Override
    public HourZone decode(InputStream in) throws IOException {
      long hour = VarInt.decodeLong(in);
      int flag = in.read();
      if (flag < 0) {
        throw new CoderException("truncated HourZone");
      }
      return new HourZone(hour, flag == 0 ? null : VarInt.decodeLong(in));
    }

    @Override
    public void verifyDeterministic() {}

    @Override
    public boolean consistentWithEquals() {
      return true;
    }

    /** Hours within 2^42 of 1970 (half a billion years) and zones 0 to 2^20 - 1 have one. */
    @Override
    public long pack(HourZone key) {
      if (key.hour <= -PACKED_HOURS
          || key.hour >= PACKED_HOURS
          || (key.hasZone && (key.zone < 0 || key.zone > MAX_PACKED_ZONE))) {
        return NOT_PACKED;
      }
      return (key.hour << ZONE_BITS) | (key.hasZone ? (key.zone << 1) | 1 : 0);
    }

    @Override
    public HourZone unpack(long packed) {
      long low = packed & ((1L << ZONE_BITS) - 1);
      return new HourZone(packed >> ZONE_BITS, low >>> 1, (low & 1) != 0);
    }
  }
}
