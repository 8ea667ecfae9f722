package dev.tripflow.transforms.sample;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNotEquals;
import static org.junit.Assert.assertTrue;

import dev.tripflow.transforms.TaxiSchemas;
import dev.tripflow.transforms.sample.TripGenerator.Service;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.beam.sdk.values.Row;
import org.junit.Test;

public class TripGeneratorTest {

  private static List<Row> all(Iterator<Row> it) {
    List<Row> rows = new ArrayList<>();
    it.forEachRemaining(rows::add);
    return rows;
  }

  /** Same seed, same rows; another seed, other rows. */
  @Test
  public void deterministicPerSeed() {
    List<Row> a = all(new TripGenerator(42).trips(Service.GREEN, 2020, 3, 500));
    List<Row> b = all(new TripGenerator(42).trips(Service.GREEN, 2020, 3, 500));
    List<Row> c = all(new TripGenerator(43).trips(Service.GREEN, 2020, 3, 500));
    assertEquals(a, b);
    assertNotEquals(a, c);
  }

  /** Monthly volumes add up exactly and follow 2020: April about 4% of January for yellow. */
  @Test
  public void monthlyVolumesShapedLike2020() {
    long[] yellow = TripGenerator.monthlyVolumes(Service.YELLOW, 1_000_000);
    assertEquals(1_000_000, Arrays.stream(yellow).sum());
    double aprilShare = (double) yellow[3] / yellow[0];
    assertTrue("April/January = " + aprilShare, aprilShare > 0.03 && aprilShare < 0.05);
    assertTrue(yellow[0] > yellow[2] && yellow[1] > yellow[2]);
    long green = TripGenerator.greenShare(1_000_000);
    assertTrue("green share " + green, green > 60_000 && green < 72_000);
  }

  /** Nulls, out-of-year pickups, refunds and zones look like the real data; fares add up. */
  @Test
  public void realisticValues() {
    List<Row> rows = all(new TripGenerator(1).trips(Service.YELLOW, 2020, 1, 200_000));
    int nullPassengers = 0;
    int outsideYear = 0;
    int refunds = 0;
    int[] zoneCounts = new int[266];
    for (Row r : rows) {
      assertEquals(TaxiSchemas.YELLOW, r.getSchema());
      if (r.getValue("passenger_count") == null) {
        nullPassengers++;
        assertEquals(null, r.getValue("payment_type"));
        assertEquals(null, r.getValue("RatecodeID"));
      }
      LocalDateTime pickup = r.getValue("tpep_pickup_datetime");
      LocalDateTime dropoff = r.getValue("tpep_dropoff_datetime");
      assertTrue(dropoff.isAfter(pickup));
      if (pickup.getYear() != 2020) {
        outsideYear++;
        assertTrue(
            pickup.toString(),
            pickup.getYear() == 2008 || pickup.getYear() == 2009 || pickup.getYear() == 2021);
      } else {
        assertEquals(1, pickup.getMonthValue());
      }
      double fare = r.getDouble("fare_amount");
      if (fare < 0) {
        refunds++;
      }
      double parts =
          fare
              + r.getDouble("extra")
              + r.getDouble("mta_tax")
              + r.getDouble("tip_amount")
              + r.getDouble("tolls_amount")
              + r.getDouble("improvement_surcharge")
              + (r.getValue("congestion_surcharge") == null
                  ? 0.0
                  : r.getDouble("congestion_surcharge"));
      assertEquals(parts, r.getDouble("total_amount"), 0.011);
      if (r.getValue("RatecodeID") != null && r.getDouble("RatecodeID") == 1.0 && fare > 0) {
        assertTrue("fare grows with distance", fare >= 2.5 + 2.5 * r.getDouble("trip_distance"));
      }
      long zone = r.getInt64("PULocationID");
      assertTrue(zone >= 1 && zone <= 265);
      zoneCounts[(int) zone]++;
    }
    double nullShare = nullPassengers / 200_000.0;
    assertTrue("null share " + nullShare, nullShare > 0.02 && nullShare < 0.04);
    double outsideShare = outsideYear / 200_000.0;
    assertTrue("outside share " + outsideShare, outsideShare > 0.0005 && outsideShare < 0.0015);
    assertTrue("refunds " + refunds, refunds > 200 && refunds < 1000);
    int top = Arrays.stream(zoneCounts).max().getAsInt();
    assertTrue("skewed zones: top zone has " + top, top > 200_000 / 40);
    assertTrue("unknown zones present", zoneCounts[264] + zoneCounts[265] > 0);
  }

  /** FHVHV rows carry the 2021 columns with HV licenses and bases. */
  @Test
  public void fhvhvRows() {
    List<Row> rows = all(new TripGenerator(3).trips(Service.FHVHV, 2021, 1, 1000));
    for (Row r : rows) {
      assertTrue(r.getString("hvfhs_license_num").matches("HV000[2-5]"));
      assertTrue(r.getString("dispatching_base_num").matches("B\\d{5}"));
    }
    assertTrue(rows.stream().anyMatch(r -> "1".equals(r.getString("SR_Flag"))));
  }
}
