package dev.tripflow.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * How this machine's cores add up: the same work on one thread, then on N threads at once, each
 * thread's CPU time measured. A perfect machine gives each of the N threads the one thread's time;
 * a virtual machine whose cores share a host core, or memory that does not serve N threads as fast
 * as one, gives more. {@code --partitions=N} can at best run in 1/N of one partition's time times
 * that slowdown, for the kind of work the job does: the hourly revenue's tables of millions of keys
 * are random access to a large table, the Parquet decoding in between is compute.
 *
 * <pre>{@code
 * ./tripflow bench --probe
 * }</pre>
 */
final class CoreProbe {
  private CoreProbe() {}

  /** One kind of work: its name and what one thread runs. */
  private record Work(String name, int tableMiB, long steps) {}

  /** A row of the table: the work, one thread's CPU seconds, and each of N threads'. */
  record Row(String work, double alone, double[] together) {
    double slowdown() {
      double sum = 0;
      for (double t : together) {
        sum += t;
      }
      return sum / together.length / alone;
    }
  }

  private static volatile long sink;

  /** Four independent multiply chains: registers only, no memory traffic. */
  static long compute(long steps) {
    long a = 1;
    long b = 2;
    long c = 3;
    long d = 4;
    for (long i = 0; i < steps; i++) {
      a = a * 6364136223846793005L + 1;
      b = b * 6364136223846793005L + 3;
      c = c * 6364136223846793005L + 5;
      d = d * 6364136223846793005L + 7;
    }
    return a ^ b ^ c ^ d;
  }

  /** Updates and reads random slots of {@code table}, as a hash aggregation does. */
  static long random(long[] table, long steps) {
    int mask = table.length - 1;
    long x = 12345;
    long sum = 0;
    for (long i = 0; i < steps; i++) {
      x = x * 6364136223846793005L + 1442695040888963407L;
      int j = (int) (x >>> 33) & mask;
      table[j] += i;
      sum += table[(j * 7) & mask];
    }
    return sum;
  }

  /** Each thread's CPU seconds running {@code work} on {@code threads} threads at once. */
  private static double[] run(Work work, int threads) throws InterruptedException {
    double[] cpu = new double[threads];
    Thread[] running = new Thread[threads];
    for (int t = 0; t < threads; t++) {
      int index = t;
      running[t] =
          new Thread(
              () -> {
                ThreadMXBean mx = ManagementFactory.getThreadMXBean();
                // Each thread its own table (power-of-two longs), touched once before timing.
                long[] table = work.tableMiB > 0 ? new long[work.tableMiB << 17] : null;
                if (table != null) {
                  java.util.Arrays.fill(table, 1L);
                }
                long start = mx.getCurrentThreadCpuTime();
                sink += table == null ? compute(work.steps) : random(table, work.steps);
                cpu[index] = (mx.getCurrentThreadCpuTime() - start) / 1e9;
              },
              "tripflow-probe-" + t);
      running[t].start();
    }
    for (Thread t : running) {
      t.join();
    }
    return cpu;
  }

  /**
   * Measures each kind of work alone and on {@code threads} threads; {@code scale} multiplies the
   * default amount of work (1.0: about a second a thread).
   */
  static List<Row> measure(int threads, double scale) throws InterruptedException {
    List<Work> works =
        List.of(
            new Work("compute loop (no memory traffic)", 0, (long) (800_000_000L * scale)),
            new Work("random updates, 128 MiB table per thread", 128, (long) (80_000_000L * scale)),
            new Work("random updates, 8 MiB table per thread", 8, (long) (150_000_000L * scale)));
    // Compiled before anything is timed.
    compute(20_000_000L);
    random(new long[1 << 10], 20_000_000L);
    List<Row> rows = new ArrayList<>();
    for (Work w : works) {
      double alone = run(w, 1)[0];
      rows.add(new Row(w.name, alone, run(w, threads)));
    }
    return rows;
  }

  /** The rows as a markdown table. */
  static String table(List<Row> rows, int threads) {
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "| work | 1 thread: CPU s | %d threads at once: CPU s each | slowdown per thread |%n"
                + "|---|---|---|---|%n",
            threads));
    for (Row r : rows) {
      StringBuilder each = new StringBuilder();
      for (double t : r.together) {
        each.append(each.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%.2f", t));
      }
      s.append(
          String.format(
              Locale.ROOT, "| %s | %.2f | %s | %.2fx |%n", r.work, r.alone, each, r.slowdown()));
    }
    return s.toString();
  }

  /** Prints the probe's table for {@code threads} threads. */
  static void print(int threads) throws InterruptedException {
    System.out.println(
        "Probing how "
            + threads
            + " threads add up on this machine ("
            + Runtime.getRuntime().availableProcessors()
            + " processors)...");
    System.out.print(table(measure(threads, 1.0), threads));
    System.out.println(
        "A slowdown above 1.00x is time a second partition cannot win back on that kind of work.");
  }
}
