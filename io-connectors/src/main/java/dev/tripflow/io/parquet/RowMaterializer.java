package dev.tripflow.io.parquet;

import dev.tripflow.spi.ScalarType;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.values.Row;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.Converter;
import org.apache.parquet.io.api.GroupConverter;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.io.api.RecordMaterializer;
import org.apache.parquet.schema.LogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DateLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.DecimalLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.IntLogicalTypeAnnotation;
import org.apache.parquet.schema.LogicalTypeAnnotation.TimestampLogicalTypeAnnotation;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.PrimitiveType;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Turns Parquet records straight into Beam rows of a target schema, converting each column's
 * physical type to the target field's type (integer widths, integers and decimals to doubles,
 * timestamps in any unit and INT96 to local date-times). ScalarType fields the file lacks stay
 * null.
 */
final class RowMaterializer extends RecordMaterializer<Row> {
  private final Schema target;
  private final Object[] values;
  private final Root root;
  private final int[] constantIndex;
  private final Object[] constants;

  /**
   * @param target the schema of the rows to produce
   * @param requested the file columns to read, each named like a target field
   * @param targetIndex for each requested column, the index of its target field
   * @param constantIndex the target fields given one value in every record
   * @param constants their values
   * @param file the file's name, for errors
   */
  RowMaterializer(
      Schema target,
      MessageType requested,
      int[] targetIndex,
      int[] constantIndex,
      Object[] constants,
      String file) {
    this.target = target;
    this.constantIndex = constantIndex;
    this.constants = constants;
    this.values = new Object[target.getFieldCount()];
    Converter[] converters = new Converter[requested.getFieldCount()];
    for (int i = 0; i < converters.length; i++) {
      PrimitiveType column = requested.getType(i).asPrimitiveType();
      Field field = target.getField(targetIndex[i]);
      PrimitiveConverter plain = converter(column, field, targetIndex[i], file);
      converters[i] =
          targetOf(field.getType()) == ScalarType.BYTES
              ? plain
              : new DictionaryCache(plain, column.getPrimitiveTypeName(), targetIndex[i]);
    }
    this.root = new Root(converters);
  }

  /** The converter of the {@code i}th requested column. */
  PrimitiveConverter columnConverter(int i) {
    return root.getConverter(i).asPrimitiveConverter();
  }

  /** Starts a record: every field null until a column sets it, but for the constants. */
  void startRecord() {
    Arrays.fill(values, null);
    for (int i = 0; i < constantIndex.length; i++) {
      values[constantIndex[i]] = constants[i];
    }
  }

  private Row.Builder rows;

  @Override
  public Row getCurrentRecord() {
    List<Object> row = Arrays.asList(values.clone());
    if (rows == null) {
      // A builder only attaching values keeps none: one serves every record (a builder per
      // record was a tenth of a read's allocation).
      rows = Row.withSchema(target);
    }
    return rows.attachValues(row);
  }

  @Override
  public GroupConverter getRootConverter() {
    return root;
  }

  private final class Root extends GroupConverter {
    private final Converter[] converters;

    Root(Converter[] converters) {
      this.converters = converters;
    }

    @Override
    public Converter getConverter(int fieldIndex) {
      return converters[fieldIndex];
    }

    @Override
    public void start() {
      Arrays.fill(values, null);
    }

    @Override
    public void end() {}
  }

  /**
   * Converts each distinct value of a dictionary once: a dictionary-encoded column then costs an
   * array read per value and shares one immutable object per distinct value. A value that cannot be
   * converted fails when a record uses it, as without a dictionary.
   */
  private final class DictionaryCache extends PrimitiveConverter {
    private final PrimitiveConverter plain;
    private final PrimitiveTypeName physical;
    private final int index;
    private Object[] cache;
    private RuntimeException[] failures;

    DictionaryCache(PrimitiveConverter plain, PrimitiveTypeName physical, int index) {
      this.plain = plain;
      this.physical = physical;
      this.index = index;
    }

    @Override
    public boolean hasDictionarySupport() {
      return true;
    }

    @Override
    public void setDictionary(Dictionary dictionary) {
      int n = dictionary.getMaxId() + 1;
      cache = new Object[n];
      failures = null;
      Object saved = values[index];
      for (int id = 0; id < n; id++) {
        try {
          FlatColumnReader.writeDictionaryValue(dictionary, id, physical, plain);
          cache[id] = values[index];
        } catch (RuntimeException e) {
          if (failures == null) {
            failures = new RuntimeException[n];
          }
          failures[id] = e;
        }
      }
      values[index] = saved;
    }

