package dev.tripflow.runners.partitioned.shuffle;

import dev.tripflow.spi.ScalarType;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.CoderException;
import org.apache.beam.sdk.coders.CustomCoder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.SchemaCoder;
import org.apache.beam.sdk.transforms.join.UnionCoder;
import org.apache.beam.sdk.util.VarInt;
import org.apache.beam.sdk.values.Row;

/**
 * Coders for records a shuffle keeps in memory, where no other process reads them: a coder tree's
 * row coders are replaced by {@link FlatRowCoder}, the rest kept, because Beam's row coder turns
 * every date-time field into a row of its own, built and validated field by field, to encode it.
 */
public final class ShuffleCoders {
  private ShuffleCoders() {}

  /** {@code coder}, with the rows it encodes (at any depth of KVs and unions) encoded flat. */
  @SuppressWarnings({"unchecked", "rawtypes"})
  public static Coder<Object> inMemory(Coder<?> coder) {
    if (coder instanceof KvCoder<?, ?> kv) {
      Coder<?> k = inMemory(kv.getKeyCoder());
      Coder<?> v = inMemory(kv.getValueCoder());
      return k == kv.getKeyCoder() && v == kv.getValueCoder()
          ? (Coder) coder
          : (Coder) KvCoder.of(k, v);
    }
    if (coder instanceof UnionCoder union) {
      List<Coder<?>> elements = new ArrayList<>();
      boolean changed = false;
      for (Coder<?> c : union.getElementCoders()) {
        Coder<?> f = inMemory(c);
        changed |= f != c;
        elements.add(f);
      }
      return changed ? (Coder) UnionCoder.of(elements) : (Coder) coder;
    }
    if (coder instanceof SchemaCoder<?> sc
        && sc.getEncodedTypeDescriptor().getRawType() == Row.class
        && FlatRowCoder.supports(sc.getSchema())) {
      return (Coder) new FlatRowCoder(sc.getSchema(), (Coder<Object>) coder);
    }
    return (Coder<Object>) coder;
  }

  /**
   * Rows of one schema of flat fields (integers, floating point, booleans, strings, dates and
   * date-times, any of them nullable): a null mask, then each non-null value as a varint, its bits
   * or its UTF-8 bytes. A value that is not a row of the schema is encoded by the coder it
   * replaces.
   */
  public static final class FlatRowCoder extends CustomCoder<Object> {
    private static final long serialVersionUID = 1L;
    private static final int FLAT = 0;
    private static final int DELEGATED = 1;

    private final Schema schema;
    private final Coder<Object> delegate;
    private final ScalarType[] kinds;
    private transient Row.Builder rows;

    FlatRowCoder(Schema schema, Coder<Object> delegate) {
      this.schema = schema;
      this.delegate = delegate;
      this.kinds = new ScalarType[schema.getFieldCount()];
      for (int i = 0; i < kinds.length; i++) {
        kinds[i] = kindOf(schema.getField(i).getType());
      }
    }

    public static boolean supports(Schema schema) {
      if (schema.getFieldCount() > 63) {
        return false;
      }
      for (Schema.Field f : schema.getFields()) {
        if (kindOf(f.getType()) == null) {
          return false;
        }
      }
      return true;
    }

    /** The field's kind; BYTES and anything not scalar have none. */
    private static ScalarType kindOf(Schema.FieldType t) {
      ScalarType k = ScalarType.of(t);
      return k == ScalarType.BYTES ? null : k;
    }

    private boolean ours(Object value) {
      if (!(value instanceof Row row)) {
        return false;
      }
      Schema s = row.getSchema();
      return s == schema || s.equals(schema);
    }

    @Override
    public void encode(Object value, OutputStream out) throws IOException {
      if (out instanceof Bytes.Out bytes && ours(value)) {
        encodeInto((Row) value, bytes);
        return;
      }
      if (!ours(value)) {
        out.write(DELEGATED);
        delegate.encode(value, out);
        return;
      }
      out.write(FLAT);
      List<Object> values = ((Row) value).getValues();
      long nulls = 0;
      for (int i = 0; i < kinds.length; i++) {
        if (values.get(i) == null) {
          nulls |= 1L << i;
        }
      }
      VarInt.encode(nulls, out);
      for (int i = 0; i < kinds.length; i++) {
        Object v = values.get(i);
        if (v == null) {
          continue;
        }
        switch (kinds[i]) {
          case BYTE, INT16, INT32, INT64 -> VarInt.encode(zigzag(((Number) v).longValue()), out);
          case FLOAT -> writeLong(out, Float.floatToRawIntBits((Float) v));
          case DOUBLE -> writeLong(out, Double.doubleToRawLongBits((Double) v));
          case BOOLEAN -> out.write((Boolean) v ? 1 : 0);
          case STRING -> {
            byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
            VarInt.encode(b.length, out);
            out.write(b);
          }
          case DATE -> VarInt.encode(zigzag(((LocalDate) v).toEpochDay()), out);
          case DATETIME -> {
            LocalDateTime t = (LocalDateTime) v;
            VarInt.encode(zigzag(t.toLocalDate().toEpochDay()), out);
            VarInt.encode(t.toLocalTime().toNanoOfDay(), out);
          }
        }
      }
    }

