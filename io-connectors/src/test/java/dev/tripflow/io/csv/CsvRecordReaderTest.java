package dev.tripflow.io.csv;

import static org.junit.Assert.assertEquals;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

public class CsvRecordReaderTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  /** Skipping records finds the same record starts and line numbers as reading them. */
  @Test
  public void skipFindsTheRecordStartsNextReads() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("messy.csv");
    Files.write(file, MessyCsv.generate(13, 1500));
    List<MessyCsv.Placed> whole = MessyCsv.readWhole(file);
    List<String> skipped = new ArrayList<>();
    try (CsvRecordReader reader =
        new CsvRecordReader(Files.newInputStream(file), file.toString())) {
      while (true) {
        String at = reader.position() + "@" + reader.nextLine();
        if (!reader.skip()) {
          break;
        }
        skipped.add(at);
      }
    }
    List<String> read = new ArrayList<>();
    for (MessyCsv.Placed p : whole) {
      read.add(p.offset() + "@" + p.record().line());
    }
    assertEquals(read, skipped);
  }

  /**
   * Reading from any record start to any later one gives exactly the records of the whole read that
   * start between them, even where a record's unterminated quote made the reader look far ahead and
   * read lines again.
   */
  @Test
  public void anyRangeBetweenRecordStartsReadsLikeTheWholeFile() throws Exception {
    Path file = tmp.getRoot().toPath().resolve("messy.csv");
    Files.write(file, MessyCsv.generate(7, 1500));
    List<MessyCsv.Placed> whole = MessyCsv.readWhole(file);
    Random random = new Random(11);
    for (int trial = 0; trial < 200; trial++) {
      int from = random.nextInt(whole.size());
      int to = from + random.nextInt(whole.size() - from + 1);
      long end = to == whole.size() ? Long.MAX_VALUE : whole.get(to).offset();
      List<CsvRecordReader.Record> expected = new ArrayList<>();
      for (MessyCsv.Placed p : whole.subList(from, to)) {
        expected.add(p.record());
      }
      MessyCsv.Placed start = whole.get(from);
      assertEquals(
          "records " + from + " to " + to,
          expected,
          MessyCsv.readRange(file, start.offset(), start.record().line(), end));
    }
  }
}
