package dev.tripflow.pipelines.cli;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Beam validates every registered options interface by reflection when its options factory first
 * loads, which costs about 0.7 s of a tripflow start for the Flink and Spark runners' options
 * alone. A command line that does not select one of those runners (or the DirectRunner) does not
 * need their options, so the launcher's process hides those runners' option registrars (their
 * runner registrars stay, and so does everything else on the classpath), and those of options no
 * tripflow command reads. Installed once, by {@code main} only: a JVM that runs several command
 * lines (the tests) sees every option.
 */
public final class RunnerOptionsFilter extends ClassLoader {
  private static final String SERVICE =
      "META-INF/services/org.apache.beam.sdk.options.PipelineOptionsRegistrar";

  private final List<String> hiddenPackages;

  private RunnerOptionsFilter(ClassLoader parent, List<String> hiddenPackages) {
    super(parent);
    this.hiddenPackages = hiddenPackages;
  }

  /** Installs the filter as the thread's context class loader for the runner {@code args} name. */
  public static void install(String[] args) {
    if (args.length > 0 && args[0].equals("submit")) {
      // submit names the runner for the job it checks and runs: every runner's options stay.
      return;
    }
    String runner = runnerOf(args).toLowerCase(Locale.ROOT);
    List<String> hidden = new ArrayList<>();
    if (!runner.contains("flink")) {
      hidden.add("org.apache.beam.runners.flink.");
    }
    if (!runner.contains("spark")) {
      hidden.add("org.apache.beam.runners.spark.");
    }
    if (!runner.contains("direct")) {
      hidden.add("org.apache.beam.runners.direct.");
    }
    // Options nothing tripflow runs reads: cross-language expansion and portable SDK environments.
    // The GCP IOs' options stay: tripflow's BigQuery sink runs on BigQueryIO, whose options
    // (--bigQueryEndpoint, --bigQueryProject, ...) users give.
    hidden.add("org.apache.beam.sdk.util.construction.ExternalTranslationOptionsRegistrar");
    hidden.add("org.apache.beam.sdk.options.ManualDockerEnvironmentOptions");
    hidden.add("org.apache.beam.sdk.options.RemoteEnvironmentOptions");
    Thread t = Thread.currentThread();
    ClassLoader parent =
        t.getContextClassLoader() != null
            ? t.getContextClassLoader()
            : RunnerOptionsFilter.class.getClassLoader();
    t.setContextClassLoader(new RunnerOptionsFilter(parent, hidden));
  }

  static String runnerOf(String[] args) {
    for (int i = 0; i < args.length; i++) {
      if (args[i].startsWith("--runner=")) {
        return args[i].substring("--runner=".length());
      }
      if (args[i].equals("--runner") && i + 1 < args.length) {
        return args[i + 1];
      }
    }
    return "";
  }

  @Override
  protected Class<?> loadClass(String name, boolean resolve) throws ClassNotFoundException {
    return getParent().loadClass(name);
  }

  @Override
  public URL getResource(String name) {
    return getParent().getResource(name);
  }

  @Override
  public Enumeration<URL> getResources(String name) throws IOException {
    Enumeration<URL> all = getParent().getResources(name);
    if (!name.equals(SERVICE)) {
      return all;
    }
    // One merged service file without the hidden registrars.
    Set<String> lines = new LinkedHashSet<>();
    for (URL u : Collections.list(all)) {
      try (InputStream in = u.openStream()) {
        for (String line : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          String entry = line.replaceFirst("#.*", "").trim();
          if (!entry.isEmpty() && hiddenPackages.stream().noneMatch(entry::startsWith)) {
            lines.add(entry);
          }
        }
      }
    }
    byte[] merged = String.join("\n", lines).concat("\n").getBytes(StandardCharsets.UTF_8);
    URL url =
        new URL(
            null,
            "tripflow-services:" + SERVICE,
            new URLStreamHandler() {
              @Override
              protected URLConnection openConnection(URL u) {
                return new URLConnection(u) {
                  @Override
                  public void connect() {}

                  @Override
                  public InputStream getInputStream() {
                    return new ByteArrayInputStream(merged);
                  }
                };
              }
            });
    return Collections.enumeration(List.of(url));
  }
}
