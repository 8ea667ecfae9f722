package dev.tripflow.io.output;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.channels.Channels;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.EmptyMatchTreatment;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.MoveOptions.StandardMoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;

/**
 * Where outputs live, as the commit protocol needs it: a local file system, whose directories
 * rename atomically, or an object store ({@code gs://}) reached through Beam's file systems, where
 * a "directory" is a prefix and moving one means moving each of its objects.
 */
abstract class Store {
  /** The store of {@code path}. */
  static Store of(String path) {
    return isLocal(path) ? Local.INSTANCE : Remote.INSTANCE;
  }

  /** Whether {@code path} is on a local file system (no URI scheme, or {@code file://}). */
  static boolean isLocal(String path) {
    return !path.matches("^[a-zA-Z][a-zA-Z0-9+.-]*://.*") || path.startsWith("file://");
  }

  /** Whether the store renames directories atomically. */
  abstract boolean atomicDirectoryRename();

  /** Whether anything is at {@code path}: a file, or a directory (an object under the prefix). */
  abstract boolean exists(String path) throws IOException;

  /** Whether {@code path} is a file (an object). */
  abstract boolean isFile(String path) throws IOException;

  /** The relative names of every file under directory {@code dir}, sorted; empty if none. */
  abstract List<String> filesUnder(String dir) throws IOException;

  /** The names of the direct entries of {@code parent} that start with {@code prefix}. */
  abstract List<String> siblings(String parent, String prefix) throws IOException;

  abstract byte[] read(String file) throws IOException;

  /** Writes a whole file so that a reader sees either nothing or all of it. */
  abstract void writeAtomically(String file, byte[] bytes) throws IOException;

  /** Moves directory {@code from} to {@code to}, which must not exist. */
  abstract void moveDirectory(String from, String to) throws IOException;

  /** Moves one file, replacing what is at {@code to}. */
  abstract void moveFile(String from, String to) throws IOException;

  abstract void deleteFile(String file) throws IOException;

  /** Deletes a file or a directory with everything under it; nothing happens if it is absent. */
  abstract void deleteRecursively(String path) throws IOException;

  /** The parent of {@code path} ({@code ""} for a bare name). */
  static String parentOf(String path) {
    int slash = path.lastIndexOf('/');
    return slash < 0 ? "" : path.substring(0, slash);
  }

  /** The last name of {@code path}. */
  static String nameOf(String path) {
    return path.substring(path.lastIndexOf('/') + 1);
  }

  /** {@code name} beside {@code path}, in the same parent. */
  static String sibling(String path, String name) {
    String parent = parentOf(path);
    return parent.isEmpty() ? name : parent + "/" + name;
  }

  static String child(String dir, String name) {
    return dir.endsWith("/") ? dir + name : dir + "/" + name;
  }

  /** A local file system: {@code java.nio}, directory renames are atomic. */
  static final class Local extends Store {
    static final Local INSTANCE = new Local();

    static Path path(String p) {
      return Path.of(p.startsWith("file://") ? p.substring("file://".length()) : p);
    }

    @Override
    boolean atomicDirectoryRename() {
      return true;
    }

    @Override
    boolean exists(String p) {
      return Files.exists(path(p));
    }

    @Override
    boolean isFile(String p) {
      return Files.isRegularFile(path(p));
    }

    @Override
    List<String> filesUnder(String dir) throws IOException {
      Path root = path(dir);
      if (!Files.isDirectory(root)) {
        return List.of();
      }
      try (Stream<Path> all = Files.walk(root)) {
        return all.filter(p -> !Files.isDirectory(p))
            .map(p -> root.relativize(p).toString())
            .sorted()
            .toList();
      }
    }

    @Override
    List<String> siblings(String parent, String prefix) throws IOException {
      Path dir = path(parent.isEmpty() ? "." : parent);
      if (!Files.isDirectory(dir)) {
        return List.of();
      }
      try (Stream<Path> entries = Files.list(dir)) {
        return entries
            .map(p -> p.getFileName().toString())
            .filter(n -> n.startsWith(prefix))
            .sorted()
            .toList();
      }
    }

    @Override
    byte[] read(String file) throws IOException {
      return Files.readAllBytes(path(file));
    }

    @Override
    void writeAtomically(String file, byte[] bytes) throws IOException {
      Path target = path(file);
      Files.createDirectories(target.toAbsolutePath().getParent());
      String name = target.getFileName().toString();
      // Hidden, and for the protocol's own hidden entries (".out.run-R") recognisable by the next
      // run's recovery as the half-written form of that entry.
      Path tmp = target.resolveSibling((name.startsWith(".") ? "" : ".") + name + ".tmp");
      try (var out =
          java.nio.channels.FileChannel.open(
              tmp,
              java.nio.file.StandardOpenOption.CREATE,
              java.nio.file.StandardOpenOption.TRUNCATE_EXISTING,
              java.nio.file.StandardOpenOption.WRITE)) {
        out.write(java.nio.ByteBuffer.wrap(bytes));
        out.force(true); // on disk before the rename makes it visible
      }
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }

