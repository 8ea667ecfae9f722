package dev.tripflow.io.csv;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Test CSV files with every shape of record, and ways to read them whole or by range. */
final class MessyCsv {
  private MessyCsv() {}

  /**
   * A file with every shape of record: a BOM, LF and CRLF line ends, quoted fields with commas,
   * doubled quotes and line breaks (some spanning dozens of lines, so across many 1 KiB
   * boundaries), blank lines, too few fields, bad values, invalid UTF-8, an unterminated quote
   * followed by more than {@value CsvRecordReader#MAX_RECORD_LINES} lines, another unterminated at
   * the end, and no final newline.
   */
  static byte[] generate(long seed, int records) {
    Random random = new Random(seed);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    write(out, "\uFEFFid,note,amount,pickup\r\n");
    for (int i = 0; i < records; i++) {
      String eol = random.nextInt(4) == 0 ? "\r\n" : "\n";
      int kind = random.nextInt(20);
      if (i == records / 3) {
        // Unterminated: the reader looks MAX_RECORD_LINES lines ahead, then reads them again.
        write(out, i + ",\"never closed,1.5,2021-01-01 00:00:00" + eol);
        for (int j = 0; j < CsvRecordReader.MAX_RECORD_LINES + 50; j++) {
          write(out, (i * 10_000 + j) + ",plain " + j + "," + j + ".25,2021-02-03 04:05:06\n");
        }
        continue;
      }
      switch (kind) {
        case 0 -> write(out, random.nextBoolean() ? eol : "   " + eol);
        case 1 -> write(out, i + ",too few" + eol);
        case 2 -> write(out, i + ",bad amount,oops,2021-01-01 00:00:00" + eol);
        case 3 -> {
          write(out, i + ",caf");
          out.write(0xC3);
          out.write(0xFF); // not UTF-8
          write(out, ",1.0,2021-01-01 00:00:00" + eol);
        }
        case 4, 5, 6 -> {
          StringBuilder note = new StringBuilder("\"multi");
          int lines = 1 + random.nextInt(random.nextInt(10) == 0 ? 60 : 6);
          for (int j = 0; j < lines; j++) {
            note.append(random.nextBoolean() ? "\r\n" : "\n")
                .append("line ")
                .append(j)
                .append(random.nextInt(5) == 0 ? " with \"\"quotes\"\", and a comma" : "");
          }
          note.append('"');
          write(out, i + "," + note + "," + i + ".5,2021-03-04 05:06:07" + eol);
        }
        case 7 -> write(out, "\"" + i + "\",\"a,\"\"b\"\"\",\"2.5\",2021-01-31T23:59:59" + eol);
        case 8 -> write(out, i + ",\u00e9t\u00e9 \u2603,,\"\"" + eol);
        default -> write(out, i + ",plain " + i + "," + i + ".75,2021-01-01 00:33:44" + eol);
      }
    }
    // Unterminated at the end of the file: its first line alone, then the lines after it.
    write(out, "98,\"open to the end,1,2021-01-01 00:00:00\n99,last,1,2021-01-01 00:00:00");
    return out.toByteArray();
  }

  private static void write(ByteArrayOutputStream out, String text) {
    out.writeBytes(text.getBytes(StandardCharsets.UTF_8));
  }

  /** A record with the offset it starts at. */
  record Placed(long offset, CsvRecordReader.Record record) {}

  /** Every record of the file read whole, with where it starts. */
  static List<Placed> readWhole(Path file) throws IOException {
    List<Placed> records = new ArrayList<>();
    try (CsvRecordReader reader =
        new CsvRecordReader(Files.newInputStream(file), file.toString())) {
      while (true) {
        long at = reader.position();
        CsvRecordReader.Record r = reader.next();
        if (r == null) {
          return records;
        }
        records.add(new Placed(at, r));
      }
    }
  }

  /** The records of the range {@code [start, end)}, read from an offset as a split read does. */
  static List<CsvRecordReader.Record> readRange(Path file, long start, long firstLine, long end)
      throws IOException {
    List<CsvRecordReader.Record> records = new ArrayList<>();
    InputStream in = Files.newInputStream(file);
    in.skipNBytes(start);
    try (CsvRecordReader reader = new CsvRecordReader(in, file.toString(), start, firstLine, end)) {
      for (CsvRecordReader.Record r; (r = reader.next()) != null; ) {
        records.add(r);
      }
    }
    return records;
  }
}