    @Override
    public Object decode(InputStream in) throws IOException {
      if (in instanceof Bytes.In bytes) {
        return decodeFrom(bytes);
      }
      int tag = in.read();
      if (tag == DELEGATED) {
        return delegate.decode(in);
      }
      if (tag != FLAT) {
        throw new CoderException("not a flat row record: " + tag);
      }
      long nulls = VarInt.decodeLong(in);
      Object[] values = new Object[kinds.length];
      for (int i = 0; i < kinds.length; i++) {
        if ((nulls & (1L << i)) != 0) {
          continue;
        }
        values[i] =
            switch (kinds[i]) {
              case BYTE -> (byte) unzigzag(VarInt.decodeLong(in));
              case INT16 -> (short) unzigzag(VarInt.decodeLong(in));
              case INT32 -> (int) unzigzag(VarInt.decodeLong(in));
              case INT64 -> unzigzag(VarInt.decodeLong(in));
              case FLOAT -> Float.intBitsToFloat((int) readLong(in));
              case DOUBLE -> Double.longBitsToDouble(readLong(in));
              case BOOLEAN -> in.read() == 1;
              case STRING -> {
                byte[] b = new byte[VarInt.decodeInt(in)];
                if (in.readNBytes(b, 0, b.length) != b.length) {
                  throw new CoderException("truncated string");
                }
                yield new String(b, StandardCharsets.UTF_8);
              }
              case DATE -> LocalDate.ofEpochDay(unzigzag(VarInt.decodeLong(in)));
              case DATETIME ->
                  LocalDateTime.of(
                      LocalDate.ofEpochDay(unzigzag(VarInt.decodeLong(in))),
                      LocalTime.ofNanoOfDay(VarInt.decodeLong(in)));
              case BYTES -> throw new IllegalStateException("BYTES fields are not flat");
            };
      }
      Row.Builder b = rows;
      if (b == null) {
        // Attaching values keeps nothing in the builder: one serves every record.
        rows = b = Row.withSchema(schema);
      }
      return b.attachValues(Arrays.asList(values));
    }

    private static long zigzag(long v) {
      return (v << 1) ^ (v >> 63);
    }

    /**
     * {@link #encode} into the shuffle's own buffer, byte by byte into its array rather than
     * through an output stream's calls (a tenth of an ingest's read stage went to those).
     */
    private void encodeInto(Row row, Bytes.Out out) {
      out.ensure(1);
      out.write(FLAT);
      List<Object> values = row.getValues();
      long nulls = 0;
      for (int i = 0; i < kinds.length; i++) {
        if (values.get(i) == null) {
          nulls |= 1L << i;
        }
      }
      out.writeVarLong(nulls);
      for (int i = 0; i < kinds.length; i++) {
        Object v = values.get(i);
        if (v == null) {
          continue;
        }
        switch (kinds[i]) {
          case BYTE, INT16, INT32, INT64 -> out.writeVarLong(zigzag(((Number) v).longValue()));
          case FLOAT -> out.writeLong(Float.floatToRawIntBits((Float) v));
          case DOUBLE -> out.writeLong(Double.doubleToRawLongBits((Double) v));
          case BOOLEAN -> out.write((Boolean) v ? 1 : 0);
          case STRING -> {
            byte[] b = ((String) v).getBytes(StandardCharsets.UTF_8);
            out.writeVarLong(b.length);
            out.write(b, 0, b.length);
          }
          case DATE -> out.writeVarLong(zigzag(((LocalDate) v).toEpochDay()));
          case DATETIME -> {
            LocalDateTime t = (LocalDateTime) v;
            out.writeVarLong(zigzag(t.toLocalDate().toEpochDay()));
            out.writeVarLong(t.toLocalTime().toNanoOfDay());
          }
        }
      }
    }

    /** {@link #decode} from the shuffle's own buffer, reading its array directly. */
    private Object decodeFrom(Bytes.In in) throws IOException {
      int tag = in.readByte();
      if (tag == DELEGATED) {
        return delegate.decode(in);
      }
      if (tag != FLAT) {
        throw new CoderException("not a flat row record: " + tag);
      }
      long nulls = in.readVarLong();
      Object[] values = new Object[kinds.length];
      for (int i = 0; i < kinds.length; i++) {
        if ((nulls & (1L << i)) != 0) {
          continue;
        }
        values[i] =
            switch (kinds[i]) {
              case BYTE -> (byte) unzigzag(in.readVarLong());
              case INT16 -> (short) unzigzag(in.readVarLong());
              case INT32 -> (int) unzigzag(in.readVarLong());
              case INT64 -> unzigzag(in.readVarLong());
              case FLOAT -> Float.intBitsToFloat((int) in.readLong());
              case DOUBLE -> Double.longBitsToDouble(in.readLong());
              case BOOLEAN -> in.readByte() == 1;
              case STRING -> in.readUtf8((int) in.readVarLong());
              case DATE -> LocalDate.ofEpochDay(unzigzag(in.readVarLong()));
              case DATETIME ->
                  LocalDateTime.of(
                      LocalDate.ofEpochDay(unzigzag(in.readVarLong())),
                      LocalTime.ofNanoOfDay(in.readVarLong()));
              case BYTES -> throw new IllegalStateException("BYTES fields are not flat");
            };
      }
      Row.Builder b = rows;
      if (b == null) {
        rows = b = Row.withSchema(schema);
      }
      return b.attachValues(Arrays.asList(values));
    }

    private static long unzigzag(long v) {
      return (v >>> 1) ^ -(v & 1);
    }

    private static void writeLong(OutputStream out, long v) throws IOException {
      for (int i = 56; i >= 0; i -= 8) {
        out.write((int) (v >>> i));
      }
    }

    private static long readLong(InputStream in) throws IOException {
      long v = 0;
      for (int i = 0; i < 8; i++) {
        int b = in.read();
        if (b < 0) {
          throw new CoderException("truncated number");
        }
        v = (v << 8) | b;
      }
      return v;
    }
  }
}
