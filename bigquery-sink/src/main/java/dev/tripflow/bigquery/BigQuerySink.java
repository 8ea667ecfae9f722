package dev.tripflow.bigquery;

import com.google.api.services.bigquery.model.Table;
import com.google.api.services.bigquery.model.TableFieldSchema;
import com.google.api.services.bigquery.model.TableReference;
import com.google.api.services.bigquery.model.TableRow;
import com.google.api.services.bigquery.model.TableSchema;
import com.google.api.services.bigquery.model.TimePartitioning;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.CreateDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryIO.Write.WriteDisposition;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryOptions;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServices;
import org.apache.beam.sdk.io.gcp.bigquery.BigQueryServicesImpl;
import org.apache.beam.sdk.options.ValueProvider.StaticValueProvider;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.schemas.Schema.FieldType;
import org.apache.beam.sdk.schemas.Schema.TypeName;
import org.apache.beam.sdk.transforms.PTransform;
import org.apache.beam.sdk.transforms.SerializableFunction;
import org.apache.beam.sdk.values.PCollection;
import org.apache.beam.sdk.values.PDone;
import org.apache.beam.sdk.values.Row;

/**
 * Writes any schema'd {@link Row} collection to a BigQuery table through BigQueryIO load jobs: the
 * rows are staged as newline-delimited JSON under a GCS temporary location, then loaded into the
 * table, which is created from the rows' schema when missing. Local wall-clock timestamps ({@code
 * LocalDateTime}) become {@code DATETIME}, never a zoned {@code TIMESTAMP}.
 *
 * <pre>{@code
 * rows.apply(BigQuerySink.to("my-project:taxi.revenue_report")
 *     .withWriteDisposition(WriteDisposition.WRITE_TRUNCATE)
 *     .withMonthlyPartitioning("revenue_month")
 *     .withTempLocation("gs://my-bucket/tmp"));
 * }</pre>
 */
public final class BigQuerySink extends PTransform<PCollection<Row>, PDone> {
  private static final long serialVersionUID = 1L;
  private static final DateTimeFormatter DATETIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss.SSSSSS", Locale.ROOT);

  private final BigQueryTableSpec table;
  private final WriteDisposition writeDisposition;
  private final String partitionField;
  private final String tempLocation;

  private BigQuerySink(
      BigQueryTableSpec table, WriteDisposition write, String partitionField, String temp) {
    this.table = table;
    this.writeDisposition = write;
    this.partitionField = partitionField;
    this.tempLocation = temp;
  }

  /** A sink into {@code project:dataset.table}; replaces the table's rows by default. */
  public static BigQuerySink to(String tableSpec) {
    return new BigQuerySink(
        BigQueryTableSpec.parse(tableSpec), WriteDisposition.WRITE_TRUNCATE, null, null);
  }

  /** WRITE_TRUNCATE (default), WRITE_APPEND or WRITE_EMPTY. */
  public BigQuerySink withWriteDisposition(WriteDisposition write) {
    return new BigQuerySink(table, write, partitionField, tempLocation);
  }

  /** Partitions a created table by month on a DATE, DATETIME or TIMESTAMP column. */
  public BigQuerySink withMonthlyPartitioning(String column) {
    return new BigQuerySink(table, writeDisposition, column, tempLocation);
  }

  /** Where the load files are staged ({@code gs://...}); default: the pipeline's tempLocation. */
  public BigQuerySink withTempLocation(String gcsDirectory) {
    return new BigQuerySink(table, writeDisposition, partitionField, gcsDirectory);
  }

  @Override
  public PDone expand(PCollection<Row> input) {
    Schema schema = input.getSchema();
    if (partitionField != null) {
      if (!schema.hasField(partitionField)) {
        throw new IllegalArgumentException(
            "cannot partition " + table + " by '" + partitionField + "': no such column");
      }
      String type = bigQueryType(schema.getField(partitionField).getType());
      if (!List.of("DATE", "DATETIME", "TIMESTAMP").contains(type)) {
        throw new IllegalArgumentException(
            "cannot partition "
                + table
                + " by '"
                + partitionField
                + "': it is "
                + type
                + ", not a DATE, DATETIME or TIMESTAMP");
      }
    }
    TableReference ref =
        new TableReference()
            .setProjectId(table.project().orElse(null))
            .setDatasetId(table.dataset())
            .setTableId(table.table());
    BigQueryIO.Write<Row> write =
        BigQueryIO.<Row>write()
            .to(ref)
            .withSchema(tableSchema(schema))
            .withFormatFunction(new ToTableRow())
            .withMethod(BigQueryIO.Write.Method.FILE_LOADS)
            .withCreateDisposition(CreateDisposition.CREATE_IF_NEEDED)
            .withWriteDisposition(writeDisposition);
    if (partitionField != null) {
      write =
          write.withTimePartitioning(
              new TimePartitioning().setType("MONTH").setField(partitionField));
    }
    if (tempLocation != null) {
      write = write.withCustomGcsTempLocation(StaticValueProvider.of(tempLocation));
    }
    input.apply("LoadIntoBigQuery", write);
    return PDone.in(input.getPipeline());
  }

