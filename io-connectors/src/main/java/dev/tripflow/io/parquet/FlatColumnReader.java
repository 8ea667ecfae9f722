package dev.tripflow.io.parquet;

import java.io.IOException;
import java.io.UncheckedIOException;
import org.apache.parquet.bytes.ByteBufferInputStream;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Dictionary;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.ValuesType;
import org.apache.parquet.column.page.DataPage;
import org.apache.parquet.column.page.DataPageV1;
import org.apache.parquet.column.page.DataPageV2;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageReader;
import org.apache.parquet.column.values.ValuesReader;
import org.apache.parquet.io.api.Binary;
import org.apache.parquet.io.api.PrimitiveConverter;
import org.apache.parquet.schema.PrimitiveType.PrimitiveTypeName;

/**
 * Reads one flat (non-nested, non-repeated) column of one row group value by value into a
 * converter. Definition levels, dictionary ids and plain fixed-width values are decoded here
 * straight from the page bytes; other encodings (delta, byte-stream-split, booleans, ...) go
 * through Parquet's own value readers. A converter with dictionary support gets dictionary ids, so
 * it can convert each distinct value once.
 */
final class FlatColumnReader {
  private final ColumnDescriptor column;
  private final PageReader pages;
  private final PrimitiveConverter converter;
  private final PrimitiveTypeName type;
  private final int maxDefinition;
  private final Dictionary dictionary;
  private final boolean convertsDictionary;

  private int leftInPage;
  private HybridDecoder levels;
  private ValuesReader fallbackLevels;
  private Values values;

