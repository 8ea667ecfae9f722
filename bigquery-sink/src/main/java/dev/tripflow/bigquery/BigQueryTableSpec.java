package dev.tripflow.bigquery;

import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** A BigQuery table reference given as {@code project:dataset.table} (or {@code dataset.table}). */
public final class BigQueryTableSpec {
  private static final Pattern SPEC =
      Pattern.compile(
          "^(?:([a-z][a-z0-9.:-]{4,61}[a-z0-9])[:.])?([A-Za-z0-9_]{1,1024})\\.([\\w$-]{1,1024})$");

  private final String project;
  private final String dataset;
  private final String table;

  private BigQueryTableSpec(String project, String dataset, String table) {
    this.project = project;
    this.dataset = dataset;
    this.table = table;
  }

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
    return new BigQueryTableSpec(m.group(1), m.group(2), m.group(3));
  }

  /** The project, or null when the spec named none. */
  public String project() {
    return project;
  }

  public String dataset() {
    return dataset;
  }

  public String table() {
    return table;
  }

  @Override
  public String toString() {
    return (project == null ? "" : project + ":") + dataset + "." + table;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof BigQueryTableSpec other
        && Objects.equals(project, other.project)
        && dataset.equals(other.dataset)
        && table.equals(other.table);
  }

  @Override
  public int hashCode() {
    return Objects.hash(project, dataset, table);
  }
}
