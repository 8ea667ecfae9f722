package dev.tripflow.transforms.model;

import java.time.DayOfWeek;
import java.time.LocalDateTime;
import java.util.List;
import org.apache.beam.sdk.values.Row;

/**
 * The features the linear duration model uses, from a trip's {@code trip_distance} and {@code
 * pickup_datetime}: distance and its square root, the hour of day as a daily cycle (sine, cosine
 * and their second harmonics), rush-hour and weekend flags, and their interaction with distance.
 */
public final class TripFeatures {
  private TripFeatures() {}

  /** Feature names, in the order {@link #of} returns them; the first is the intercept. */
  public static final List<String> NAMES =
      List.of(
          "intercept",
          "trip_distance",
          "sqrt_trip_distance",
          "hour_sin",
          "hour_cos",
          "hour_sin2",
          "hour_cos2",
          "rush_hour",
          "weekend",
          "rush_hour_x_distance");

  /** The features of a trip, or null when distance or pickup time is missing or negative. */
  public static double[] of(Row trip) {
    Object d = trip.getValue("trip_distance");
    LocalDateTime pickup = trip.getValue("pickup_datetime");
    if (d == null || pickup == null) {
      return null;
    }
    double distance = ((Number) d).doubleValue();
    if (!(distance >= 0) || Double.isInfinite(distance)) {
      return null;
    }
    double hour = pickup.getHour() + pickup.getMinute() / 60.0;
    double angle = 2 * Math.PI * hour / 24.0;
    boolean weekend =
        pickup.getDayOfWeek() == DayOfWeek.SATURDAY || pickup.getDayOfWeek() == DayOfWeek.SUNDAY;
    double rush = !weekend && pickup.getHour() >= 7 && pickup.getHour() < 20 ? 1.0 : 0.0;
    return new double[] {
      1.0,
      distance,
      Math.sqrt(distance),
      StrictMath.sin(angle),
      StrictMath.cos(angle),
      StrictMath.sin(2 * angle),
      StrictMath.cos(2 * angle),
      rush,
      weekend ? 1.0 : 0.0,
      rush * distance
    };
  }
}
