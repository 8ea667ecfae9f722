package dev.tripflow.pipelines;

import dev.tripflow.io.csv.CsvRowFileWriter;
import dev.tripflow.io.output.OutputGroup;
import dev.tripflow.io.output.OutputMode;
import dev.tripflow.io.output.OutputPlan;
import dev.tripflow.io.parquet.ParquetRowFileWriter;
import dev.tripflow.pipelines.options.UsageException;
import dev.tripflow.transforms.sample.TripGenerator;
import dev.tripflow.transforms.sample.TripGenerator.Service;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.apache.beam.sdk.values.Row;

/**
 * Writes the synthetic sample data set: per service and month, Parquet part files in the course's
 * layout {@code pq/<service>/<yyyy>/<MM>/part-NNNNN.parquet} and gzip CSV {@code
 * raw/<service>/<yyyy>/<MM>/<service>_tripdata_<yyyy>_<MM>.csv.gz}. Each file is written under a
 * temporary name and renamed when complete; a marker file records what was generated.
 */
public final class SampleData {
  private SampleData() {}

  /** The marker written last into the output directory. */
  public static final String MARKER = "tripflow-sample.properties";

  /** The default sample: 100,000 green + yellow trips of 2020 under {@code ./data}. */
  public static final long DEFAULT_ROWS = 100_000;

  private static final DateTimeFormatter CSV_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss", Locale.ROOT);

  /** What to generate. */
  public record Spec(
      Path output,
      int year,
      Map<Service, Long> rowsPerService,
      boolean parquet,
      boolean csv,
      long seed,
      long rowsPerFile,
      double malformedFraction,
      int threads) {

    static Spec parse(
        String output,
        int year,
        long rows,
        double fraction,
        long fhvhvRows,
        String services,
        String formats,
        long seed,
        long rowsPerFile,
        double malformedFraction,
        int threads) {
      long taxiRows =
          fraction > 0 ? Math.round(fraction * TripGenerator.REAL_2020_TAXI_ROWS) : rows;
      long fhvhv = fhvhvRows >= 0 ? fhvhvRows : taxiRows / 4;
      long green = TripGenerator.greenShare(taxiRows);
      Map<Service, Long> perService = new EnumMap<>(Service.class);
      for (String s : split(services, "--services")) {
        Service service;
        try {
          service = Service.parse(s);
        } catch (IllegalArgumentException e) {
          throw new UsageException("--services: " + e.getMessage());
        }
        perService.put(
            service,
            service == Service.GREEN
                ? green
                : service == Service.YELLOW ? taxiRows - green : fhvhv);
      }
      boolean parquet = false;
      boolean csv = false;
      for (String f : split(formats, "--formats")) {
        switch (f) {
          case "parquet":
            parquet = true;
            break;
          case "csv":
            csv = true;
            break;
          default:
            throw new UsageException("--formats: unknown format '" + f + "' (parquet, csv)");
        }
      }
      int t = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
      return new Spec(
          Path.of(output), year, perService, parquet, csv, seed, rowsPerFile, malformedFraction, t);
    }

    private static Set<String> split(String list, String option) {
      Set<String> out = new LinkedHashSet<>();
      for (String s : list.split(",")) {
        if (!s.isBlank()) {
          out.add(s.trim().toLowerCase(Locale.ROOT));
        }
      }
      if (out.isEmpty()) {
        throw new UsageException(option + " names nothing");
      }
      return out;
    }
  }

  /** What was written. */
  public static final class Report {
    final Map<Service, AtomicLong> rows = new EnumMap<>(Service.class);
    final Map<Service, AtomicLong> files = new EnumMap<>(Service.class);
    final AtomicLong malformed = new AtomicLong();
    Path output;

    /** Rows generated for a service. */
    public long rows(Service s) {
      AtomicLong n = rows.get(s);
      return n == null ? 0 : n.get();
    }

    /** Malformed CSV lines written in place of good ones. */
    public long malformedLines() {
      return malformed.get();
    }

    void print(PrintStream out) {
      for (Map.Entry<Service, AtomicLong> e : rows.entrySet()) {
        out.printf(
            Locale.ROOT,
            "  %-7s %,12d rows  %,5d files%n",
            e.getKey().pathName(),
            e.getValue().get(),
            files.get(e.getKey()).get());
      }
      if (malformed.get() > 0) {
        out.printf(Locale.ROOT, "  malformed CSV lines written: %,d%n", malformed.get());
      }
      out.println("  output: " + output.toAbsolutePath());
    }
  }

