package dev.tripflow.runners.partitioned.ui;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The past runs of an event log directory, newest first; a log is read again only when it changed
 * (a run still going).
 */
public final class History implements UiServer.Runs {
  private static final Logger LOG = LoggerFactory.getLogger(History.class);

  /** A log still growing this long after its last write is taken for a crashed run's. */
  private static final long STALE_MILLIS = 10 * 60_000L;

  private record Read(FileTime modified, long size, RunState state) {}

  private final Path dir;
  private final Map<Path, Read> cache = new HashMap<>();

  public History(Path dir) {
    this.dir = dir;
  }

  public Path dir() {
    return dir;
  }

  @Override
  public synchronized List<RunState> list() {
    List<RunState> runs = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return runs;
    }
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.toString().endsWith(EventLog.SUFFIX)).toList()) {
        try {
          FileTime modified = Files.getLastModifiedTime(f);
          long size = Files.size(f);
          Read cached = cache.get(f);
          if (cached == null || !cached.modified.equals(modified) || cached.size != size) {
            RunState state = EventLog.read(f);
            if (System.currentTimeMillis() - modified.toMillis() > STALE_MILLIS) {
              state.markIncomplete();
            }
            cached = new Read(modified, size, state);
            cache.put(f, cached);
          }
          if (cached.state.id() != null) {
            runs.add(cached.state);
          }
        } catch (IOException e) {
          LOG.debug("cannot read the event log {}", f, e);
        }
      }
    } catch (IOException e) {
      LOG.warn("cannot list {}: {}", dir, e.toString());
    }
    runs.sort(Comparator.comparingLong(RunState::startTime).reversed());
    return runs;
  }
}
