package dev.tripflow.io.output;

import java.io.IOException;
import java.io.Serializable;

/**
 * Counts the rows of one written file, for its output's manifest: the count is read from the file
 * itself (a Parquet footer, the records of a CSV file) when the output is staged, so the summary's
 * "rows written" is a fact about the committed files whatever the runner did with its counters.
 */
@FunctionalInterface
public interface RowCounter extends Serializable {
  /** The rows of {@code file} (any Beam file system path). */
  long rows(String file) throws IOException;

  /** For sinks whose files cannot be counted: the manifest says -1. */
  RowCounter UNKNOWN = file -> -1;
}