  /** Generates everything {@code spec} asks for, replacing the months it writes. */
  public static Report generate(Spec spec, PrintStream progress) throws Exception {
    return generate(spec, progress, OutputMode.OVERWRITE);
  }

  /** The month directories {@code spec} writes, Parquet then CSV, each service in order. */
  static List<String> targets(Spec spec) {
    List<String> dirs = new ArrayList<>();
    for (Service service : spec.rowsPerService().keySet()) {
      for (int m = 1; m <= 12; m++) {
        if (spec.parquet()) {
          dirs.add(monthDir(spec, "pq", service, m).toString());
        }
        if (spec.csv()) {
          dirs.add(monthDir(spec, "raw", service, m).toString());
        }
      }
    }
    return dirs;
  }

  private static Path monthDir(Spec spec, String format, Service service, int month) {
    return spec.output()
        .toAbsolutePath()
        .resolve(format)
        .resolve(service.pathName())
        .resolve(String.valueOf(spec.year()))
        .resolve(String.format(Locale.ROOT, "%02d", month));
  }

  /**
   * Generates everything {@code spec} asks for, printing one progress line per month. Every month
   * directory written is an output of the run: {@code mode} decides about existing ones, and they
   * are committed together (with their manifests) once all are written.
   *
   * @return the report, or null when {@code mode} is ignore and a month exists (nothing written)
   */
  public static Report generate(Spec spec, PrintStream progress, OutputMode mode) throws Exception {
    OutputPlan.Builder outputs = OutputPlan.builder(mode);
    for (String dir : targets(spec)) {
      outputs.output("output", dir);
    }
    OutputPlan plan = outputs.build();
    try {
      java.util.Optional<String> skipped = plan.prepare();
      if (skipped.isPresent()) {
        progress.println(skipped.get());
        return null;
      }
    } catch (OutputPlan.RefusedException e) {
      throw new UsageException(e.getMessage());
    }
    OutputGroup group = plan.group();
    Files.createDirectories(spec.output());
    Files.deleteIfExists(spec.output().resolve(MARKER));
    try {
      Report report = generate(spec, progress, group);
      group.commitNow();
      writeMarker(spec, report);
      return report;
    } catch (Exception | Error e) {
      plan.abort();
      throw e;
    }
  }

  private static Report generate(Spec spec, PrintStream progress, OutputGroup group)
      throws Exception {
    TripGenerator generator = new TripGenerator(spec.seed());
    Report report = new Report();
    report.output = spec.output();
    List<Future<?>> tasks = new ArrayList<>();
    ExecutorService pool = Executors.newFixedThreadPool(spec.threads());
    try {
      for (Map.Entry<Service, Long> e : spec.rowsPerService().entrySet()) {
        Service service = e.getKey();
        report.rows.put(service, new AtomicLong());
        report.files.put(service, new AtomicLong());
        long[] perMonth = TripGenerator.monthlyVolumes(service, e.getValue());
        for (int m = 1; m <= 12; m++) {
          int month = m;
          long count = perMonth[m - 1];
          tasks.add(
              pool.submit(
                  () -> {
                    writeMonth(spec, generator, service, month, count, report, group);
                    synchronized (progress) {
                      progress.printf(
                          Locale.ROOT,
                          "  %s %d-%02d: %,d rows%n",
                          service.pathName(),
                          spec.year(),
                          month,
                          count);
                    }
                    return null;
                  }));
        }
      }
      for (Future<?> f : tasks) {
        f.get();
      }
    } finally {
      pool.shutdownNow();
    }
    return report;
  }

  private static void writeMarker(Spec spec, Report report) throws IOException {
    Properties marker = new Properties();
    marker.setProperty("year", String.valueOf(spec.year()));
    marker.setProperty("seed", String.valueOf(spec.seed()));
    for (Service s : report.rows.keySet()) {
      marker.setProperty("rows." + s.pathName(), String.valueOf(report.rows(s)));
    }
    marker.setProperty("malformedLines", String.valueOf(report.malformedLines()));
    Path tmp = spec.output().resolve(MARKER + ".tmp");
    try (var w = Files.newBufferedWriter(tmp)) {
      marker.store(w, "written by tripflow generate");
    }
    Files.move(tmp, spec.output().resolve(MARKER), StandardCopyOption.ATOMIC_MOVE);
  }

