package dev.tripflow.bigquery;

import com.google.auto.value.AutoValue;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A BigQuery table reference given as {@code project:dataset.table} (or {@code dataset.table}). */
@AutoValue
public abstract class BigQueryTableSpec {
  private static final Pattern SPEC =
      Pattern.compile(
          "^(?:([a-z][a-z0-9.:-]{4,61}[a-z0-9])[:.])?([A-Za-z0-9_]{1,1024})\\.([\\w$-]{1,1024})$");

  /**
   * Parses {@code project:dataset.table}; the project may be left out.
   *
   * @throws IllegalArgumentException with the expected form when the text does not match it
   */
  public static BigQueryTableSpec parse(String text) {
    Matcher m = SPEC.matcher(Objects.requireNonNull(text, "table spec").trim());
    if (!m.matches()) {
      throw new IllegalArgumentException(
          "not a BigQuery table: '" + text + "' (expected project:dataset.table)");
    }
    return new AutoValue_BigQueryTableSpec(Optional.ofNullable(m.group(1)), m.group(2), m.group(3));
  }

  /** The project, when the spec names one. */
  public abstract Optional<String> project();

  public abstract String dataset();

  public abstract String table();

  @Override
  public final String toString() {
    return project().map(p -> p + ":").orElse("") + dataset() + "." + table();
  }
}
