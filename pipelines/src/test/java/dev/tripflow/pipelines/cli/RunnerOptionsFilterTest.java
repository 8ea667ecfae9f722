package dev.tripflow.pipelines.cli;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertFalse;
import static org.junit.Assert.assertSame;
import static org.junit.Assert.assertTrue;

import java.io.InputStream;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.Test;

/** The launcher hides the option registrars of the Flink and Spark runners unless selected. */
public class RunnerOptionsFilterTest {
  private static final String SERVICE =
      "META-INF/services/org.apache.beam.sdk.options.PipelineOptionsRegistrar";

  private static List<String> registrarsSeenWith(String... args) throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    try {
      RunnerOptionsFilter.install(args);
      List<String> lines = new ArrayList<>();
      for (URL u : Collections.list(t.getContextClassLoader().getResources(SERVICE))) {
        try (InputStream in = u.openStream()) {
          for (String l : new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n")) {
            if (!l.isBlank() && !l.startsWith("#")) {
              lines.add(l.trim());
            }
          }
        }
      }
      return lines;
    } finally {
      t.setContextClassLoader(before);
    }
  }

  @Test
  public void hidesUnselectedRunnersOptionsOnly() throws Exception {
    List<String> plain = registrarsSeenWith("revenue-report");
    assertTrue(plain.toString(), plain.stream().anyMatch(l -> l.contains("PartitionedRunner")));
    assertTrue(plain.toString(), plain.stream().anyMatch(l -> l.contains("GcpPipelineOptions")));
    assertFalse(plain.toString(), plain.stream().anyMatch(l -> l.contains("runners.flink")));
    assertFalse(plain.toString(), plain.stream().anyMatch(l -> l.contains("runners.spark")));
    assertFalse(plain.toString(), plain.stream().anyMatch(l -> l.contains("runners.direct")));
    // BigQueryIO's options (--bigQueryEndpoint) are the user's: they stay.
    assertTrue(plain.toString(), plain.stream().anyMatch(l -> l.contains("GcpIoPipeline")));

    List<String> direct = registrarsSeenWith("revenue-report", "--runner=DirectRunner");
    assertTrue(direct.toString(), direct.stream().anyMatch(l -> l.contains("runners.direct")));

    List<String> flink = registrarsSeenWith("revenue-report", "--runner", "FlinkRunner");
    assertTrue(flink.toString(), flink.stream().anyMatch(l -> l.contains("runners.flink")));
    assertFalse(flink.toString(), flink.stream().anyMatch(l -> l.contains("runners.spark")));

    List<String> spark = registrarsSeenWith("revenue-report", "--runner=SparkRunner");
    assertTrue(spark.toString(), spark.stream().anyMatch(l -> l.contains("runners.spark")));
  }

  @Test
  public void classesStillComeFromTheApplicationLoader() throws Exception {
    Thread t = Thread.currentThread();
    ClassLoader before = t.getContextClassLoader();
    try {
      RunnerOptionsFilter.install(new String[] {"show"});
      Class<?> c =
          Class.forName(
              "org.apache.beam.runners.flink.FlinkRunner", false, t.getContextClassLoader());
      assertSame(Class.forName("org.apache.beam.runners.flink.FlinkRunner"), c);
      assertEquals("", RunnerOptionsFilter.runnerOf(new String[] {"show", "--input=x"}));
    } finally {
      t.setContextClassLoader(before);
    }
  }
}
