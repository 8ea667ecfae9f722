package dev.tripflow.io.output;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertThrows;
import static org.junit.Assert.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/** The rules checked before a run: overlaps, save modes, what may be replaced. */
public class OutputPlanTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private static String refusal(OutputPlan.Builder plan) {
    OutputPlan.RefusedException e =
        assertThrows(OutputPlan.RefusedException.class, () -> plan.build().prepare());
    assertEquals("one line: " + e.getMessage(), 1, e.getMessage().lines().count());
    return e.getMessage();
  }

  private static OutputPlan.Builder overwrite() {
    return OutputPlan.builder(OutputMode.OVERWRITE);
  }

  @Test
  public void anOutputMayNotBeContainOrLieInsideAnInputOrAnotherOutput() throws Exception {
    Path root = tmp.getRoot().toPath();
    Path in = Files.createDirectories(root.resolve("data/pq/green/2020/01"));
    Files.writeString(in.resolve("part-0.parquet"), "x");
    String glob = root + "/data/pq/green/*/*/*.parquet";
    assertTrue(
        refusal(overwrite().input("inputGreen", glob).output("output", root + "/data/pq/green"))
            .contains("--output=" + root + "/data/pq/green: is the input --inputGreen=" + glob));
    assertTrue(
        refusal(overwrite().input("inputGreen", glob).output("output", root + "/data"))
            .contains(": contains the input --inputGreen"));
    assertTrue(
        refusal(overwrite().input("inputGreen", glob).output("output", in + "/report"))
            .contains(": lies inside the input --inputGreen"));
    String file = in + "/part-0.parquet";
    assertTrue(
        refusal(overwrite().input("input", file).output("output", in.toString()))
            .contains(": contains the input --input=" + file));
    assertTrue(
        refusal(overwrite().output("output", root + "/out").output("dead", root + "/out/"))
            .contains("--dead=" + root + "/out: is also the output --output=" + root + "/out"));
    assertTrue(
        refusal(overwrite().output("output", root + "/out").output("dead", root + "/out/x"))
            .contains(": lies inside the output --output"));
    // A symbolic link to the input is the input.
    Path link = Files.createSymbolicLink(root.resolve("link"), in);
    assertTrue(
        refusal(overwrite().input("input", in + "/*.parquet").output("output", link.toString()))
            .contains(": is the input"));
    // Beside the input is fine, and so is a name that only starts like it.
    assertEquals(
        Optional.empty(),
        overwrite()
            .input("input", in + "/*.parquet")
            .output("output", in + "-out")
            .build()
            .prepare());
    assertEquals(List.of("part-0.parquet"), names(in));
  }

  @Test
  public void overwriteReplacesOnlyEmptyOrTripflowsOwnDirectories() throws Exception {
    Path root = tmp.getRoot().toPath();
    Path empty = Files.createDirectories(root.resolve("empty"));
    assertEquals(
        Optional.empty(), overwrite().output("output", empty.toString()).build().prepare());

    Path notes = Files.createDirectories(root.resolve("notes"));
    Files.writeString(notes.resolve("notes.txt"), "mine");
    assertTrue(
        refusal(overwrite().output("output", notes.toString()))
            .contains(
                "--output="
                    + notes
                    + ": exists and was not written by tripflow (no _SUCCESS manifest; it holds"
                    + " notes.txt)"));

    Path ours = Files.createDirectories(root.resolve("ours"));
    Files.writeString(ours.resolve("part-00000.parquet"), "x");
    Files.write(
        ours.resolve(Manifest.NAME),
        new Manifest(
                "20200101-000000-00000000",
                List.of(new Manifest.FileEntry("part-00000.parquet", 1, 1)),
                List.of())
            .toJson());
    assertEquals(Optional.empty(), overwrite().output("output", ours.toString()).build().prepare());
    Files.writeString(ours.resolve("notes.txt"), "mine");
    assertTrue(
        refusal(overwrite().output("output", ours.toString()))
            .contains(": holds files tripflow did not write (notes.txt)"));

    assertTrue(
        refusal(overwrite().output("output", ours + "/monthly/2020-01"))
            .contains(": lies inside " + ours + ", an output tripflow committed"));

    Path file = Files.writeString(root.resolve("a-file"), "x");
    assertTrue(
        refusal(overwrite().output("output", file.toString()))
            .contains(": exists and is a file, not a directory"));
    assertTrue(refusal(overwrite().output("output", "/")).contains("the root directory"));
    assertTrue(
        refusal(overwrite().output("output", "gs://bucket/"))
            .contains("a bucket's root cannot be replaced"));
    assertEquals(List.of("notes.txt"), names(notes));
  }

  @Test
  public void errorIfExistsAndIgnore() throws Exception {
    Path root = tmp.getRoot().toPath();
    Path existing = Files.createDirectories(root.resolve("existing"));
    assertTrue(
        refusal(
                OutputPlan.builder(OutputMode.ERROR_IF_EXISTS)
                    .output("output", existing.toString()))
            .contains("--output=" + existing + ": already exists (--mode=errorIfExists)"));
    assertEquals(
        Optional.empty(),
        OutputPlan.builder(OutputMode.ERROR_IF_EXISTS)
            .output("output", root + "/new")
            .build()
            .prepare());
    Path quiet = tmp.newFolder("quiet").toPath();
    Optional<String> skipped =
        OutputPlan.builder(OutputMode.IGNORE)
            .output("output", quiet + "/fresh")
            .output("dead", existing.toString())
            .build()
            .prepare();
    assertEquals(
        Optional.of("nothing written: --dead=" + existing + " exists (--mode=ignore)"), skipped);
    // Ignored, the run marked nothing.
    assertEquals(List.of(), names(quiet));
  }

  @Test
  public void singleFileOutputs() throws Exception {
    Path root = tmp.getRoot().toPath();
    Path model = Files.writeString(root.resolve("model.json"), "{\"ours\":true}");
    Path other = Files.writeString(root.resolve("notes.json"), "{}");
    assertEquals(
        Optional.empty(),
        overwrite()
            .outputFile("output", model.toString(), "model", b -> new String(b).contains("ours"))
            .build()
            .prepare());
    assertTrue(
        refusal(
                overwrite()
                    .outputFile(
                        "output", other.toString(), "model", b -> new String(b).contains("ours")))
            .contains(": exists and is not a model written by tripflow"));
    assertTrue(
        refusal(
                overwrite()
                    .input("input", root + "/*.json")
                    .outputFile("output", model.toString(), "model", b -> true))
            .contains(": lies inside the input --input"));
  }

  @Test
  public void globRoots() {
    assertEquals("data/pq/green", OutputPlan.globRoot("data/pq/green/*/*/*.parquet"));
    assertEquals("data/pq/green", OutputPlan.globRoot("data/pq/green/{yyyy}/{MM}/*.parquet"));
    assertEquals("a/b.parquet", OutputPlan.globRoot("a/b.parquet"));
    assertEquals("gs://bucket", OutputPlan.globRoot("gs://bucket/*.parquet"));
    assertEquals("/", OutputPlan.globRoot("/*.parquet"));
    assertEquals(".", OutputPlan.globRoot("*.parquet"));
  }

  private static List<String> names(Path dir) throws Exception {
    try (var s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }
}