  /**
   * The rows table {@code tableSpec} holds now, from BigQuery's table metadata (0 when it does not
   * exist): what a summary reports as loaded, a fact about the table rather than a count of the
   * rows sent.
   */
  public static long rowsIn(String tableSpec, BigQueryOptions options)
      throws IOException, InterruptedException {
    BigQueryTableSpec t = BigQueryTableSpec.parse(tableSpec);
    TableReference ref =
        new TableReference()
            .setProjectId(t.project().orElse(options.getProject()))
            .setDatasetId(t.dataset())
            .setTableId(t.table());
    try (BigQueryServices.DatasetService datasets =
        new BigQueryServicesImpl().getDatasetService(options)) {
      Table table = datasets.getTable(ref);
      return table == null || table.getNumRows() == null ? 0 : table.getNumRows().longValue();
    } catch (IOException | InterruptedException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException(e);
    }
  }

  /** The BigQuery schema of a Beam schema: nullable fields NULLABLE, others REQUIRED. */
  public static TableSchema tableSchema(Schema schema) {
    return new TableSchema().setFields(fields(schema));
  }

  private static List<TableFieldSchema> fields(Schema schema) {
    List<TableFieldSchema> out = new ArrayList<>();
    for (Field f : schema.getFields()) {
      FieldType t = f.getType();
      TableFieldSchema fs = new TableFieldSchema().setName(f.getName());
      if (t.getTypeName().isCollectionType()) {
        FieldType element = t.getCollectionElementType();
        fs.setMode("REPEATED").setType(bigQueryType(element));
        if (element.getTypeName() == TypeName.ROW) {
          fs.setFields(fields(element.getRowSchema()));
        }
      } else {
        fs.setMode(t.getNullable() ? "NULLABLE" : "REQUIRED").setType(bigQueryType(t));
        if (t.getTypeName() == TypeName.ROW) {
          fs.setFields(fields(t.getRowSchema()));
        }
      }
      out.add(fs);
    }
    return out;
  }

  /** The BigQuery type name of a Beam field type. */
  public static String bigQueryType(FieldType t) {
    switch (t.getTypeName()) {
      case BYTE:
      case INT16:
      case INT32:
      case INT64:
        return "INTEGER";
      case FLOAT:
      case DOUBLE:
        return "FLOAT";
      case DECIMAL:
        return "BIGNUMERIC";
      case BOOLEAN:
        return "BOOLEAN";
      case STRING:
        return "STRING";
      case BYTES:
        return "BYTES";
      case DATETIME:
        return "TIMESTAMP";
      case ROW:
        return "RECORD";
      case LOGICAL_TYPE:
        String id = t.getLogicalType().getIdentifier();
        Class<?> base = javaClassOf(id);
        if (base == LocalDateTime.class) {
          return "DATETIME";
        }
        if (base == LocalDate.class) {
          return "DATE";
        }
        if (base == LocalTime.class) {
          return "TIME";
        }
        return bigQueryType(t.getLogicalType().getBaseType());
      default:
        throw new IllegalArgumentException("no BigQuery type for " + t);
    }
  }

  private static Class<?> javaClassOf(String logicalTypeId) {
    switch (logicalTypeId) {
      case "beam:logical_type:datetime:v1":
        return LocalDateTime.class;
      case "beam:logical_type:date:v1":
        return LocalDate.class;
      case "beam:logical_type:time:v1":
        return LocalTime.class;
      default:
        return Object.class;
    }
  }

  /** A Row as a TableRow: nulls left out, wall-clock values in BigQuery's canonical text. */
  static final class ToTableRow implements SerializableFunction<Row, TableRow> {
    private static final long serialVersionUID = 1L;

    @Override
    public TableRow apply(Row row) {
      TableRow out = new TableRow();
      Schema schema = row.getSchema();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        Object v = row.getValue(i);
        if (v != null) {
          out.set(schema.getField(i).getName(), value(v));
        }
      }
      return out;
    }

    private static Object value(Object v) {
      if (v instanceof LocalDateTime ldt) {
        return DATETIME.format(ldt);
      }
      if (v instanceof LocalDate || v instanceof LocalTime) {
        return v.toString();
      }
      if (v instanceof BigDecimal bd) {
        return bd.toPlainString();
      }
      if (v instanceof org.joda.time.ReadableInstant instant) {
        return instant.getMillis() / 1000.0;
      }
      if (v instanceof byte[] bytes) {
        return java.util.Base64.getEncoder().encodeToString(bytes);
      }
      if (v instanceof Row nested) {
        return new ToTableRow().apply(nested);
      }
      if (v instanceof Collection<?> c) {
        List<Object> list = new ArrayList<>();
        for (Object e : c) {
          list.add(value(e));
        }
        return list;
      }
      if (v instanceof Double d && (d.isNaN() || d.isInfinite())) {
        return d.toString();
      }
      return v;
    }
  }
}
