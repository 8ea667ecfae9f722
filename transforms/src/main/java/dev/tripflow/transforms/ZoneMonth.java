package dev.tripflow.transforms;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.time.LocalDateTime;
import java.util.Objects;
import org.apache.beam.sdk.coders.AtomicCoder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.StringUtf8Coder;
import org.apache.beam.sdk.util.VarInt;

/**
 * The monthly revenue report's grouping key of (pickup zone, pickup month, service type), each of
 * which may be null, held as numbers and one string: the month as months since 1970-01 of local
 * wall-clock time (calendar arithmetic, no time zone). Hashing and comparing it reads no other
 * object but the service type's string (one of two, usually the same instance); a {@code Row} key
 * walks its schema and its date-time's fields on every comparison.
 */
public final class ZoneMonth implements Serializable {
  private static final long serialVersionUID = 1L;

  private final long zone;
  private final long month;
  // Bit 0: zone present; bit 1: month present.
  private final byte present;
  private final String service;

  private ZoneMonth(long zone, long month, byte present, String service) {
    this.zone = zone;
    this.month = month;
    this.present = present;
    this.service = service;
  }

  /** The key of a trip in {@code zone} picked up at {@code pickup} (any time of the month). */
  public static ZoneMonth of(Long zone, LocalDateTime pickup, String service) {
    return new ZoneMonth(
        zone == null ? 0L : zone,
        pickup == null ? 0L : pickup.getYear() * 12L + pickup.getMonthValue() - 1 - 1970 * 12L,
        (byte) ((zone == null ? 0 : 1) | (pickup == null ? 0 : 2)),
        service);
  }

  /** The zone, or null. */
  public Long zone() {
    return (present & 1) != 0 ? Long.valueOf(zone) : null;
  }

  /** The first instant of the month (local), or null. */
  public LocalDateTime month() {
    if ((present & 2) == 0) {
      return null;
    }
    long m = month + 1970 * 12L;
    return LocalDateTime.of((int) Math.floorDiv(m, 12L), (int) Math.floorMod(m, 12L) + 1, 1, 0, 0);
  }

  /** The service type, or null. */
  public String service() {
    return service;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ZoneMonth k
        && k.zone == zone
        && k.month == month
        && k.present == present
        && Objects.equals(k.service, service);
  }

  @Override
  public int hashCode() {
    long h = (zone * 0x9E3779B97F4A7C15L + month) * 0xC2B2AE3D27D4EB4FL + present;
    return (int) (h ^ (h >>> 32)) * 31 + (service == null ? 0 : service.hashCode());
  }

  @Override
  public String toString() {
    return "(" + zone() + ", " + month() + ", " + service + ")";
  }

  /** The key's coder: deterministic, so that any runner may group by it. */
  public static final AtomicCoder<ZoneMonth> CODER =
      new AtomicCoder<ZoneMonth>() {
        private static final long serialVersionUID = 1L;

        @Override
        public void encode(ZoneMonth key, OutputStream out) throws IOException {
          if (key == null) {
            throw new CoderException("cannot encode a null ZoneMonth");
          }
          out.write(key.present | (key.service == null ? 0 : 4));
          if ((key.present & 1) != 0) {
            VarInt.encode(key.zone, out);
          }
          if ((key.present & 2) != 0) {
            VarInt.encode(key.month, out);
          }
          if (key.service != null) {
            StringUtf8Coder.of().encode(key.service, out);
          }
        }

        @Override
        public ZoneMonth decode(InputStream in) throws IOException {
          int flags = in.read();
          if (flags < 0) {
            throw new CoderException("truncated ZoneMonth");
          }
          long zone = (flags & 1) != 0 ? VarInt.decodeLong(in) : 0L;
          long month = (flags & 2) != 0 ? VarInt.decodeLong(in) : 0L;
          String service = (flags & 4) != 0 ? StringUtf8Coder.of().decode(in) : null;
          return new ZoneMonth(zone, month, (byte) (flags & 3), service);
        }

        @Override
        public void verifyDeterministic() {}

        @Override
        public boolean consistentWithEquals() {
          return true;
        }
      };
}