    @Override
    public void addValueFromDictionary(int id) {
      if (failures != null && failures[id] != null) {
        throw failures[id];
      }
      values[index] = cache[id];
    }

    @Override
    public void addInt(int v) {
      plain.addInt(v);
    }

    @Override
    public void addLong(long v) {
      plain.addLong(v);
    }

    @Override
    public void addFloat(float v) {
      plain.addFloat(v);
    }

    @Override
    public void addDouble(double v) {
      plain.addDouble(v);
    }

    @Override
    public void addBoolean(boolean v) {
      plain.addBoolean(v);
    }

    @Override
    public void addBinary(Binary v) {
      plain.addBinary(v);
    }
  }

  /** The type a column is converted to; BYTE and anything not scalar have none. */
  private static ScalarType targetOf(FieldType t) {
    ScalarType k = ScalarType.of(t);
    return k == ScalarType.BYTE ? null : k;
  }

  private PrimitiveConverter converter(PrimitiveType column, Field field, int index, String file) {
    ScalarType to = targetOf(field.getType());
    PrimitiveTypeName physical = column.getPrimitiveTypeName();
    LogicalTypeAnnotation a = column.getLogicalTypeAnnotation();
    String where = file + ": column '" + column.getName() + "'";
    IllegalArgumentException unsupported =
        new IllegalArgumentException(
            where
                + ": cannot read Parquet "
                + column
                + " as "
                + field.getType().withNullable(false));
    if (to == null) {
      throw unsupported;
    }
    boolean numericTarget =
        to == ScalarType.INT16
            || to == ScalarType.INT32
            || to == ScalarType.INT64
            || to == ScalarType.FLOAT
            || to == ScalarType.DOUBLE;
    if (a instanceof TimestampLogicalTypeAnnotation ts) {
      if (physical != PrimitiveTypeName.INT64
          || (to != ScalarType.DATETIME && to != ScalarType.DATE)) {
        throw unsupported;
      }
      long perSecond;
      switch (ts.getUnit()) {
        case MILLIS:
          perSecond = 1_000L;
          break;
        case MICROS:
          perSecond = 1_000_000L;
          break;
        default:
          perSecond = 1_000_000_000L;
      }
      boolean toDate = to == ScalarType.DATE;
      Days days = new Days();
      return new PrimitiveConverter() {
        @Override
        public void addLong(long v) {
          LocalDateTime t = days.fromEpoch(v, perSecond);
          values[index] = toDate ? t.toLocalDate() : t;
        }
      };
    }
    if (physical == PrimitiveTypeName.INT96) {
      if (to != ScalarType.DATETIME && to != ScalarType.DATE) {
        throw unsupported;
      }
      boolean toDate = to == ScalarType.DATE;
      return new PrimitiveConverter() {
        @Override
        public void addBinary(Binary v) {
          LocalDateTime t = fromInt96(v);
          values[index] = toDate ? t.toLocalDate() : t;
        }
      };
    }
    if (a instanceof DateLogicalTypeAnnotation) {
      if (to != ScalarType.DATE && to != ScalarType.DATETIME) {
        throw unsupported;
      }
      boolean toDate = to == ScalarType.DATE;
      return new PrimitiveConverter() {
        @Override
        public void addInt(int v) {
          LocalDate d = LocalDate.ofEpochDay(v);
          values[index] = toDate ? d : d.atStartOfDay();
        }
      };
    }
    if (a instanceof DecimalLogicalTypeAnnotation dec) {
      if (!numericTarget) {
        throw unsupported;
      }
      int scale = dec.getScale();
      return new PrimitiveConverter() {
        @Override
        public void addInt(int v) {
          set(BigDecimal.valueOf(v, scale));
        }

        @Override
        public void addLong(long v) {
          set(BigDecimal.valueOf(v, scale));
        }

        @Override
        public void addBinary(Binary v) {
          set(new BigDecimal(new BigInteger(v.getBytes()), scale));
        }

        private void set(BigDecimal d) {
          values[index] = numberAs(to, d.doubleValue(), d, where);
        }
      };
    }
    switch (physical) {
      case INT32:
      case INT64:
        if (!numericTarget) {
          throw unsupported;
        }
        boolean unsigned = a instanceof IntLogicalTypeAnnotation i && !i.isSigned();
        return new PrimitiveConverter() {
          @Override
          public void addInt(int v) {
            long x = unsigned ? Integer.toUnsignedLong(v) : v;
            values[index] = integerAs(to, x, where);
          }

          @Override
          public void addLong(long v) {
            if (unsigned && v < 0) {
              throw new IllegalArgumentException(
                  where + ": unsigned value " + Long.toUnsignedString(v) + " overflows");
            }
            values[index] = integerAs(to, v, where);
          }
        };
      case FLOAT:
      case DOUBLE:
        if (!numericTarget) {
          throw unsupported;
        }
        return new PrimitiveConverter() {
          @Override
          public void addFloat(float v) {
            values[index] = numberAs(to, v, null, where);
          }

          @Override
          public void addDouble(double v) {
            values[index] = numberAs(to, v, null, where);
          }
        };
      case BOOLEAN:
        if (to != ScalarType.BOOLEAN) {
          throw unsupported;
        }
        return new PrimitiveConverter() {
          @Override
          public void addBoolean(boolean v) {
            values[index] = v;
          }
        };
      case BINARY:
      case FIXED_LEN_BYTE_ARRAY:
        if (to != ScalarType.STRING && to != ScalarType.BYTES) {
          throw unsupported;
        }
        boolean text = to == ScalarType.STRING;
        return new PrimitiveConverter() {
          @Override
          public void addBinary(Binary v) {
            values[index] = text ? v.toStringUsingUTF8() : v.getBytes();
          }
        };
      default:
        throw unsupported;
    }
  }

