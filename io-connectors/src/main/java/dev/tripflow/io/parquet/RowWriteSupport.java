package dev.tripflow.io.parquet;

import dev.tripflow.spi.ScalarType;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.HashMap;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.values.Row;
import org.apache.hadoop.conf.Configuration;
import org.apache.parquet.conf.ParquetConfiguration;
import org.apache.parquet.hadoop.api.WriteSupport;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.RecordConsumer;
import org.apache.parquet.schema.MessageType;

/** Writes Beam {@link Row}s as Parquet records of {@link ParquetSchemas#toParquet(Schema)}. */
final class RowWriteSupport extends WriteSupport<Row> {
  private final Schema schema;
  private final MessageType type;
  private final ScalarType[] kinds;
  private RecordConsumer consumer;

  RowWriteSupport(Schema schema) {
    this.schema = schema;
    this.type = ParquetSchemas.toParquet(schema);
    this.kinds = new ScalarType[schema.getFieldCount()];
    for (int i = 0; i < kinds.length; i++) {
      kinds[i] = ScalarType.of(schema.getField(i).getType()); // ParquetSchemas refused any other
    }
  }

  @Override
  public WriteContext init(Configuration configuration) {
    return new WriteContext(type, new HashMap<>());
  }

  @Override
  public WriteContext init(ParquetConfiguration configuration) {
    return new WriteContext(type, new HashMap<>());
  }

  @Override
  public void prepareForWrite(RecordConsumer recordConsumer) {
    this.consumer = recordConsumer;
  }

  @Override
  public void write(Row row) {
    consumer.startMessage();
    for (int i = 0; i < kinds.length; i++) {
      Object v = row.getValue(i);
      if (v == null) {
        if (!schema.getField(i).getType().getNullable()) {
          throw new IllegalArgumentException(
              "column '" + schema.getField(i).getName() + "' is required but the row has null");
        }
        continue;
      }
      String name = schema.getField(i).getName();
      consumer.startField(name, i);
      switch (kinds[i]) {
        case BYTE:
        case INT16:
        case INT32:
          consumer.addInteger(((Number) v).intValue());
          break;
        case INT64:
          consumer.addLong(((Number) v).longValue());
          break;
        case FLOAT:
          consumer.addFloat(((Number) v).floatValue());
          break;
        case DOUBLE:
          consumer.addDouble(((Number) v).doubleValue());
          break;
        case BOOLEAN:
          consumer.addBoolean((Boolean) v);
          break;
        case STRING:
          consumer.addBinary(Binary.fromString((String) v));
          break;
        case BYTES:
          consumer.addBinary(Binary.fromReusedByteArray((byte[]) v));
          break;
        case DATETIME:
          consumer.addLong(toEpochMicros((LocalDateTime) v));
          break;
        case DATE:
          consumer.addInteger((int) ((LocalDate) v).toEpochDay());
          break;
        default:
          throw new AssertionError(kinds[i]);
      }
      consumer.endField(name, i);
    }
    consumer.endMessage();
  }

  /** Wall-clock time as microseconds since 1970-01-01T00:00 on the same wall clock. */
  static long toEpochMicros(LocalDateTime t) {
    return Math.addExact(
        Math.multiplyExact(t.toEpochSecond(ZoneOffset.UTC), 1_000_000L), t.getNano() / 1_000L);
  }
}