  FlatColumnReader(ColumnDescriptor column, PageReader pages, PrimitiveConverter converter) {
    this.column = column;
    this.pages = pages;
    this.converter = converter;
    this.type = column.getPrimitiveType().getPrimitiveTypeName();
    this.maxDefinition = column.getMaxDefinitionLevel();
    DictionaryPage page = pages.readDictionaryPage();
    try {
      this.dictionary = page == null ? null : page.getEncoding().initDictionary(column, page);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    this.convertsDictionary = dictionary != null && converter.hasDictionarySupport();
    if (convertsDictionary) {
      converter.setDictionary(dictionary);
    }
  }

  /** Reads the next value (or null) into the converter. */
  void readNext() {
    if (leftInPage == 0) {
      nextPage();
    }
    leftInPage--;
    if (maxDefinition > 0) {
      int level = levels != null ? levels.next() : fallbackLevels.readInteger();
      if (level < maxDefinition) {
        return;
      }
    }
    values.writeTo(converter);
  }

  private void nextPage() {
    DataPage page = pages.readPage();
    if (page == null) {
      throw new IllegalStateException("column " + column + " has fewer values than its row group");
    }
    try {
      if (page instanceof DataPageV1 v1) {
        startV1(v1);
      } else {
        startV2((DataPageV2) page);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    leftInPage = page.getValueCount();
  }

  private void startV1(DataPageV1 page) throws IOException {
    byte[] bytes = page.getBytes().toByteArray();
    int offset = 0;
    levels = null;
    fallbackLevels = null;
    if (maxDefinition > 0) {
      if (page.getDlEncoding() == Encoding.RLE) {
        int length = littleEndianInt(bytes, 0);
        levels = new HybridDecoder(bytes, 4, 4 + length, HybridDecoder.bitWidth(maxDefinition));
        offset = 4 + length;
      } else {
        ByteBufferInputStream in = ByteBufferInputStream.wrap(java.nio.ByteBuffer.wrap(bytes));
        fallbackLevels = page.getDlEncoding().getValuesReader(column, ValuesType.DEFINITION_LEVEL);
        fallbackLevels.initFromPage(page.getValueCount(), in);
        offset = (int) in.position();
      }
    }
    values = values(page.getValueEncoding(), bytes, offset, page.getValueCount());
  }

  private void startV2(DataPageV2 page) throws IOException {
    levels = null;
    fallbackLevels = null;
    if (maxDefinition > 0) {
      byte[] dl = page.getDefinitionLevels().toByteArray();
      levels = new HybridDecoder(dl, 0, dl.length, HybridDecoder.bitWidth(maxDefinition));
    }
    byte[] data = page.getData().toByteArray();
    values = values(page.getDataEncoding(), data, 0, page.getValueCount());
  }

  private Values values(Encoding encoding, byte[] bytes, int offset, int count) throws IOException {
    if (encoding.usesDictionary()) {
      if (dictionary == null) {
        throw new IllegalStateException(
            "column " + column + ": a dictionary-encoded page but no dictionary page");
      }
      int bitWidth = offset < bytes.length ? bytes[offset] & 0xFF : 0;
      HybridDecoder ids = new HybridDecoder(bytes, offset + 1, bytes.length, bitWidth);
      return convertsDictionary
          ? c -> c.addValueFromDictionary(ids.next())
          : new DictionaryValues(ids, dictionary, type);
    }
    if (encoding == Encoding.PLAIN) {
      switch (type) {
        case INT32:
          return new PlainFixed(bytes, offset, 4, type);
        case INT64:
        case DOUBLE:
          return new PlainFixed(bytes, offset, 8, type);
        case FLOAT:
          return new PlainFixed(bytes, offset, 4, type);
        case BINARY:
          return new PlainBinary(bytes, offset);
        default:
          break;
      }
    }
    ValuesReader reader = encoding.getValuesReader(column, ValuesType.VALUES);
    reader.initFromPage(
        count,
        ByteBufferInputStream.wrap(java.nio.ByteBuffer.wrap(bytes, offset, bytes.length - offset)));
    return new ParquetValues(reader, type);
  }

  static int littleEndianInt(byte[] b, int i) {
    return (b[i] & 0xFF)
        | (b[i + 1] & 0xFF) << 8
        | (b[i + 2] & 0xFF) << 16
        | (b[i + 3] & 0xFF) << 24;
  }

  static long littleEndianLong(byte[] b, int i) {
    return (littleEndianInt(b, i) & 0xFFFFFFFFL) | ((long) littleEndianInt(b, i + 4)) << 32;
  }

  /** The values of one page. */
  private interface Values {
    void writeTo(PrimitiveConverter c);
  }

  private static final class DictionaryValues implements Values {
    private final HybridDecoder ids;
    private final Dictionary dictionary;
    private final PrimitiveTypeName type;

    DictionaryValues(HybridDecoder ids, Dictionary dictionary, PrimitiveTypeName type) {
      this.ids = ids;
      this.dictionary = dictionary;
      this.type = type;
    }

    @Override
    public void writeTo(PrimitiveConverter c) {
      writeDictionaryValue(dictionary, ids.next(), type, c);
    }
  }

  /** Passes dictionary entry {@code id} to the converter as a value of the column's type. */
  static void writeDictionaryValue(
      Dictionary dictionary, int id, PrimitiveTypeName type, PrimitiveConverter c) {
    switch (type) {
      case INT32:
        c.addInt(dictionary.decodeToInt(id));
        break;
      case INT64:
        c.addLong(dictionary.decodeToLong(id));
        break;
      case FLOAT:
        c.addFloat(dictionary.decodeToFloat(id));
        break;
      case DOUBLE:
        c.addDouble(dictionary.decodeToDouble(id));
        break;
      case BOOLEAN:
        c.addBoolean(dictionary.decodeToBoolean(id));
        break;
      default:
        c.addBinary(dictionary.decodeToBinary(id));
    }
  }

  private static final class PlainFixed implements Values {
    private final byte[] bytes;
    private final int width;
    private final PrimitiveTypeName type;
    private int pos;

    PlainFixed(byte[] bytes, int offset, int width, PrimitiveTypeName type) {
      this.bytes = bytes;
      this.pos = offset;
      this.width = width;
      this.type = type;
    }

    @Override
    public void writeTo(PrimitiveConverter c) {
      if (pos + width > bytes.length) {
        throw new IllegalStateException("corrupt page: plain values end early");
      }
      switch (type) {
        case INT32:
          c.addInt(littleEndianInt(bytes, pos));
          break;
        case INT64:
          c.addLong(littleEndianLong(bytes, pos));
          break;
        case FLOAT:
          c.addFloat(Float.intBitsToFloat(littleEndianInt(bytes, pos)));
          break;
        default:
          c.addDouble(Double.longBitsToDouble(littleEndianLong(bytes, pos)));
      }
      pos += width;
    }
  }

  private static final class PlainBinary implements Values {
    private final byte[] bytes;
    private int pos;

    PlainBinary(byte[] bytes, int offset) {
      this.bytes = bytes;
      this.pos = offset;
    }

    @Override
    public void writeTo(PrimitiveConverter c) {
      int length = littleEndianInt(bytes, pos);
      if (length < 0 || pos + 4 + length > bytes.length) {
        throw new IllegalStateException("corrupt page: a plain binary value ends past the page");
      }
      c.addBinary(Binary.fromConstantByteArray(bytes, pos + 4, length));
      pos += 4 + length;
    }
  }

  private static final class ParquetValues implements Values {
    private final ValuesReader reader;
    private final PrimitiveTypeName type;

    ParquetValues(ValuesReader reader, PrimitiveTypeName type) {
      this.reader = reader;
      this.type = type;
    }

    @Override
    public void writeTo(PrimitiveConverter c) {
      switch (type) {
        case INT32:
          c.addInt(reader.readInteger());
          break;
        case INT64:
          c.addLong(reader.readLong());
          break;
        case FLOAT:
          c.addFloat(reader.readFloat());
          break;
        case DOUBLE:
          c.addDouble(reader.readDouble());
          break;
        case BOOLEAN:
          c.addBoolean(reader.readBoolean());
          break;
        default:
          c.addBinary(reader.readBytes());
      }
    }
  }
}
