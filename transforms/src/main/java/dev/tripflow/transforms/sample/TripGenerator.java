package dev.tripflow.transforms.sample;

import dev.tripflow.transforms.TaxiSchemas;
import java.time.LocalDateTime;
import java.time.YearMonth;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import java.util.SplittableRandom;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;

/**
 * Deterministic synthetic TLC trip records shaped like the real 2020 data: monthly volumes with the
 * spring 2020 collapse, skewed pickup zones, a few percent of rows with the nullable columns empty,
 * about 0.1% pickups outside the year (2008, 2009, next year), refunds with negative amounts, and
 * fares consistent with distances and durations.
 *
 * <p>The same seed gives the same rows: every month of every service draws from its own random
 * stream, derived from the seed, so months can be generated in parallel and in any order.
 *
 * <pre>{@code
 * TripGenerator gen = new TripGenerator(42);
 * long[] perMonth = TripGenerator.monthlyVolumes(Service.YELLOW, 100_000);
 * Iterator<Row> january = gen.trips(Service.YELLOW, 2020, 1, perMonth[0]);
 * }</pre>
 */
public final class TripGenerator {

  /** The services the generator knows. */
  public enum Service {
    GREEN(TaxiSchemas.GREEN, REAL_2020_GREEN),
    YELLOW(TaxiSchemas.YELLOW, REAL_2020_YELLOW),
    FHVHV(TaxiSchemas.FHVHV, REAL_2021_FHVHV);

    private final Schema schema;
    private final long[] realMonthlyRows;

    Service(Schema schema, long[] realMonthlyRows) {
      this.schema = schema;
      this.realMonthlyRows = realMonthlyRows;
    }

    /** The service's record schema. */
    public Schema schema() {
      return schema;
    }

    /** Lower-case name as used in paths ({@code green}, {@code yellow}, {@code fhvhv}). */
    public String pathName() {
      return name().toLowerCase(Locale.ROOT);
    }

    /** Rows per month in the real TLC files (2020 for taxis, 2021 for FHVHV). */
    public long[] realMonthlyRows() {
      return realMonthlyRows.clone();
    }

    /** Parses {@code green}, {@code yellow} or {@code fhvhv}. */
    public static Service parse(String name) {
      try {
        return valueOf(name.trim().toUpperCase(Locale.ROOT));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(
            "unknown service '" + name + "' (expected green, yellow or fhvhv)");
      }
    }
  }

  // Rows per month in the TLC 2020 files (green 1.73M, yellow 24.6M) and FHVHV 2021.
  private static final long[] REAL_2020_GREEN = {
    447_770, 398_632, 223_496, 35_644, 57_361, 63_110, 72_258, 81_063, 87_987, 95_120, 88_605,
    83_130
  };
  private static final long[] REAL_2020_YELLOW = {
    6_405_008, 6_299_367, 3_007_687, 238_073, 348_415, 549_797, 800_412, 1_007_286, 1_341_017,
    1_681_132, 1_509_000, 1_461_898
  };
  private static final long[] REAL_2021_FHVHV = {
    11_908_468,
    11_613_942,
    14_227_393,
    14_111_371,
    14_719_171,
    14_961_892,
    15_027_174,
    14_499_696,
    14_886_055,
    16_545_356,
    16_041_639,
    16_054_495
  };

  /** Real yearly total rows of green + yellow 2020, the volume {@code --fraction} scales. */
  public static final long REAL_2020_TAXI_ROWS =
      Arrays.stream(REAL_2020_GREEN).sum() + Arrays.stream(REAL_2020_YELLOW).sum();

  private static final int ZONES = 265;
  private static final int[] GREEN_HOT_ZONES = {74, 75, 41, 42, 166, 7, 82, 95, 244, 97, 129, 65};
  private static final int[] YELLOW_HOT_ZONES = {
    237, 236, 161, 186, 162, 230, 170, 142, 48, 234, 132, 138, 239, 163, 68, 79
  };
  private static final int[] FHVHV_HOT_ZONES = {61, 76, 37, 132, 79, 138, 42, 36, 7, 225, 188, 17};
  private static final double[] HOUR_WEIGHTS = {
    2.4, 1.7, 1.2, 0.9, 0.8, 1.0, 2.0, 3.5, 4.5, 4.6, 4.6, 4.8, 5.0, 5.1, 5.5, 5.8, 5.9, 6.3, 6.6,
    6.2, 5.4, 5.0, 4.6, 3.5
  };
  private static final String[] UBER_BASES = {
    "B02764", "B02872", "B02875", "B02765", "B02682", "B02617", "B02512", "B02869", "B02866",
    "B02883", "B02884", "B02887", "B02888", "B02889", "B02835", "B02836", "B02870", "B02871"
  };

