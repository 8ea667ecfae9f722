package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.ProgressOptions;
import dev.tripflow.runners.partitioned.plan.Stage;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of a run. On a terminal one line, rewritten in place, names the running stage by the
 * name the pipeline gave it ({@code stage 7/13 MonthlyZoneRevenue: 1/2 tasks, 4.2 s}) and ends with
 * a newline when the run does. Elsewhere (a pipe, a log, CI) nothing is printed unless a stage runs
 * long, then the same line every 30 s. With {@code --verbose} every finished stage is logged with
 * its Beam steps, elements in and out and CPU time, and the run ends with its CPU line.
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Executor.METRICS_NAMESPACE);

  /** How often a run off a terminal says it is still at work, without {@code --verbose}. */
  private static final long QUIET_HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(30);

  /** How often a run off a terminal logs the running stage, with {@code --verbose}. */
  private static final long VERBOSE_HEARTBEAT_NANOS = TimeUnit.SECONDS.toNanos(10);

  private final int stages;
  private final boolean verbose;
  private final PrintStream terminal;
  private final PrintStream plain;
  private final Thread painter;
  private final long runStarted = System.nanoTime();
  private volatile Stage stage;
  private volatile int tasks;
  private volatile long started;
  private long lastHeartbeat = System.nanoTime();
  final LongAdder in = new LongAdder();
  final LongAdder out = new LongAdder();
  final AtomicInteger done = new AtomicInteger();
  // The CPU time of the running stage's tasks (every attempt), in nanoseconds.
  final LongAdder cpu = new LongAdder();
  private int width;
  private int finished;
  private long stagesNanos;
  private long tasksCpuNanos;

  Progress(int stages, boolean verbose) {
    this(stages, verbose, ProgressOptions.terminal(), System.err);
  }

  Progress(int stages, boolean verbose, boolean live, PrintStream err) {
    this.stages = stages;
    this.verbose = verbose;
    this.terminal = live ? err : null;
    this.plain = err;
    if (terminal != null) {
      painter =
          new Thread(
              () -> {
                try {
                  while (!Thread.currentThread().isInterrupted()) {
                    Thread.sleep(500);
                    paint();
                  }
                } catch (InterruptedException e) {
                  Thread.currentThread().interrupt();
                }
              },
              "tripflow-progress");
      painter.setDaemon(true);
      painter.start();
    } else {
      painter = null;
    }
  }

  /** Whether a live line is drawn (on a terminal). */
  boolean live() {
    return terminal != null;
  }

  void start(Stage s, int taskCount) {
    in.reset();
    out.reset();
    done.set(0);
    cpu.reset();
    tasks = taskCount;
    started = System.nanoTime();
    lastHeartbeat = started;
    stage = s;
    paint();
  }

  /**
   * Called about once a second while a stage runs: off a terminal, says the run is still at work
   * when a stage runs long (every 30 s; every 10 s with Beam's step names under {@code --verbose}).
   */
  void heartbeat() {
    Stage s = stage;
    long now = System.nanoTime();
    if (s == null || live()) {
      return;
    }
    if (verbose && now - lastHeartbeat > VERBOSE_HEARTBEAT_NANOS) {
      lastHeartbeat = now;
      LOG.info(
          "stage {}/{} {}: {}/{} tasks done, {} s",
          s.id() + 1,
          stages,
          s.describe(),
          done.get(),
          tasks,
          (now - started) / 1_000_000_000L);
    } else if (!verbose && now - lastHeartbeat > QUIET_HEARTBEAT_NANOS) {
      lastHeartbeat = now;
      plain.println(liveLine(s));
      plain.flush();
    }
  }

  /**
   * Logs the stage's detail line under {@code --verbose} (at debug level otherwise) and returns it.
   */
  String finish() {
    Stage s = stage;
    long stageCpu = cpu.sum();
    finished++;
    stagesNanos += System.nanoTime() - started;
    tasksCpuNanos += stageCpu;
    String text = line(s, "done") + String.format(Locale.ROOT, ", CPU %.1f s", stageCpu / 1e9);
    if (verbose) {
      clear();
      LOG.info(text);
    } else {
      LOG.debug(text);
    }
    paint();
    stage = null;
    return text;
  }

  /** The CPU time of all finished stages' tasks, in nanoseconds. */
  long tasksCpuNanos() {
    return tasksCpuNanos;
  }

  /**
   * The run's line: its stages' time, their tasks' CPU time and the whole process's. Where the
   * process used much more CPU than the tasks, the JIT compilers, the collector and start-up took
   * it: on a machine with as many cores as partitions, from the tasks. Logged under {@code
   * --verbose}.
   */
  String summary(int partitions, long processCpuNanos) {
    String text =
        String.format(
            Locale.ROOT,
            "%d stages in %.1f s on %d partition%s; the tasks used %.1f s of CPU",
            finished,
            stagesNanos / 1e9,
            partitions,
            partitions == 1 ? "" : "s",
            tasksCpuNanos / 1e9);
    if (processCpuNanos >= 0) {
      text +=
          String.format(
              Locale.ROOT,
              ", the whole process %.1f s (outside the tasks: %.1f s, the JIT compilers, the"
                  + " collector and the main thread)",
              processCpuNanos / 1e9,
              Math.max(0, processCpuNanos - tasksCpuNanos) / 1e9);
    }
    if (verbose) {
      clear();
      LOG.info(text);
    } else {
      LOG.debug(text);
    }
    return text;
  }

  /** The detail line of {@code --verbose}: Beam's step names, elements in and out. */
  private String line(Stage s, String state) {
    return String.format(
        Locale.ROOT,
        "stage %d/%d %s: %s %d/%d partitions, %,d in, %,d out, %.1f s",
        s.id() + 1,
        stages,
        s.describe(),
        state,
        done.get(),
        tasks,
        in.sum(),
        out.sum(),
        (System.nanoTime() - started) / 1e9);
  }

  /** The line for people: the stage's own name, its tasks done and the run's time so far. */
  private String liveLine(Stage s) {
    return String.format(
        Locale.ROOT,
        "stage %d/%d %s: %d/%d tasks, %.1f s",
        s.id() + 1,
        stages,
        s.humanName(),
        done.get(),
        tasks,
        (System.nanoTime() - runStarted) / 1e9);
  }

  private synchronized void paint() {
    Stage s = stage;
    if (s == null || terminal == null) {
      return;
    }
    draw(liveLine(s));
  }

  private synchronized void draw(String text) {
    int columns = columns();
    if (text.length() >= columns) {
      text = text.substring(0, columns - 1);
    }
    terminal.print("\r" + text + " ".repeat(Math.max(0, width - text.length())));
    terminal.flush();
    width = text.length();
  }

  /** The terminal's width from {@code COLUMNS} (shells set it), else 80: a wrapped line stays. */
  private static int columns() {
    try {
      String c = System.getenv("COLUMNS");
      return c == null ? 80 : Math.max(20, Integer.parseInt(c.trim()));
    } catch (NumberFormatException e) {
      return 80;
    }
  }

  private synchronized void clear() {
    if (terminal != null && width > 0) {
      terminal.print("\r" + " ".repeat(width) + "\r");
      terminal.flush();
      width = 0;
    }
  }

  /** Stops the line: its last state stays on screen, ended by a newline before the summary. */
  @Override
  public void close() {
    if (painter != null) {
      painter.interrupt();
      try {
        painter.join(1000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    synchronized (this) {
      if (terminal != null && width > 0) {
        String end =
            String.format(
                Locale.ROOT,
                "%d/%d stages done, %.1f s",
                finished,
                stages,
                (System.nanoTime() - runStarted) / 1e9);
        draw(end);
        terminal.println();
        terminal.flush();
        width = 0;
      }
    }
  }
}
