package dev.tripflow.pipelines.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import dev.tripflow.pipelines.options.Roles;
import java.io.InputStream;
import java.lang.reflect.Method;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.beam.sdk.options.PipelineOptionsRegistrar;
import org.junit.Test;

/**
 * The launcher registers the options a command line needs: unselected runners' registrars stay out
 * unless an option of theirs is given, and no option of any registrar is ever refused for it.
 */
public class OptionRegistrarsTest {
  private static final String SERVICE =
      "META-INF/services/org.apache.beam.sdk.options.PipelineOptionsRegistrar";

  private static List<String> registrars(ClassLoader loader) throws Exception {
    List<String> lines = new ArrayList<>();
    for (URL u : Collections.list(loader.getResources(SERVICE))) {
      try (InputStream in = u.openStream()) {
        for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
          String entry = l.replaceFirst("#.*", "").trim();
          if (!entry.isEmpty()) {
            lines.add(entry);
          }
        }
      }
    }
    return lines;
  }

  private static List<String> registrarsSeenWith(String... args) throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    try {
      OptionRegistrars.install(args);
      return registrars(t.getContextClassLoader());
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Test
  public void leavesOutUnselectedRunnersOptions() throws Exception {
    List<String> plain = registrarsSeenWith("revenue-report");
    assertTrue(plain.toString(), plain.stream().anyMatch(l -> l.contains("PartitionedRunner")));
    assertTrue(plain.toString(), plain.stream().anyMatch(l -> l.contains("GcpIoPipeline")));
    assertFalse(plain.toString(), plain.stream().anyMatch(l -> l.contains("runners.flink")));
    assertFalse(plain.toString(), plain.stream().anyMatch(l -> l.contains("runners.spark")));
    assertFalse(plain.toString(), plain.stream().anyMatch(l -> l.contains("runners.direct")));

    List<String> flink = registrarsSeenWith("revenue-report", "--runner", "FlinkRunner");
    assertTrue(flink.toString(), flink.stream().anyMatch(l -> l.contains("runners.flink")));
    assertFalse(flink.toString(), flink.stream().anyMatch(l -> l.contains("runners.spark")));
    List<String> spark = registrarsSeenWith("revenue-report", "--runner=SparkRunner");
    assertTrue(spark.toString(), spark.stream().anyMatch(l -> l.contains("runners.spark")));
  }

  /** Every option any registrar on the classpath declares, given alone, keeps its registrar. */
  @Test
  public void everyOptionOnTheClasspathStaysAccepted() throws Exception {
    Map<String, java.util.Set<String>> owner = new TreeMap<>();
    for (String entry : registrars(getClass().getClassLoader())) {
      PipelineOptionsRegistrar r =
          (PipelineOptionsRegistrar) Class.forName(entry).getDeclaredConstructor().newInstance();
      for (Class<?> iface : r.getPipelineOptions()) {
        for (Method m : iface.getMethods()) {
          String p = Roles.property(m);
          if (p != null && m.getDeclaringClass() != Object.class) {
            owner.computeIfAbsent(p, k -> new java.util.TreeSet<>()).add(entry);
          }
        }
      }
    }
    assertTrue(owner.toString(), owner.containsKey("flinkMaster"));
    assertTrue(owner.toString(), owner.containsKey("bigQueryEndpoint"));
    for (Map.Entry<String, java.util.Set<String>> e : owner.entrySet()) {
      List<String> seen = registrarsSeenWith("revenue-report", "--" + e.getKey() + "=x");
      assertTrue(
          "--" + e.getKey() + " of " + e.getValue(),
          seen.stream().anyMatch(e.getValue()::contains));
    }
  }

  @Test
  public void classesStillComeFromTheApplicationLoader() throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    try {
      OptionRegistrars.install(new String[] {"show"});
      Class<?> c =
          Class.forName(
              "org.apache.beam.runners.flink.FlinkRunner", false, t.getContextClassLoader());
      assertSame(Class.forName("org.apache.beam.runners.flink.FlinkRunner"), c);
      assertEquals("", OptionRegistrars.runnerOf(new String[] {"show", "--input=x"}));
    } finally {
      t.setContextClassLoader(before);
    }
  }
}
