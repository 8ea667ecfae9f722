package dev.tripflow.io.parquet;

import dev.tripflow.io.output.AtomicWrite;
import java.io.IOException;
import java.nio.channels.WritableByteChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MatchResult.Metadata;
import org.apache.beam.sdk.io.fs.ResolveOptions.StandardResolveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.schemas.Schema;
import org.apache.parquet.hadoop.ParquetFileReader;
import org.apache.parquet.hadoop.ParquetFileWriter;
import org.apache.parquet.hadoop.ParquetWriter;
import org.apache.parquet.hadoop.metadata.BlockMetaData;
import org.apache.parquet.hadoop.metadata.ColumnChunkMetaData;
import org.apache.parquet.hadoop.metadata.FileMetaData;
import org.apache.parquet.io.SeekableInputStream;
import org.apache.parquet.schema.MessageType;

/**
 * Joins Parquet files of one schema into one file by copying their row groups' column chunks as
 * they are (compressed pages, statistics, column and offset indexes; nothing is decoded). When more
 * than {@link #MAX_SMALL_PIECES_COPIED} pieces have row groups averaging under {@link
 * #SMALL_ROW_GROUP_BYTES} (many small bundles, as some runners make), those are first re-encoded
 * together into one piece, so the result is not a file of many tiny row groups; a few small ones
 * (one per partition of a small report) are copied like the others, which costs a copy of their
 * bytes instead of decoding and encoding their rows again.
 *
 * <p>This is what lets a single-file write of rows run on every worker at once ({@link
 * AtomicWrite#concatenatedBy}): each writes its own piece, and the join costs a copy of the bytes.
 */
final class ParquetConcatenation implements AtomicWrite.Concatenation {
  private static final long serialVersionUID = 1L;

  /** Row groups smaller than this on average are re-encoded rather than copied. */
  static final long SMALL_ROW_GROUP_BYTES = 1L << 20;

  /** Up to this many small pieces are copied as they are; more are re-encoded into one. */
  static final int MAX_SMALL_PIECES_COPIED = 8;

  private final Schema schema;

  ParquetConcatenation(Schema schema) {
    this.schema = schema;
  }

  @Override
  public void concatenate(List<ResourceId> pieces, ResourceId target) throws IOException {
    List<Metadata> files = new ArrayList<>();
    for (MatchResult m : FileSystems.matchResources(pieces)) {
      files.addAll(m.metadata());
    }
    List<Metadata> large = new ArrayList<>();
    List<Metadata> small = new ArrayList<>();
    for (Metadata f : files) {
      try (ParquetFileReader r = open(f)) {
        int groups = Math.max(1, r.getRowGroups().size());
        (f.sizeBytes() / groups < SMALL_ROW_GROUP_BYTES ? small : large).add(f);
      }
    }
    if (small.size() > MAX_SMALL_PIECES_COPIED) {
      large.add(reencode(small, target));
    } else {
      large.addAll(small);
    }
    copyRowGroups(large, target);
  }

  /** Writes the rows of the small pieces into one new piece beside the target. */
  private Metadata reencode(List<Metadata> small, ResourceId target) throws IOException {
    ResourceId joined =
        target
            .getCurrentDirectory()
            .resolve(".tmp/small-" + target.getFilename(), StandardResolveOptions.RESOLVE_FILE);
    try (WritableByteChannel channel = FileSystems.create(joined, "application/octet-stream")) {
      try (ParquetRowFileWriter writer =
          ParquetRowFileWriter.open(channel, schema, joined.toString())) {
        for (Metadata f : small) {
          try (ParquetRowFileReader reader = ParquetRowFileReader.open(f, schema)) {
            while (reader.hasNext()) {
              writer.write(reader.next());
            }
          }
        }
      }
    }
    return FileSystems.matchSingleFileSpec(joined.toString());
  }

  private static void copyRowGroups(List<Metadata> pieces, ResourceId target) throws IOException {
    MessageType type = null;
    Map<String, String> keyValues = null;
    try (WritableByteChannel channel = FileSystems.create(target, "application/octet-stream")) {
      ParquetFileWriter writer = null;
      for (Metadata piece : pieces) {
        try (ParquetFileReader reader = open(piece);
            SeekableInputStream in =
                BeamParquetFiles.input(piece.resourceId(), piece.sizeBytes()).newStream()) {
          FileMetaData meta = reader.getFooter().getFileMetaData();
          if (writer == null) {
            type = meta.getSchema();
            keyValues = meta.getKeyValueMetaData();
            writer =
                new ParquetFileWriter(
                    BeamParquetFiles.output(channel, target.toString()),
                    type,
                    ParquetFileWriter.Mode.OVERWRITE,
                    ParquetWriter.DEFAULT_BLOCK_SIZE,
                    0);
            writer.start();
          } else if (!type.equals(meta.getSchema())) {
            throw new IOException(
                piece.resourceId()
                    + ": its schema differs from the other pieces' ("
                    + meta.getSchema()
                    + " against "
                    + type
                    + ")");
          }
          for (BlockMetaData group : reader.getRowGroups()) {
            writer.startBlock(group.getRowCount());
            for (ColumnChunkMetaData chunk : group.getColumns()) {
              writer.appendColumnChunk(
                  type.getColumnDescription(chunk.getPath().toArray()),
                  in,
                  chunk,
                  null,
                  reader.readColumnIndex(chunk),
                  reader.readOffsetIndex(chunk));
            }
            writer.endBlock();
          }
        }
      }
      if (writer != null) {
        writer.end(keyValues);
      }
    }
  }

  private static ParquetFileReader open(Metadata file) throws IOException {
    return ParquetFileReader.open(
        BeamParquetFiles.input(file.resourceId(), file.sizeBytes()),
        BeamParquetFiles.readOptions());
  }
}