  private final long seed;
  private final double[] greenZoneCdf;
  private final double[] yellowZoneCdf;
  private final double[] fhvhvZoneCdf;
  private final double[] hourCdf;

  /** A generator whose output is a function of {@code seed} alone. */
  public TripGenerator(long seed) {
    this.seed = seed;
    this.greenZoneCdf = zoneCdf(GREEN_HOT_ZONES, seed ^ 0x67L);
    this.yellowZoneCdf = zoneCdf(YELLOW_HOT_ZONES, seed ^ 0x79L);
    this.fhvhvZoneCdf = zoneCdf(FHVHV_HOT_ZONES, seed ^ 0x66L);
    this.hourCdf = cdf(HOUR_WEIGHTS);
  }

  /**
   * Splits {@code totalRows} over the twelve months in proportion to the real monthly volumes of
   * {@code service}; the parts add up to {@code totalRows} exactly.
   */
  public static long[] monthlyVolumes(Service service, long totalRows) {
    long[] real = service.realMonthlyRows;
    long realTotal = Arrays.stream(real).sum();
    long[] out = new long[12];
    long assigned = 0;
    double[] remainders = new double[12];
    for (int m = 0; m < 12; m++) {
      double exact = (double) totalRows * real[m] / realTotal;
      out[m] = (long) Math.floor(exact);
      remainders[m] = exact - out[m];
      assigned += out[m];
    }
    // Hand out what rounding down left over, largest remainder first (ties: earlier month).
    while (assigned < totalRows) {
      int best = 0;
      for (int m = 1; m < 12; m++) {
        if (remainders[m] > remainders[best]) {
          best = m;
        }
      }
      out[best]++;
      remainders[best] = -1;
      assigned++;
    }
    return out;
  }

  /**
   * Splits green + yellow rows: {@code totalRows} divided between the two services as in the real
   * 2020 data (about 6.6% green).
   */
  public static long greenShare(long totalRows) {
    long green = Arrays.stream(REAL_2020_GREEN).sum();
    return Math.round((double) totalRows * green / REAL_2020_TAXI_ROWS);
  }

