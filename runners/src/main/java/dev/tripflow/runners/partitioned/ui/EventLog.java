package dev.tripflow.runners.partitioned.ui;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A run's event log: one JSON object per line, flushed per event so that {@code tripflow history}
 * sees a run while it goes and what a crashed run did.
 */
public final class EventLog implements Consumer<JsonNode>, AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(EventLog.class);

  /** The suffix of event log files. */
  public static final String SUFFIX = ".jsonl";

  private final Path file;
  private Writer writer;

  /** Creates {@code dir} when needed; a directory that cannot be written only loses the log. */
  public EventLog(Path dir, String runId) {
    this.file = dir.resolve(runId + SUFFIX);
    try {
      Files.createDirectories(dir);
      writer = Files.newBufferedWriter(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      LOG.warn("no event log for this run: cannot write {}: {}", file, e.toString());
    }
  }

  public Path file() {
    return file;
  }

  @Override
  public synchronized void accept(JsonNode event) {
    if (writer == null) {
      return;
    }
    try {
      writer.write(RunEvents.JSON.writeValueAsString(event));
      writer.write('\n');
      writer.flush();
    } catch (IOException e) {
      LOG.warn("the event log {} stops here: {}", file, e.toString());
      close();
    }
  }

  @Override
  public synchronized void close() {
    if (writer != null) {
      try {
        writer.close();
      } catch (IOException e) {
        LOG.warn("cannot close the event log {}: {}", file, e.toString());
      }
      writer = null;
    }
  }

  /** A run as its event log tells it; a line that is not JSON (a crash mid-write) ends it. */
  public static RunState read(Path file) throws IOException {
    RunState state = new RunState();
    try (BufferedReader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.isBlank()) {
          continue;
        }
        JsonNode event;
        try {
          event = RunEvents.JSON.readTree(line);
        } catch (IOException e) {
          break;
        }
        state.apply(event);
      }
    }
    return state;
  }
}