    @Override
    void moveDirectory(String from, String to) throws IOException {
      Path target = path(to);
      if (Files.exists(target)) {
        throw new FileAlreadyExistsException(to);
      }
      Files.move(path(from), target, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    void moveFile(String from, String to) throws IOException {
      Files.move(path(from), path(to), StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    void deleteFile(String file) throws IOException {
      Files.deleteIfExists(path(file));
    }

    @Override
    void deleteRecursively(String p) throws IOException {
      Path root = path(p);
      if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        return;
      }
      try (Stream<Path> all = Files.walk(root)) {
        for (Path f : all.sorted(Comparator.reverseOrder()).toList()) {
          try {
            Files.deleteIfExists(f);
          } catch (NoSuchFileException e) {
            // gone already
          }
        }
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
    }
  }

  /** An object store through Beam's file systems: a directory is the prefix {@code dir/}. */
  static final class Remote extends Store {
    static final Remote INSTANCE = new Remote();

    @Override
    boolean atomicDirectoryRename() {
      return false;
    }

    private static List<Metadata> match(String spec) throws IOException {
      try {
        return FileSystems.match(spec, EmptyMatchTreatment.ALLOW).metadata();
      } catch (java.io.FileNotFoundException e) {
        return List.of(); // a plain name that is not there
      }
    }

    private static String under(String dir) {
      return dir.endsWith("/") ? dir : dir + "/";
    }

    @Override
    boolean exists(String p) throws IOException {
      return isFile(p) || !match(under(p) + "**").isEmpty();
    }

    @Override
    boolean isFile(String p) throws IOException {
      List<Metadata> found = match(p);
      return !found.isEmpty() && found.get(0).resourceId().toString().equals(p);
    }

    @Override
    List<String> filesUnder(String dir) throws IOException {
      String prefix = under(dir);
      TreeSet<String> names = new TreeSet<>();
      for (Metadata m : match(prefix + "**")) {
        String full = m.resourceId().toString();
        if (full.startsWith(prefix) && full.length() > prefix.length()) {
          names.add(full.substring(prefix.length()));
        }
      }
      return new ArrayList<>(names);
    }

    @Override
    List<String> siblings(String parent, String prefix) throws IOException {
      String base = under(parent);
      TreeSet<String> names = new TreeSet<>();
      for (Metadata m : match(base + prefix + "*")) {
        add(names, base, m.resourceId().toString());
      }
      for (Metadata m : match(base + prefix + "*/**")) {
        add(names, base, m.resourceId().toString());
      }
      return new ArrayList<>(names);
    }

    private static void add(TreeSet<String> names, String base, String full) {
      if (full.startsWith(base)) {
        String rest = full.substring(base.length());
        int slash = rest.indexOf('/');
        names.add(slash < 0 ? rest : rest.substring(0, slash));
      }
    }

    @Override
    byte[] read(String file) throws IOException {
      try (InputStream in =
          Channels.newInputStream(FileSystems.open(FileSystems.matchNewResource(file, false)))) {
        return in.readAllBytes();
      }
    }

    @Override
    void writeAtomically(String file, byte[] bytes) throws IOException {
      // An object appears whole when its upload completes.
      ResourceId id = FileSystems.matchNewResource(file, false);
      try (OutputStream out =
          Channels.newOutputStream(FileSystems.create(id, "application/octet-stream"))) {
        out.write(bytes);
      }
    }

    @Override
    void moveDirectory(String from, String to) throws IOException {
      List<String> names = filesUnder(from);
      List<ResourceId> src = new ArrayList<>();
      List<ResourceId> dst = new ArrayList<>();
      for (String n : names) {
        src.add(FileSystems.matchNewResource(child(from, n), false));
        dst.add(FileSystems.matchNewResource(child(to, n), false));
      }
      FileSystems.rename(src, dst, StandardMoveOptions.IGNORE_MISSING_FILES);
    }

    @Override
    void moveFile(String from, String to) throws IOException {
      FileSystems.rename(
          List.of(FileSystems.matchNewResource(from, false)),
          List.of(FileSystems.matchNewResource(to, false)),
          StandardMoveOptions.IGNORE_MISSING_FILES);
    }

    @Override
    void deleteFile(String file) throws IOException {
      FileSystems.delete(
          List.of(FileSystems.matchNewResource(file, false)),
          StandardMoveOptions.IGNORE_MISSING_FILES);
    }

    @Override
    void deleteRecursively(String p) throws IOException {
      List<ResourceId> all = new ArrayList<>();
      if (isFile(p)) {
        all.add(FileSystems.matchNewResource(p, false));
      }
      for (String n : filesUnder(p)) {
        all.add(FileSystems.matchNewResource(child(p, n), false));
      }
      FileSystems.delete(all, StandardMoveOptions.IGNORE_MISSING_FILES);
    }
  }
}