  /**
   * The trips of one service and month, lazily: {@code count} rows whose pickups fall in {@code
   * year}-{@code month} except for about 0.1% that fall in 2008, 2009 or the next year.
   */
  public Iterator<Row> trips(Service service, int year, int month, long count) {
    YearMonth ym = YearMonth.of(year, month);
    SplittableRandom random = new SplittableRandom(mix(seed, service.ordinal(), year, month));
    return new Iterator<>() {
      long produced;

      @Override
      public boolean hasNext() {
        return produced < count;
      }

      @Override
      public Row next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        produced++;
        switch (service) {
          case GREEN:
            return taxiTrip(random, ym, true);
          case YELLOW:
            return taxiTrip(random, ym, false);
          default:
            return fhvhvTrip(random, ym);
        }
      }
    };
  }

  private Row taxiTrip(SplittableRandom r, YearMonth ym, boolean green) {
    LocalDateTime pickup = pickupTime(r, ym);
    long pu = zone(r, green ? greenZoneCdf : yellowZoneCdf);
    long dropoffZone = zone(r, green ? greenZoneCdf : yellowZoneCdf);
    int hour = pickup.getHour();

    double distance = tripDistance(r);
    double mph = (hour >= 7 && hour <= 19 ? 9.0 : 15.0) * (0.7 + 0.6 * r.nextDouble());
    double minutes = Math.max(1.0, distance / mph * 60.0 + r.nextDouble() * 3.0);
    LocalDateTime dropoff = pickup.plusSeconds(Math.round(minutes * 60.0));

    double ratecode = pickRatecode(r);
    double fare;
    if (ratecode == 2.0) {
      fare = 52.0;
    } else if (ratecode == 5.0) {
      fare = 10.0 + Math.floor(r.nextDouble() * 50.0);
    } else {
      fare = 2.5 + 2.5 * distance + 0.35 * minutes;
    }
    fare = cents(fare);
    double extra = hour >= 20 || hour < 6 ? 0.5 : (hour >= 16 && hour < 20 ? 1.0 : 0.0);
    double mtaTax = ratecode == 5.0 ? 0.0 : 0.5;
    double improvement = 0.3;
    boolean anyNulls = r.nextDouble() < 0.03;
    double paymentType = r.nextDouble() < 0.58 ? 1 : (r.nextDouble() < 0.95 ? 2 : 3 + r.nextInt(2));
    double tip = paymentType == 1 ? cents(fare * (0.10 + 0.20 * r.nextDouble())) : 0.0;
    double tolls = r.nextDouble() < 0.04 ? 6.12 : 0.0;
    double congestion;
    if (green) {
      congestion = r.nextDouble() < 0.12 ? 2.75 : 0.0;
    } else {
      congestion = r.nextDouble() < 0.88 ? 2.5 : 0.0;
    }
    if (anyNulls) {
      congestion = 0.0; // the column is null on these rows, so nothing was charged
    }
    boolean refund = r.nextDouble() < 0.003;
    if (refund) {
      fare = -fare;
      extra = -extra;
      mtaTax = -mtaTax;
      improvement = -improvement;
      congestion = -congestion;
      tip = 0.0;
      tolls = 0.0;
      paymentType = 3 + r.nextInt(2);
    }
    double airportFee = 0.0;
    if (!green && ym.getYear() >= 2021 && (pu == 132 || pu == 138)) {
      airportFee = 1.25;
    }
    double total =
        cents(fare + extra + mtaTax + tip + tolls + improvement + congestion + airportFee);
    double passengers =
        r.nextDouble() < 0.02
            ? 0
            : 1 + Math.min(5, (int) (-StrictMath.log1p(-r.nextDouble()) * 0.5));
    long vendor = r.nextDouble() < 0.7 ? 2 : 1;
    String storeAndFwd = r.nextDouble() < 0.005 ? "Y" : "N";
    double tripType = r.nextDouble() < 0.97 ? 1.0 : 2.0;

    if (green) {
      return Row.withSchema(TaxiSchemas.GREEN)
          .addValues(
              anyNulls ? null : vendor,
              pickup,
              dropoff,
              anyNulls ? null : storeAndFwd,
              anyNulls ? null : ratecode,
              pu,
              dropoffZone,
              anyNulls ? null : passengers,
              distance,
              fare,
              extra,
              mtaTax,
              tip,
              tolls,
              null,
              improvement,
              total,
              anyNulls ? null : paymentType,
              anyNulls ? null : tripType,
              anyNulls ? null : congestion)
          .build();
    }
    return Row.withSchema(TaxiSchemas.YELLOW)
        .addValues(
            anyNulls ? null : vendor,
            pickup,
            dropoff,
            anyNulls ? null : passengers,
            distance,
            anyNulls ? null : ratecode,
            anyNulls ? null : storeAndFwd,
            pu,
            dropoffZone,
            anyNulls ? null : (long) paymentType,
            fare,
            extra,
            mtaTax,
            tip,
            tolls,
            improvement,
            total,
            anyNulls ? null : congestion,
            ym.getYear() >= 2021 && !anyNulls ? airportFee : null)
        .build();
  }

  private Row fhvhvTrip(SplittableRandom r, YearMonth ym) {
    LocalDateTime pickup = pickupTime(r, ym);
    double u = r.nextDouble();
    String license;
    String base;
    if (u < 0.72) {
      license = "HV0003";
      base = UBER_BASES[(int) (r.nextDouble() * UBER_BASES.length)];
    } else if (u < 0.97) {
      license = "HV0005";
      base = "B02510";
    } else if (u < 0.99) {
      license = "HV0002";
      base = "B02395";
    } else {
      license = "HV0004";
      base = "B02800";
    }
    double minutes = Math.max(1.0, tripDistance(r) / (8.0 + 10.0 * r.nextDouble()) * 60.0);
    LocalDateTime dropoff = pickup.plusSeconds(Math.round(minutes * 60.0));
    boolean shared = r.nextDouble() < 0.08;
    return Row.withSchema(TaxiSchemas.FHVHV)
        .addValues(
            license,
            base,
            pickup,
            dropoff,
            zone(r, fhvhvZoneCdf),
            zone(r, fhvhvZoneCdf),
            shared ? "1" : null)
        .build();
  }

  private LocalDateTime pickupTime(SplittableRandom r, YearMonth ym) {
    int year = ym.getYear();
    double outside = r.nextDouble();
    if (outside < 0.001) {
      // As in the real files: a few clocks are years off.
      int pick = (int) (outside * 3000.0);
      year = pick == 0 ? 2008 : (pick == 1 ? 2009 : ym.getYear() + 1);
    }
    int day = 1 + r.nextInt(ym.lengthOfMonth());
    int hour = Arrays.binarySearch(hourCdf, r.nextDouble());
    hour = hour >= 0 ? hour : -hour - 1;
    int second = r.nextInt(3600);
    int dayOfMonth = Math.min(day, YearMonth.of(year, ym.getMonth()).lengthOfMonth());
    return LocalDateTime.of(
        year, ym.getMonthValue(), dayOfMonth, Math.min(hour, 23), second / 60, second % 60);
  }

  private static double tripDistance(SplittableRandom r) {
    if (r.nextDouble() < 0.01) {
      return 0.0;
    }
    // Log-normal, median about 1.8 miles, capped at 60.
    double gaussian = gaussian(r);
    return cents(Math.min(60.0, StrictMath.exp(StrictMath.log(1.8) + 0.8 * gaussian)));
  }

  private static double gaussian(SplittableRandom r) {
    // Box-Muller with StrictMath so every JVM draws the same numbers.
    double u1 = Math.max(r.nextDouble(), 1e-12);
    double u2 = r.nextDouble();
    return StrictMath.sqrt(-2.0 * StrictMath.log(u1)) * StrictMath.cos(2.0 * Math.PI * u2);
  }

  private static double pickRatecode(SplittableRandom r) {
    double u = r.nextDouble();
    if (u < 0.95) {
      return 1.0;
    } else if (u < 0.975) {
      return 5.0;
    } else if (u < 0.99) {
      return 2.0;
    } else if (u < 0.995) {
      return 3.0;
    }
    return 4.0;
  }

  private static long zone(SplittableRandom r, double[] cdf) {
    int i = Arrays.binarySearch(cdf, r.nextDouble());
    i = i >= 0 ? i : -i - 1;
    return Math.min(i, ZONES - 1) + 1L;
  }

  /**
   * Zone popularity: the service's hot zones first, then the rest in a seeded order, weighted by a
   * Zipf-like law; zones 264 and 265 (unknown) get about 0.5% of trips, as in the real data.
   */
  private static double[] zoneCdf(int[] hotZones, long seed) {
    List<Integer> order = new ArrayList<>();
    for (int z : hotZones) {
      order.add(z);
    }
    List<Integer> rest = new ArrayList<>();
    for (int z = 1; z <= 263; z++) {
      if (!order.contains(z)) {
        rest.add(z);
      }
    }
    SplittableRandom r = new SplittableRandom(seed);
    for (int i = rest.size() - 1; i > 0; i--) {
      int j = r.nextInt(i + 1);
      Integer t = rest.get(i);
      rest.set(i, rest.get(j));
      rest.set(j, t);
    }
    order.addAll(rest);
    double[] weights = new double[ZONES];
    double total = 0;
    for (int rank = 0; rank < order.size(); rank++) {
      double w = 1.0 / StrictMath.pow(rank + 3.0, 1.2);
      weights[order.get(rank) - 1] = w;
      total += w;
    }
    weights[263] = total * 0.003;
    weights[264] = total * 0.002;
    return cdf(weights);
  }

  private static double[] cdf(double[] weights) {
    double total = 0;
    for (double w : weights) {
      total += w;
    }
    double[] cdf = new double[weights.length];
    double running = 0;
    for (int i = 0; i < weights.length; i++) {
      running += weights[i];
      cdf[i] = running / total;
    }
    cdf[weights.length - 1] = 1.0;
    return cdf;
  }

  private static double cents(double x) {
    return Math.round(x * 100.0) / 100.0;
  }

  private static long mix(long seed, int service, int year, int month) {
    long h = seed * 0x9E3779B97F4A7C15L;
    h ^= (service + 1L) * 0xC2B2AE3D27D4EB4FL;
    h ^= (year * 16L + month) * 0x165667B19E3779F9L;
    return h ^ (h >>> 31);
  }
}
