package dev.tripflow.pipelines.options;

/** The value forms options declare in {@link Param#regex}, named once. */
public final class Forms {
  private Forms() {}

  /**
   * A local path or glob, a {@code file://} URI, or a {@code gs://bucket/...} path; any may hold
   * the period placeholders {@code {yyyy} {MM} {dd} {HH} {period}}.
   */
  public static final String PATH =
      "^(gs://[a-z0-9][-_.a-z0-9]{0,221}(/.*)?|file:///?.+|(?![a-zA-Z][a-zA-Z0-9+.-]*://)[^\\s].*)$";

  public static final String PATH_FORM = "a local path or glob, file:///..., or gs://BUCKET/...";

  /** A period: a year, month, day or hour, or a range of two of the same kind. */
  public static final String PERIOD =
      "^\\d{4}(-\\d{2}(-\\d{2}(T\\d{2})?)?)?(\\.\\.\\d{4}(-\\d{2}(-\\d{2}(T\\d{2})?)?)?)?$";

  public static final String PERIOD_FORM =
      "YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH, or a range FROM..TO of one of them";

  /** A local date, optionally with an hour. */
  public static final String RUN_DATE = "^\\d{4}-\\d{2}-\\d{2}(T\\d{2}(:00(:00)?)?)?$";

  public static final String RUN_DATE_FORM = "YYYY-MM-DD or YYYY-MM-DDTHH";

  /** A local date-time to the minute or second. */
  public static final String LOCAL_DATE_TIME = "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}(:\\d{2})?$";

  public static final String LOCAL_DATE_TIME_FORM = "YYYY-MM-DDTHH:MM";

  /** A BigQuery table: {@code [project:]dataset.table} (or {@code project.dataset.table}). */
  public static final String BIGQUERY_TABLE =
      "^([a-z][-a-z0-9]{4,28}[a-z0-9][:.])?[A-Za-z0-9_]{1,1024}\\.[-A-Za-z0-9_$]{1,1024}$";

  public static final String BIGQUERY_TABLE_FORM = "[PROJECT:]DATASET.TABLE";

  /** A whole number of at least one. */
  public static final String POSITIVE = "^[1-9][0-9]*$";

  /** A whole number of at least zero. */
  public static final String NON_NEGATIVE = "^[0-9]+$";

  /** A memory size: a number with an optional k, m or g suffix. */
  public static final String MEMORY = "^[1-9][0-9]*[kKmMgG]?$";

  /** A TCP port. */
  public static final String PORT = "^[1-9][0-9]{0,4}$";
}
