package dev.tripflow.runners.partitioned.exec;

import dev.tripflow.runners.partitioned.plan.Stage;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Progress of the running stage: on a terminal a live line (stage, elements in and out, partitions
 * done, elapsed), redrawn twice a second; in the log one line per finished stage.
 */
final class Progress implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(Executor.METRICS_NAMESPACE);

  private final int stages;
  private final PrintStream terminal;
  private final Thread painter;
  private volatile Stage stage;
  private volatile int tasks;
  private volatile long started;
  final LongAdder in = new LongAdder();
  final LongAdder out = new LongAdder();
  final AtomicInteger done = new AtomicInteger();
  // The CPU time of the running stage's tasks (every attempt), in nanoseconds.
  final LongAdder cpu = new LongAdder();
  private int width;
  private int finished;
  private long stagesNanos;
  private long tasksCpuNanos;

  Progress(int stages) {
    this.stages = stages;
    boolean tty =
        System.console() != null
            && !"dumb".equals(System.getenv("TERM"))
            && System.getenv("TRIPFLOW_NO_PROGRESS") == null;
    this.terminal = tty ? System.err : null;
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
    stage = s;
  }

  /** Logs the stage's line, with its tasks' CPU time, and returns it. */
  String finish() {
    Stage s = stage;
    stage = null;
    clear();
    long stageCpu = cpu.sum();
    finished++;
    stagesNanos += System.nanoTime() - started;
    tasksCpuNanos += stageCpu;
    String text = line(s, "done") + String.format(Locale.ROOT, ", CPU %.1f s", stageCpu / 1e9);
    LOG.info(text);
    return text;
  }

  /** The CPU time of all finished stages' tasks, in nanoseconds. */
  long tasksCpuNanos() {
    return tasksCpuNanos;
  }

  /**
   * The run's line: its stages' time, their tasks' CPU time and the whole process's. Where the
   * process used much more CPU than the tasks, the JIT compilers, the collector and start-up took
   * it: on a machine with as many cores as partitions, from the tasks.
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
    LOG.info(text);
    return text;
  }

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

  private synchronized void paint() {
    Stage s = stage;
    if (s == null || terminal == null || System.nanoTime() - started < 1_000_000_000L) {
      return;
    }
    String text = line(s, "running");
    int columns = 160;
    if (text.length() > columns) {
      text = text.substring(0, columns - 1);
    }
    terminal.print("\r" + text + " ".repeat(Math.max(0, width - text.length())));
    terminal.flush();
    width = text.length();
  }

  private synchronized void clear() {
    if (terminal != null && width > 0) {
      terminal.print("\r" + " ".repeat(width) + "\r");
      terminal.flush();
      width = 0;
    }
  }

  @Override
  public void close() {
    if (painter != null) {
      painter.interrupt();
    }
    clear();
  }
}
