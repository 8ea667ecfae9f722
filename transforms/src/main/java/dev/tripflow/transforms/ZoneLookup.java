package dev.tripflow.transforms;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.beam.sdk.values.Row;

/**
 * The TLC taxi zone lookup bundled with tripflow ({@code taxi_zone_lookup.csv}, 265 zones), as
 * {@link TaxiSchemas#ZONES} rows. {@code NA} and {@code NV} are zone names, not nulls.
 */
public final class ZoneLookup {
  private ZoneLookup() {}

  /** Classpath location of the bundled file. */
  public static final String RESOURCE = "/dev/tripflow/transforms/taxi_zone_lookup.csv";

  /** The 265 bundled zones, in file order. */
  public static List<Row> bundled() {
    try (InputStream in = ZoneLookup.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("the zone lookup " + RESOURCE + " is missing from the jar");
      }
      return parse(in, RESOURCE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + RESOURCE, e);
    }
  }

  /**
   * Parses a zone lookup CSV with the header {@code LocationID,Borough,Zone,service_zone}.
   *
   * @throws IllegalArgumentException naming the source and line of a malformed line
   */
  public static List<Row> parse(InputStream in, String source) throws IOException {
    BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    List<Row> rows = new ArrayList<>();
    String header = reader.readLine();
    if (header == null || !header.replace("\"", "").startsWith("LocationID,Borough,Zone")) {
      throw new IllegalArgumentException(
          source + ": line 1: expected header LocationID,Borough,Zone,service_zone");
    }
    String line;
    int lineNo = 1;
    while ((line = reader.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      List<String> f = splitQuoted(line);
      if (f.size() != 4) {
        throw new IllegalArgumentException(
            source + ": line " + lineNo + ": expected 4 fields, found " + f.size());
      }
      long id;
      try {
        id = Long.parseLong(f.get(0).trim());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(
            source + ": line " + lineNo + ": LocationID is not a number: '" + f.get(0) + "'");
      }
      rows.add(
          Row.withSchema(TaxiSchemas.ZONES)
              .addValues(id, emptyToNull(f.get(1)), emptyToNull(f.get(2)), emptyToNull(f.get(3)))
              .build());
    }
    return rows;
  }

  private static String emptyToNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private static List<String> splitQuoted(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char c = line.charAt(i);
      if (quoted) {
        if (c == '"' && i + 1 < line.length() && line.charAt(i + 1) == '"') {
          cur.append('"');
          i++;
        } else if (c == '"') {
          quoted = false;
        } else {
          cur.append(c);
        }
      } else if (c == '"') {
        quoted = true;
      } else if (c == ',') {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(c);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
