package dev.tripflow.deploy.artifacts;

import dev.tripflow.pipelines.options.UsageException;
import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * What the build leaves beside the bundled jar in a tripflow source tree: the engines' own jars
 * that the daemons of {@code tripflow cluster start} run on ({@code
 * cluster-engines/flink/target/lib}, {@code cluster-engines/spark/target/jars}) and the slim job
 * jars ({@code job-jars/<engine>/target/tripflow-<engine>-job.jar}). The tree is found from the
 * bundled jar tripflow runs from ({@code deploy/target/tripflow-bundled.jar}), or {@code
 * -Dtripflow.root}.
 */
public final class BuildArtifacts {
  private BuildArtifacts() {}

  /** The source tree this tripflow was built in, if it runs from there. */
  public static Optional<Path> root() {
    String given = System.getProperty("tripflow.root");
    if (given != null && !given.isBlank()) {
      return Optional.of(Path.of(given).toAbsolutePath().normalize());
    }
    return runningJar()
        .map(jar -> jar.toAbsolutePath().getParent())
        .filter(target -> target.getParent() != null && target.getParent().getParent() != null)
        .map(target -> target.getParent().getParent())
        .filter(root -> Files.isRegularFile(root.resolve("cluster-engines/pom.xml")));
  }

  /** The bundled jar tripflow runs from, if it runs from a jar. */
  public static Optional<Path> runningJar() {
    try {
      var source = BuildArtifacts.class.getProtectionDomain().getCodeSource();
      if (source == null) {
        return Optional.empty();
      }
      Path p = Path.of(source.getLocation().toURI());
      return Files.isRegularFile(p) && p.toString().endsWith(".jar")
          ? Optional.of(p)
          : Optional.empty();
    } catch (URISyntaxException | IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /**
   * The directory of an engine's jars ({@code flink} or {@code spark}), as its distribution's
   * {@code lib/} or {@code jars/}; empty when tripflow does not run from a source tree.
   */
  public static Optional<Path> engineJars(String engine) {
    Optional<Path> root = root();
    if (root.isEmpty()) {
      return Optional.empty();
    }
    String sub = engine.equals("spark") ? "jars" : "lib";
    Path dir = root.get().resolve("cluster-engines").resolve(engine).resolve("target").resolve(sub);
    if (!Files.isDirectory(dir)) {
      throw new UsageException(
          "no "
              + title(engine)
              + " jars at "
              + dir
              + ": build them with 'mvn package -pl cluster-engines/"
              + engine
              + "' (./tripflow builds them with the bundled jar)");
    }
    return Optional.of(dir);
  }

  /** The jars in {@code dir}, sorted by name. */
  public static List<Path> jarsIn(Path dir) throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.toString().endsWith(".jar")).sorted().toList();
    }
  }

  /** The slim job jar of an engine ({@code flink} or {@code spark}) in this source tree. */
  public static Path jobJar(String engine) {
    Path root =
        root()
            .orElseThrow(
                () ->
                    new UsageException(
                        "tripflow does not run from its source tree here, so it cannot find"
                            + " tripflow-"
                            + engine
                            + "-job.jar; pass --jar=FILE"));
    Path jar =
        root.resolve("job-jars")
            .resolve(engine)
            .resolve("target")
            .resolve("tripflow-" + engine + "-job.jar");
    if (!Files.isRegularFile(jar)) {
      throw new UsageException(
          "no "
              + title(engine)
              + " job jar at "
              + jar
              + ": build it with 'mvn package -pl job-jars/"
              + engine
              + " -am' (./tripflow builds it with the bundled jar)");
    }
    return jar;
  }

  private static String title(String engine) {
    return engine.substring(0, 1).toUpperCase(Locale.ROOT) + engine.substring(1);
  }
}
