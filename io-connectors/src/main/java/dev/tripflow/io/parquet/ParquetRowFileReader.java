package dev.tripflow.io.parquet;

import dev.tripflow.spi.ColumnOptions;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.NoSuchElementException;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.beam.sdk.schemas.Schema.Field;
import org.apache.beam.sdk.values.Row;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.page.PageReadStore;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.io.InputFile;
import org.apache.parquet.schema.MessageType;
import org.apache.parquet.schema.Type;

/**
 * Reads one Parquet file as Beam rows of a target schema, decoding only the columns the target
 * names (matched by name, exactly first, then ignoring case). A file that lacks a column the target
 * names is refused (a report file given as trips would otherwise read as rows of nulls), unless the
 * field has the option {@link ColumnOptions#OPTIONAL}; so is a column whose type does not convert.
 * Every error names the file and the column.
 *
 * <pre>{@code
 * try (ParquetRowFileReader r = ParquetRowFileReader.open(path, null)) { // the file's own schema
 *   r.forEachRemaining(row -> ...);
 * }
 * }</pre>
 */
public final class ParquetRowFileReader implements Iterator<Row>, AutoCloseable {
  private final String name;
  private final ParquetFileReader reader;
  private final Schema schema;
  private final MessageType requested;
  private final RowMaterializer materializer;
  private final FlatColumnReader[] columnReaders;
  private long remainingInGroup;
  private long rowNumber;
  // The row groups still to read; the reader skipped those before its range.
  private int groupsLeft = Integer.MAX_VALUE;

  private ParquetRowFileReader(InputFile file, String name, Schema target, ColumnMapping mapping)
      throws IOException {
    this.name = name;
    ParquetFileReader r;
    try {
      r = ParquetFileReader.open(file, BeamParquetFiles.readOptions());
    } catch (IOException | RuntimeException e) {
      throw new IOException(name + ": not a readable Parquet file (" + firstLine(e) + ")", e);
    }
    this.reader = r;
    try {
      MessageType fileType = reader.getFooter().getFileMetaData().getSchema();
      this.schema = target != null ? target : ParquetSchemas.toBeam(fileType);
      List<Type> columns = new ArrayList<>();
      List<Integer> targetIndex = new ArrayList<>();
      List<Integer> constantIndex = new ArrayList<>();
      List<Object> constantValues = new ArrayList<>();
      for (int i = 0; i < schema.getFieldCount(); i++) {
        Field f = schema.getField(i);
        String constant = mapping.constantOf(f.getName());
        if (constant != null) {
          constantIndex.add(i);
          constantValues.add(constant);
          continue;
        }
        String columnName = mapping.columnOf(f.getName());
        Type column = find(fileType, columnName);
        if (column == null) {
          if (!f.getType().getNullable() || !isOptional(f)) {
            throw new IllegalArgumentException(
                name
                    + ": no column '"
                    + columnName
                    + "'"
                    + (columnName.equals(f.getName()) ? "" : " (read as " + f.getName() + ")")
                    + ", which is needed; the file has "
                    + String.join(", ", columnNames(fileType)));
          }
          continue;
        }
        if (!column.isPrimitive() || column.isRepetition(Type.Repetition.REPEATED)) {
          throw new IllegalArgumentException(
              name
                  + ": column '"
                  + column.getName()
                  + "' is nested or repeated, not readable as "
                  + f.getType());
        }
        columns.add(column);
        targetIndex.add(i);
      }
      this.requested = new MessageType(fileType.getName(), columns);
      reader.setRequestedSchema(requested);
      this.columnReaders = new FlatColumnReader[columns.size()];
      this.materializer =
          new RowMaterializer(
              schema,
              requested,
              targetIndex.stream().mapToInt(Integer::intValue).toArray(),
              constantIndex.stream().mapToInt(Integer::intValue).toArray(),
              constantValues.toArray(),
              name);
    } catch (RuntimeException e) {
      reader.close();
      throw e;
    }
  }

  private static boolean isOptional(Field f) {
    Schema.Options o = f.getOptions();
    return o.hasOption(ColumnOptions.OPTIONAL)
        && Boolean.TRUE.equals(o.getValue(ColumnOptions.OPTIONAL, Boolean.class));
  }

  private static List<String> columnNames(MessageType fileType) {
    List<String> names = new ArrayList<>();
    fileType.getFields().forEach(t -> names.add(t.getName()));
    return names.size() <= 24 ? names : names.subList(0, 24);
  }

  private static Type find(MessageType fileType, String name) {
    if (fileType.containsField(name)) {
      return fileType.getType(name);
    }
    String lower = name.toLowerCase(Locale.ROOT);
    for (Type t : fileType.getFields()) {
      if (t.getName().toLowerCase(Locale.ROOT).equals(lower)) {
        return t;
      }
    }
    return null;
  }

