package dev.tripflow.runners.partitioned;

import java.nio.file.Path;
import org.apache.beam.sdk.options.DefaultValueFactory;
import org.apache.beam.sdk.options.PipelineOptions;

/**
 * Defaults of the web UI and event log options. A build's tests set the system properties {@code
 * tripflow.ui=false} and {@code tripflow.eventLogDir} so that hundreds of test pipelines neither
 * open ports nor fill the user's history.
 */
public final class UiDefaults {
  private UiDefaults() {}

  /** The directory of the runs' event logs when {@code --eventLogDir} is not given. */
  public static String eventLogDir() {
    String dir = System.getProperty("tripflow.eventLogDir");
    return dir != null
        ? dir
        : Path.of(System.getProperty("user.home"), ".tripflow", "history").toString();
  }

  /** {@code --ui}: on, unless the system property {@code tripflow.ui} is false. */
  public static final class Enabled implements DefaultValueFactory<Boolean> {
    @Override
    public Boolean create(PipelineOptions options) {
      return !"false".equals(System.getProperty("tripflow.ui"));
    }
  }

  /** {@code --eventLogDir}: the system property {@code tripflow.eventLogDir}, or the home's. */
  public static final class EventLogDir implements DefaultValueFactory<String> {
    @Override
    public String create(PipelineOptions options) {
      return eventLogDir();
    }
  }
}
