package dev.tripflow.io.csv;

import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;

import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import org.junit.Test;

/** The fast paths of the CSV value parsers give exactly what the JDK's parsers give. */
public class CsvFormatTest {
  @Test
  public void simpleDecimalsParseToTheJdksDouble() {
    Random r = new Random(11);
    for (int i = 0; i < 200_000; i++) {
      int scale = r.nextInt(8);
      long unscaled = r.nextLong() % 1_000_000_000_000_000L;
      String s = java.math.BigDecimal.valueOf(unscaled, scale).toPlainString();
      double fast = CsvFormat.parseSimpleDecimal(s);
      if (!Double.isNaN(fast)) {
        assertEquals(
            s, Double.doubleToLongBits(Double.parseDouble(s)), Double.doubleToLongBits(fast));
      }
    }
    for (String s : List.of("0", "-0.0", "12.50", ".5", "5.", "+3.25", "999999999999999")) {
      assertEquals(
          s,
          Double.doubleToLongBits(Double.parseDouble(s)),
          Double.doubleToLongBits(CsvFormat.parseSimpleDecimal(s)));
    }
    for (String s :
        List.of("1e5", "1.2.3", "", "-", ".", "1234567890123456", "NaN", "0x1p3", "1,5")) {
      assertEquals(s, Double.NaN, CsvFormat.parseSimpleDecimal(s), 0);
    }
  }

  @Test
  public void timestampsParseAsTheFormatterDoes() {
    DateTimeFormatter f = DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);
    Random r = new Random(5);
    for (int i = 0; i < 20_000; i++) {
      LocalDateTime t =
          LocalDateTime.of(
                  2000 + r.nextInt(40),
                  1 + r.nextInt(12),
                  1,
                  r.nextInt(24),
                  r.nextInt(60),
                  r.nextInt(60))
              .plusDays(r.nextInt(31));
      assertEquals(t, CsvFormat.parseDateTime(f.format(t)));
      assertEquals(t, CsvFormat.parseDateTime(f.format(t).replace(' ', 'T')));
    }
    assertNull(CsvFormat.parseDateTime("2020-02-30 10:00:00"));
    assertNull(CsvFormat.parseDateTime("2020-13-45 99:00:00"));
    assertNull(CsvFormat.parseDateTime("2020-01-01 24:00:00"));
    assertNull(CsvFormat.parseDateTime("2020-01-0a 10:00:00"));
    assertEquals(
        LocalDateTime.of(2021, 1, 2, 3, 4, 5, 500_000_000),
        CsvFormat.parseDateTime("2021-01-02 03:04:05.5"));
    assertEquals(LocalDateTime.of(2021, 1, 2, 0, 0), CsvFormat.parseDateTime("2021-01-02"));
  }

  @Test
  public void splitKeepsQuotedAndUnquotedFields() throws Exception {
    assertEquals(
        List.of("a", "", "b c", "x,\"y\"", ""), CsvFormat.split("a,,b c,\"x,\"\"y\"\"\",\r"));
    assertEquals(List.of(""), CsvFormat.split(""));
    assertEquals(List.of("1", "2"), CsvFormat.split("1,2\r"));
  }
}
