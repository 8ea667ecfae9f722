package dev.tripflow.io.output;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The {@code _SUCCESS} file of an output directory that tripflow committed, written last like
 * Hadoop's committer marker: the run that wrote it, every file committed with its row count and
 * size, and the other outputs of the same run (committed together). A directory holding one is
 * tripflow's own, and {@code --mode=overwrite} may replace it; the summary's counts are read from
 * it, so they are facts about the committed files.
 *
 * <pre>{@code
 * {"writer":"tripflow","version":1,"run":"20261206-101500-3f9a1c2e","rows":4530,
 *  "files":[{"name":"part-00000.parquet","rows":4530,"bytes":210422}],
 *  "outputs":["/data/report/revenue"]}
 * }</pre>
 */
public record Manifest(String run, List<FileEntry> files, List<String> outputs) {
  /** The manifest's name in an output directory. */
  public static final String NAME = "_SUCCESS";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One committed file: its name in the directory, its rows (-1 when unknown) and bytes. */
  public record FileEntry(String name, long rows, long bytes) {}

  public Manifest {
    files = List.copyOf(files);
    outputs = List.copyOf(outputs);
  }

  /** Rows in all files; -1 when some file's count is unknown. */
  public long rows() {
    long total = 0;
    for (FileEntry f : files) {
      if (f.rows() < 0) {
        return -1;
      }
      total += f.rows();
    }
    return total;
  }

  /** The names of the committed files. */
  public List<String> fileNames() {
    List<String> names = new ArrayList<>();
    files.forEach(f -> names.add(f.name()));
    return names;
  }

  byte[] toJson() {
    ObjectNode root = JSON.createObjectNode();
    root.put("writer", "tripflow");
    root.put("version", 1);
    root.put("run", run);
    root.put("rows", rows());
    ArrayNode list = root.putArray("files");
    for (FileEntry f : files) {
      list.addObject().put("name", f.name()).put("rows", f.rows()).put("bytes", f.bytes());
    }
    ArrayNode outs = root.putArray("outputs");
    outputs.forEach(outs::add);
    try {
      return JSON.writerWithDefaultPrettyPrinter()
          .writeValueAsString(root)
          .concat("\n")
          .getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * Parses a manifest; empty when the bytes are not a tripflow manifest (e.g. Spark's empty one).
   */
  static Optional<Manifest> parse(byte[] bytes) {
    JsonNode root;
    try {
      root = JSON.readTree(bytes);
    } catch (IOException e) {
      return Optional.empty();
    }
    if (root == null
        || !root.isObject()
        || !"tripflow".equals(root.path("writer").asText())
        || !root.path("files").isArray()) {
      return Optional.empty();
    }
    List<FileEntry> files = new ArrayList<>();
    for (JsonNode f : root.path("files")) {
      files.add(
          new FileEntry(
              f.path("name").asText(), f.path("rows").asLong(-1), f.path("bytes").asLong()));
    }
    List<String> outputs = new ArrayList<>();
    root.path("outputs").forEach(o -> outputs.add(o.asText()));
    return Optional.of(new Manifest(root.path("run").asText(), files, outputs));
  }

  /** The manifest of output directory {@code dir}; empty when it has none that tripflow wrote. */
  public static Optional<Manifest> of(String dir) throws IOException {
    Store store = Store.of(dir);
    String file = Store.child(dir, NAME);
    if (!store.isFile(file)) {
      return Optional.empty();
    }
    return parse(store.read(file));
  }

  /** The manifest of {@code dir}, which a committed output must have. */
  public static Manifest require(String dir) throws IOException {
    return of(dir)
        .orElseThrow(() -> new IOException(dir + ": no " + NAME + " manifest (not committed)"));
  }
}
