package dev.tripflow.pipelines.cli;

import dev.tripflow.pipelines.options.Roles;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.net.URLConnection;
import java.net.URLStreamHandler;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;

/**
 * The options registrars one command line needs, as the context class loader Beam's options factory
 * finds them through: all of them except runners' the line does not select and a few nothing runs
 * (cross-language expansion, portable SDK environments), and never one that declares an option the
 * line names. Beam validates every registered options interface against the others when its factory
 * first loads, and the unselected Flink, Spark and Direct runners' interfaces cost more start-up
 * than the rest of it (docs/benchmarks.md, "Start-up"); every option stays accepted. Installed by
 * {@code main} only: a JVM that runs several command lines (the tests) registers everything.
 */
public final class OptionRegistrars extends ClassLoader {
  private static final String SERVICE =
      "META-INF/services/org.apache.beam.sdk.options.PipelineOptionsRegistrar";

  /** Registrars left out unless the runner or an option given needs them (prefixes). */
  private static final List<String> ON_DEMAND =
      List.of(
          "org.apache.beam.runners.flink.",
          "org.apache.beam.runners.spark.",
          "org.apache.beam.runners.direct.",
          "org.apache.beam.sdk.util.construction.ExternalTranslationOptionsRegistrar",
          "org.apache.beam.sdk.options.ManualDockerEnvironmentOptions",
          "org.apache.beam.sdk.options.RemoteEnvironmentOptions");

  private final String runner;
  private final Set<String> given;

  private OptionRegistrars(ClassLoader parent, String runner, Set<String> given) {
    super(parent);
    this.runner = runner;
    this.given = given;
  }

  /** Installs the view as the thread's context class loader for the command line {@code args}. */
  public static void install(String[] args) {
    if (args.length > 0 && args[0].equals("submit")) {
      return; // submit checks the job's options for the runner it names: all stay
    }
    Set<String> given = new LinkedHashSet<>();
    for (String a : args) {
      if (a.startsWith("--") && a.length() > 2) {
        int eq = a.indexOf('=');
        given.add(a.substring(2, eq < 0 ? a.length() : eq));
      }
    }
    Thread t = Thread.currentThread();
    ClassLoader parent =
        t.getContextClassLoader() != null
            ? t.getContextClassLoader()
            : OptionRegistrars.class.getClassLoader();
    t.setContextClassLoader(
        new OptionRegistrars(parent, runnerOf(args).toLowerCase(Locale.ROOT), given));
  }

  /** Whether the registrar class {@code entry} is registered for this command line. */
  boolean needed(String entry) {
    String onDemand = ON_DEMAND.stream().filter(entry::startsWith).findFirst().orElse(null);
    if (onDemand == null) {
      return true;
    }
    String runnerName = onDemand.replaceFirst("^org\\.apache\\.beam\\.runners\\.(\\w+)\\.$", "$1");
    if (!runnerName.equals(onDemand) && runner.contains(runnerName)) {
      return true;
    }
    return declaresGiven(entry);
  }

  /**
   * Whether {@code declaring} is {@code iface}'s own, not a core interface every options interface
   * extends ({@code --runner} is everyone's and needs no particular registrar).
   */
  private static boolean ownOption(Class<?> iface, Class<?> declaring) {
    String pkg = declaring.getPackageName();
    return declaring == iface
        || (!pkg.equals("org.apache.beam.sdk.options") && pkg.equals(iface.getPackageName()));
  }

  private boolean declaresGiven(String registrar) {
    try {
      Object r =
          Class.forName(registrar, false, getParent()).getDeclaredConstructor().newInstance();
      for (Class<?> iface : ((PipelineOptionsRegistrar) r).getPipelineOptions()) {
        for (Method m : iface.getMethods()) {
          String p = Roles.property(m);
          if (p != null && given.contains(p) && ownOption(iface, m.getDeclaringClass())) {
            return true;
          }
        }
      }
      return false;
    } catch (ReflectiveOperationException | LinkageError | ClassCastException e) {
      return true; // cannot tell: register it
    }
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
          if (!entry.isEmpty() && needed(entry)) {
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
