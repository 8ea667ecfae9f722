package dev.tripflow.spi;

/**
 * Names of Beam schema field options that tripflow's readers honour. A schema declares them where
 * it is defined (the taxi schemas, a schema file) and a reader in another module reads them, so the
 * name lives here, between the two.
 */
public final class ColumnOptions {
  private ColumnOptions() {}

  /**
   * A boolean field option: the column may be absent from a file (a CSV header, a Parquet file), in
   * which case it is null in every row. Without it a file lacking the column is refused, naming the
   * file and the column. For columns that only newer files have (the TLC's {@code airport_fee},
   * added in 2021).
   */
  public static final String OPTIONAL = "tripflow_optional";
}
