package dev.tripflow.pipelines.cli;

import com.google.auto.value.AutoValue;
import dev.tripflow.pipelines.options.Param;
import java.util.List;

/** One option of a run that holds paths, resolved: its role and its absolute, filled values. */
@AutoValue
public abstract class PathOption {
  /** The option's name, e.g. {@code inputGreen}. */
  public abstract String name();

  /** What the paths are to the run. */
  public abstract Param.Role role();

  /** For {@link Param.Role#OUTPUT_FILE}: what the file holds, e.g. "duration model". */
  public abstract String fileKind();

  /** The values: one path, or several ({@code NAME=GLOB} pairs for named inputs). */
  public abstract List<String> values();

  static PathOption of(String name, Param p, List<String> values) {
    return new AutoValue_PathOption(name, p.role(), p.fileKind(), List.copyOf(values));
  }
}