  private static Object integerAs(ScalarType to, long v, String where) {
    switch (to) {
      case INT64:
        return v;
      case INT32:
        if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
          throw new IllegalArgumentException(where + ": " + v + " does not fit INT32");
        }
        return (int) v;
      case INT16:
        if (v < Short.MIN_VALUE || v > Short.MAX_VALUE) {
          throw new IllegalArgumentException(where + ": " + v + " does not fit INT16");
        }
        return (short) v;
      case DOUBLE:
        return (double) v;
      default:
        return (float) v;
    }
  }

  private static Object numberAs(ScalarType to, double v, BigDecimal exact, String where) {
    switch (to) {
      case DOUBLE:
        return v;
      case FLOAT:
        return (float) v;
      default:
        long whole = (long) v;
        boolean integral =
            exact != null
                ? exact.stripTrailingZeros().scale() <= 0
                : whole == v && !Double.isNaN(v);
        if (!integral) {
          throw new IllegalArgumentException(
              where
                  + ": value "
                  + (exact != null ? exact.toPlainString() : v)
                  + " is not a whole number");
        }
        return integerAs(to, exact != null ? exact.longValueExact() : whole, where);
    }
  }

  /**
   * Epoch values to local date-times (the epoch of a zone-less timestamp is a wall-clock count, so
   * UTC arithmetic gives the wall-clock fields), with the calendar date of recently seen days
   * cached: trips of one file fall on a few hundred days.
   */
  static final class Days {
    private static final int SLOTS = 1024;
    private final long[] epochDays = new long[SLOTS];
    private final LocalDate[] dates = new LocalDate[SLOTS];

    LocalDateTime fromEpoch(long v, long perSecond) {
      long seconds;
      long nanos;
      // Constant divisors let the compiler turn the divisions into multiplications.
      if (perSecond == 1_000_000L) {
        seconds = Math.floorDiv(v, 1_000_000L);
        nanos = Math.floorMod(v, 1_000_000L) * 1_000L;
      } else if (perSecond == 1_000L) {
        seconds = Math.floorDiv(v, 1_000L);
        nanos = Math.floorMod(v, 1_000L) * 1_000_000L;
      } else {
        seconds = Math.floorDiv(v, 1_000_000_000L);
        nanos = Math.floorMod(v, 1_000_000_000L);
      }
      long day = Math.floorDiv(seconds, 86_400L);
      long secondOfDay = seconds - day * 86_400L;
      int slot = (int) (day & (SLOTS - 1));
      LocalDate date = dates[slot];
      if (date == null || epochDays[slot] != day) {
        date = LocalDate.ofEpochDay(day);
        dates[slot] = date;
        epochDays[slot] = day;
      }
      return LocalDateTime.of(date, LocalTime.ofNanoOfDay(secondOfDay * 1_000_000_000L + nanos));
    }
  }

  /** INT96 timestamps (Impala, old Spark): 8 bytes nanos of day, 4 bytes Julian day, LE. */
  private static LocalDateTime fromInt96(Binary v) {
    ByteBuffer buf = v.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    long nanosOfDay = buf.getLong();
    int julianDay = buf.getInt();
    long epochDay = julianDay - 2_440_588L;
    return LocalDate.ofEpochDay(epochDay).atStartOfDay().plusNanos(nanosOfDay);
  }
}