  /**
   * Opens a local file.
   *
   * @param target the rows' schema, or null for the file's own columns
   */
  public static ParquetRowFileReader open(Path path, Schema target) throws IOException {
    return open(path, target, ColumnMapping.NONE);
  }

  /** Opens a local file, filling the target's fields as {@code mapping} says. */
  public static ParquetRowFileReader open(Path path, Schema target, ColumnMapping mapping)
      throws IOException {
    if (!Files.isRegularFile(path)) {
      throw new IOException(path + ": no such file");
    }
    ResourceId id = FileSystems.matchNewResource(path.toAbsolutePath().toString(), false);
    return new ParquetRowFileReader(
        BeamParquetFiles.input(id, Files.size(path)), path.toString(), target, mapping);
  }

  /** Opens a file of any Beam file system (local, {@code gs://}, ...). */
  public static ParquetRowFileReader open(Metadata file, Schema target) throws IOException {
    return open(file, target, ColumnMapping.NONE);
  }

  /** Opens a file of any Beam file system, filling the target's fields as {@code mapping} says. */
  public static ParquetRowFileReader open(Metadata file, Schema target, ColumnMapping mapping)
      throws IOException {
    return new ParquetRowFileReader(
        BeamParquetFiles.input(file.resourceId(), file.sizeBytes()),
        file.resourceId().toString(),
        target,
        mapping);
  }

  /**
   * Opens a file's row groups {@code [first, first + count)} only (a split of a large file), the
   * file given by its path and size.
   */
  public static ParquetRowFileReader open(
      String path, long sizeBytes, Schema target, ColumnMapping mapping, int first, int count)
      throws IOException {
    ParquetRowFileReader r =
        new ParquetRowFileReader(
            BeamParquetFiles.input(FileSystems.matchNewResource(path, false), sizeBytes),
            path,
            target,
            mapping);
    try {
      for (int i = 0; i < first; i++) {
        r.reader.skipNextRowGroup();
      }
    } catch (RuntimeException e) {
      r.close();
      throw e;
    }
    r.groupsLeft = count;
    return r;
  }

  /** The row groups of a file and their compressed sizes, from its footer. */
  public static long[] rowGroupSizes(String path, long sizeBytes) throws IOException {
    try (ParquetFileReader r =
        ParquetFileReader.open(
            BeamParquetFiles.input(FileSystems.matchNewResource(path, false), sizeBytes),
            BeamParquetFiles.readOptions())) {
      List<org.apache.parquet.hadoop.metadata.BlockMetaData> groups = r.getRowGroups();
      long[] sizes = new long[groups.size()];
      for (int i = 0; i < sizes.length; i++) {
        sizes[i] = groups.get(i).getCompressedSize();
      }
      return sizes;
    }
  }

  /** The schema of the rows returned. */
  public Schema schema() {
    return schema;
  }

  /** Rows in the file, from its footer. */
  public long rowCount() {
    return reader.getRecordCount();
  }

  @Override
  public boolean hasNext() {
    if (remainingInGroup > 0) {
      return true;
    }
    try {
      PageReadStore pages;
      while (groupsLeft > 0 && (pages = reader.readNextRowGroup()) != null) {
        groupsLeft--;
        if (pages.getRowCount() > 0) {
          remainingInGroup = pages.getRowCount();
          List<ColumnDescriptor> descriptors = requested.getColumns();
          for (int i = 0; i < columnReaders.length; i++) {
            columnReaders[i] =
                new FlatColumnReader(
                    descriptors.get(i),
                    pages.getPageReader(descriptors.get(i)),
                    materializer.columnConverter(i));
          }
          return true;
        }
      }
      return false;
    } catch (IOException e) {
      throw new UncheckedIOException(name + ": " + firstLine(e), e);
    }
  }

  @Override
  public Row next() {
    if (!hasNext()) {
      throw new NoSuchElementException();
    }
    remainingInGroup--;
    rowNumber++;
    try {
      materializer.startRecord();
      for (FlatColumnReader column : columnReaders) {
        column.readNext();
      }
      return materializer.getCurrentRecord();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(e.getMessage() + " (row " + rowNumber + ")", e);
    } catch (RuntimeException e) {
      throw new IllegalStateException(
          name + ": row " + rowNumber + " cannot be decoded: " + firstLine(e), e);
    }
  }

  @Override
  public void close() throws IOException {
    reader.close();
  }

  private static String firstLine(Throwable e) {
    String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    int nl = m.indexOf('\n');
    return nl < 0 ? m : m.substring(0, nl);
  }
}