  private static void writeMonth(
      Spec spec,
      TripGenerator generator,
      Service service,
      int month,
      long count,
      Report report,
      OutputGroup group)
      throws IOException {
    String yyyy = String.valueOf(spec.year());
    String mm = String.format(Locale.ROOT, "%02d", month);
    if (spec.parquet()) {
      String target = monthDir(spec, "pq", service, month).toString();
      Path dir = Path.of(group.stagingOf(target));
      Iterator<Row> trips = generator.trips(service, spec.year(), month, count);
      Map<String, Long> rows = new java.util.HashMap<>();
      int part = 0;
      do {
        Path file = dir.resolve(String.format(Locale.ROOT, "part-%05d.parquet", part++));
        Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
        long written = 0;
        try (ParquetRowFileWriter w = ParquetRowFileWriter.open(tmp, service.schema())) {
          while (trips.hasNext() && written < spec.rowsPerFile()) {
            w.write(trips.next());
            written++;
          }
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        rows.put(file.toString(), written);
        report.files.get(service).incrementAndGet();
      } while (trips.hasNext());
      // The generator counted what it wrote: no need to read the files back.
      group.staged(target, f -> rows.getOrDefault(Path.of(f).toString(), -1L));
    }
    if (spec.csv()) {
      String target = monthDir(spec, "raw", service, month).toString();
      Path dir = Path.of(group.stagingOf(target));
      String name = service.pathName() + "_tripdata_" + yyyy + "_" + mm + ".csv.gz";
      Path tmp = dir.resolve("." + name + ".tmp.gz");
      SplittableRandom corrupt =
          new SplittableRandom(spec.seed() * 31 + service.ordinal() * 1000L + month);
      long malformed = 0;
      try (CsvRowFileWriter w = CsvRowFileWriter.open(tmp, service.schema())) {
        Iterator<Row> trips = generator.trips(service, spec.year(), month, count);
        while (trips.hasNext()) {
          Row row = trips.next();
          if (spec.malformedFraction() > 0 && corrupt.nextDouble() < spec.malformedFraction()) {
            w.writeRawLine(malformedLine(row, corrupt.nextInt(3)));
            malformed++;
          } else {
            w.write(row);
          }
        }
      }
      Files.move(
          tmp,
          dir.resolve(name),
          StandardCopyOption.ATOMIC_MOVE,
          StandardCopyOption.REPLACE_EXISTING);
      group.staged(target, f -> count);
      report.malformed.addAndGet(malformed);
      if (!spec.parquet()) {
        report.files.get(service).incrementAndGet();
      }
    }
    report.rows.get(service).addAndGet(count);
  }

  /** A line that must land in the dead-letter output: too few fields, a bad number or time. */
  static String malformedLine(Row row, int kind) {
    List<String> fields = new ArrayList<>();
    for (Object v : row.getValues()) {
      fields.add(
          v == null ? "" : v instanceof LocalDateTime t ? CSV_TIME.format(t) : String.valueOf(v));
    }
    switch (kind) {
      case 0:
        return String.join(",", fields.subList(0, fields.size() - 2));
      case 1:
        int numeric = firstIndexOf(row, Long.class, Double.class);
        fields.set(numeric, "abc");
        return String.join(",", fields);
      default:
        int time = firstIndexOf(row, LocalDateTime.class);
        fields.set(time, "2020-13-45 99:00:00");
        return String.join(",", fields);
    }
  }

  private static int firstIndexOf(Row row, Class<?>... types) {
    for (int i = 0; i < row.getFieldCount(); i++) {
      Object v = row.getValue(i);
      for (Class<?> t : types) {
        if (t.isInstance(v)) {
          return i;
        }
      }
    }
    return 0;
  }

  /**
   * Makes sure the default sample exists under {@code dir}, generating it (100,000 trips of 2020)
   * when the marker file is missing; returns whether it generated.
   */
  public static boolean ensureDefault(Path dir, PrintStream progress) throws Exception {
    if (Files.exists(dir.resolve(MARKER))) {
      return false;
    }
    progress.println(
        "No sample data under " + dir.toAbsolutePath() + ": generating it (first use only)...");
    Spec spec =
        Spec.parse(
            dir.toString(),
            2020,
            DEFAULT_ROWS,
            0,
            -1,
            "green,yellow,fhvhv",
            "parquet,csv",
            42,
            1_000_000,
            0.0,
            0);
    generate(spec, progress);
    return true;
  }
}
