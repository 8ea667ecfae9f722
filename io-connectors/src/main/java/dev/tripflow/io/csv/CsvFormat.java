package dev.tripflow.io.csv;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.logicaltypes.SqlTypes;

/**
 * The CSV dialect tripflow reads and writes: RFC 4180 (comma separator, double-quote quoting with
 * doubled quotes inside), one record per line, an empty field is null; timestamps as {@code
 * yyyy-MM-dd HH:mm:ss[.fraction]} (a {@code T} separator and a date alone are accepted too).
 */
public final class CsvFormat {
  private CsvFormat() {}

  /** Thrown for a line or value that does not fit; the message says what and where. */
  public static final class BadValueException extends Exception {
    private static final long serialVersionUID = 1L;

    public BadValueException(String message) {
      super(message);
    }
  }

  private static final DateTimeFormatter DATETIME =
      new DateTimeFormatterBuilder()
          .appendPattern("uuuu-MM-dd")
          .optionalStart()
          .appendLiteral(' ')
          .optionalEnd()
          .optionalStart()
          .appendLiteral('T')
          .optionalEnd()
          .optionalStart()
          .appendPattern("HH:mm")
          .optionalStart()
          .appendPattern(":ss")
          .optionalStart()
          .appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true)
          .optionalEnd()
          .optionalEnd()
          .optionalEnd()
          .parseDefaulting(ChronoField.HOUR_OF_DAY, 0)
          .parseDefaulting(ChronoField.MINUTE_OF_HOUR, 0)
          .parseDefaulting(ChronoField.SECOND_OF_MINUTE, 0)
          .toFormatter(Locale.ROOT)
          .withResolverStyle(java.time.format.ResolverStyle.STRICT);

  private static final DateTimeFormatter PRINT =
      DateTimeFormatter.ofPattern("uuuu-MM-dd HH:mm:ss", Locale.ROOT);

  /**
   * Splits one line into fields. Quoted fields may hold commas and doubled quotes.
   *
   * @throws BadValueException for an unterminated quote or text after a closing quote
   */
  public static List<String> split(String line) throws BadValueException {
    return split(line, 16);
  }

  /** As {@link #split(String)}, for a line of about {@code expectedFields} fields. */
  public static List<String> split(String line, int expectedFields) throws BadValueException {
    List<String> out = new ArrayList<>(expectedFields);
    StringBuilder cur = new StringBuilder();
    int n = line.length();
    if (n > 0 && line.charAt(n - 1) == '\r') {
      n--;
    }
    int i = 0;
    while (true) {
      cur.setLength(0);
      if (i < n && line.charAt(i) == '"') {
        i++;
        boolean closed = false;
        while (i < n) {
          char c = line.charAt(i);
          if (c == '"') {
            if (i + 1 < n && line.charAt(i + 1) == '"') {
              cur.append('"');
              i += 2;
            } else {
              closed = true;
              i++;
              break;
            }
          } else {
            cur.append(c);
            i++;
          }
        }
        if (!closed) {
          throw new BadValueException("unterminated quoted field " + (out.size() + 1));
        }
        if (i < n && line.charAt(i) != ',') {
          throw new BadValueException("text after the closing quote of field " + (out.size() + 1));
        }
        out.add(cur.toString());
      } else {
        // An unquoted field is a substring: no builder, no copy per character.
        int start = i;
        int comma = line.indexOf(',', i);
        i = comma < 0 || comma > n ? n : comma;
        out.add(line.substring(start, i));
      }
      if (i >= n) {
        return out;
      }
      i++; // the comma
    }
  }

  /** Quotes a field when it holds a comma, a quote or a line break. */
  public static String quote(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }

  /** Renders a value as a CSV field (unquoted); null is the empty string. */
  public static String format(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof LocalDateTime t) {
      String s = PRINT.format(t);
      if (t.getNano() != 0) {
        String frac = String.format(Locale.ROOT, "%09d", t.getNano()).replaceAll("0+$", "");
        s = s + "." + frac;
      }
      return s;
    }
    if (v instanceof Double d) {
      return d == Math.rint(d) && !Double.isInfinite(d) && Math.abs(d) < 1e15
          ? BigDecimal.valueOf(d).setScale(1).toPlainString()
          : Double.toString(d);
    }
    return String.valueOf(v);
  }

  /** Parses a timestamp; null when it is not one. */
  public static LocalDateTime parseDateTime(String s) {
    String t = s.trim();
    LocalDateTime fast = parseSeconds(t);
    if (fast != null) {
      return fast;
    }
    try {
      return LocalDateTime.parse(t, DATETIME);
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /**
   * The common form {@code yyyy-MM-dd HH:mm:ss} (or with a {@code T}) read digit by digit, with the
   * same strict checks ({@code LocalDateTime.of} refuses a 30th of February); null for any other
   * text, which the formatter then reads. The formatter's optional sections copy its parsed fields
   * at every step: it took a tenth of a CSV ingest.
   */
  private static LocalDateTime parseSeconds(String t) {
    if (t.length() != 19
        || t.charAt(4) != '-'
        || t.charAt(7) != '-'
        || (t.charAt(10) != ' ' && t.charAt(10) != 'T')
        || t.charAt(13) != ':'
        || t.charAt(16) != ':') {
      return null;
    }
    int year = digits(t, 0, 4);
    int month = digits(t, 5, 7);
    int day = digits(t, 8, 10);
    int hour = digits(t, 11, 13);
    int minute = digits(t, 14, 16);
    int second = digits(t, 17, 19);
    if ((year | month | day | hour | minute | second) < 0) {
      return null;
    }
    try {
      return LocalDateTime.of(year, month, day, hour, minute, second);
    } catch (java.time.DateTimeException e) {
      return null;
    }
  }

  /** The number written by {@code s[from..to)}, or -1 when a character is not a digit. */
  private static int digits(String s, int from, int to) {
    int v = 0;
    for (int i = from; i < to; i++) {
      int d = s.charAt(i) - '0';
      if (d < 0 || d > 9) {
        return -1;
      }
      v = v * 10 + d;
    }
    return v;
  }

  /**
   * Parses one field into the Java value of {@code type}; an empty field is null.
   *
   * @throws BadValueException saying what was expected
   */
  public static Object parse(String field, FieldType type) throws BadValueException {
    if (field.isEmpty()) {
      return null;
    }
    String s = field.trim();
    switch (type.getTypeName()) {
      case STRING:
        return field;
      case INT16:
        return (short) parseWhole(s, "SMALLINT", Short.MIN_VALUE, Short.MAX_VALUE);
      case INT32:
        return (int) parseWhole(s, "INTEGER", Integer.MIN_VALUE, Integer.MAX_VALUE);
      case INT64:
        return parseWhole(s, "BIGINT", Long.MIN_VALUE, Long.MAX_VALUE);
      case DOUBLE:
        return parseDouble(s, "DOUBLE");
      case FLOAT:
        return (float) parseDouble(s, "FLOAT");
      case BOOLEAN:
        switch (s.toLowerCase(Locale.ROOT)) {
          case "true":
          case "1":
          case "y":
          case "yes":
          case "t":
            return true;
          case "false":
          case "0":
          case "n":
          case "no":
          case "f":
            return false;
          default:
            throw new BadValueException("not a BOOLEAN: '" + field + "'");
        }
      case LOGICAL_TYPE:
        String id = type.getLogicalType().getIdentifier();
        if (id.equals(SqlTypes.DATETIME.getIdentifier())) {
          LocalDateTime t = parseDateTime(s);
          if (t == null) {
            throw new BadValueException("not a TIMESTAMP: '" + field + "'");
          }
          return t;
        }
        if (id.equals(SqlTypes.DATE.getIdentifier())) {
          try {
            return LocalDate.parse(s);
          } catch (DateTimeParseException e) {
            throw new BadValueException("not a DATE: '" + field + "'");
          }
        }
        break;
      default:
        break;
    }
    throw new BadValueException("type " + type + " cannot be read from CSV");
  }

  private static long parseWhole(String s, String typeName, long min, long max)
      throws BadValueException {
    long v;
    try {
      v = Long.parseLong(s);
    } catch (NumberFormatException e) {
      // TLC files write integer columns as 1.0 in places: accept integral decimals.
      try {
        BigDecimal d = new BigDecimal(s);
        v = d.longValueExact();
      } catch (NumberFormatException | ArithmeticException e2) {
        throw new BadValueException("not a " + typeName + ": '" + s + "'");
      }
    }
    if (v < min || v > max) {
      throw new BadValueException("out of " + typeName + " range: '" + s + "'");
    }
    return v;
  }

  /** Powers of ten a double holds exactly. */
  private static final double[] POWERS_OF_TEN = new double[23];

  static {
    double p = 1;
    for (int i = 0; i < POWERS_OF_TEN.length; i++) {
      POWERS_OF_TEN[i] = p;
      p *= 10;
    }
  }

  /**
   * A plain decimal ({@code -12.50}) of at most 15 significant digits: its digits as an integer,
   * which a double holds exactly, divided by a power of ten, which it also holds exactly; the one
   * rounding of the division gives the nearest double, as {@code Double.parseDouble} does. Any
   * other text gives NaN, and the JDK's parser reads it.
   */
  static double parseSimpleDecimal(String s) {
    int n = s.length();
    int i = 0;
    boolean negative = false;
    if (n > 0 && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
      negative = s.charAt(0) == '-';
      i = 1;
    }
    long mantissa = 0;
    int digits = 0;
    int fraction = -1;
    for (; i < n; i++) {
      char c = s.charAt(i);
      if (c == '.' && fraction < 0) {
        fraction = 0;
        continue;
      }
      int d = c - '0';
      if (d < 0 || d > 9 || ++digits > 15) {
        return Double.NaN;
      }
      mantissa = mantissa * 10 + d;
      if (fraction >= 0) {
        fraction++;
      }
    }
    if (digits == 0 || fraction > 22) {
      return Double.NaN;
    }
    double v = fraction > 0 ? mantissa / POWERS_OF_TEN[fraction] : mantissa;
    return negative ? -v : v;
  }

  private static double parseDouble(String s, String typeName) throws BadValueException {
    double fast = parseSimpleDecimal(s);
    if (!Double.isNaN(fast)) {
      return fast;
    }
    try {
      double d = Double.parseDouble(s);
      if (s.endsWith("d") || s.endsWith("D") || s.endsWith("f") || s.endsWith("F")) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new BadValueException("not a " + typeName + ": '" + s + "'");
    }
  }
}
