package dev.tripflow.testing;

import static org.junit.Assert.assertArrayEquals;
import static org.junit.Assert.assertEquals;
import static org.junit.Assert.assertNull;
import static org.junit.Assert.assertTrue;
import static org.junit.Assert.fail;

import com.google.auth.oauth2.ServiceAccountCredentials;
import com.google.cloud.storage.BlobId;
import com.google.cloud.storage.BlobInfo;
import com.google.cloud.storage.Storage;
import com.google.cloud.storage.StorageException;
import com.google.cloud.storage.StorageOptions;
import com.google.cloud.storage.StorageRetryStrategy;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.Channels;
import java.nio.channels.ReadableByteChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.apache.beam.sdk.extensions.gcp.options.GcsOptions;
import org.apache.beam.sdk.io.FileSystems;
import org.apache.beam.sdk.io.fs.MatchResult;
import org.apache.beam.sdk.io.fs.MoveOptions;
import org.apache.beam.sdk.io.fs.ResourceId;
import org.apache.beam.sdk.options.PipelineOptionsFactory;
import org.junit.After;
import org.junit.Before;
import org.junit.Rule;
import org.junit.Test;
import org.junit.rules.TemporaryFolder;

/**
 * The loopback GCS server, driven by the real clients: Google's Cloud Storage client (multipart and
 * resumable uploads, reads, lists, deletes) and Beam's GCS filesystem through gcsio (writes, ranged
 * reads, glob matching, batched copies and deletes), authenticated with a service-account key whose
 * JWT grant goes to the server's token endpoint; then the same with every 4th request answered 503.
 */
public class LoopbackGcsTest {
  @Rule public final TemporaryFolder tmp = new TemporaryFolder();

  private LoopbackGcs gcs;
  private ServiceAccountCredentials credentials;

  @Before
  public void start() throws Exception {
    gcs = LoopbackGcs.start(0).createBucket("trips").createBucket("private", "owner@x.iam");
    Path key = gcs.writeServiceAccountKey(tmp.newFile("key.json").toPath(), "runner@x.iam");
    try (InputStream in = Files.newInputStream(key)) {
      credentials = ServiceAccountCredentials.fromStream(in);
    }
  }

  @After
  public void stop() {
    gcs.close();
  }

  private Storage client() {
    return StorageOptions.newBuilder()
        .setHost(gcs.url())
        .setProjectId("tripflow-test")
        .setCredentials(credentials)
        // Uploads without a precondition are retried only under the uniform strategy (tripflow
        // upload's: re-uploading the same bytes is harmless).
        .setStorageRetryStrategy(StorageRetryStrategy.getUniformStorageRetryStrategy())
        .build()
        .getService();
  }

  private static byte[] random(int n, long seed) {
    byte[] b = new byte[n];
    new Random(seed).nextBytes(b);
    return b;
  }

  @Test
  public void googleCloudStorageClient() throws Exception {
    clientRoundTrips();
  }

  @Test
  public void googleCloudStorageClientThroughFaults() throws Exception {
    gcs.failEvery(4);
    clientRoundTrips();
    assertTrue("no fault was injected", gcs.faults() > 0);
  }

  private void clientRoundTrips() throws Exception {
    Storage storage = client();
    assertEquals("trips", storage.get("trips").getName());
    assertNull(storage.get("no-such-bucket"));
    byte[] small = random(1000, 1);
    storage.create(BlobInfo.newBuilder("trips", "a/small.bin").build(), small);
    Path big = tmp.newFile().toPath();
    byte[] large = random(5 * 1024 * 1024 + 17, 2);
    Files.write(big, large);
    storage.createFrom(BlobInfo.newBuilder("trips", "a/b/large.bin").build(), big, 1 << 20);
    assertArrayEquals(small, storage.readAllBytes(BlobId.of("trips", "a/small.bin")));
    assertArrayEquals(large, storage.readAllBytes(BlobId.of("trips", "a/b/large.bin")));
    List<String> names = new ArrayList<>();
    storage
        .list("trips", Storage.BlobListOption.prefix("a/"))
        .iterateAll()
        .forEach(b -> names.add(b.getName()));
    assertEquals(List.of("a/b/large.bin", "a/small.bin"), names);
    assertTrue(storage.delete(BlobId.of("trips", "a/small.bin")));
    assertEquals(List.of("a/b/large.bin"), gcs.list("trips"));
    try {
      storage.create(BlobInfo.newBuilder("private", "x").build(), small);
      fail("an account outside the bucket's list wrote to it");
    } catch (StorageException e) {
      assertEquals(403, e.getCode());
    }
  }

  @Test
  public void beamFileSystem() throws Exception {
    beamRoundTrips();
  }

  @Test
  public void beamFileSystemThroughFaults() throws Exception {
    gcs.failEvery(4);
    beamRoundTrips();
    assertTrue("no fault was injected", gcs.faults() > 0);
  }

  private void beamRoundTrips() throws Exception {
    GcsOptions options = PipelineOptionsFactory.as(GcsOptions.class);
    options.setGcsEndpoint(gcs.beamEndpoint());
    options.setGcpCredential(credentials);
    options.setProject("tripflow-test");
    FileSystems.setDefaultPipelineOptions(options);
    byte[][] files = {random(3 * 1024 * 1024, 3), random(10, 4), random(0, 5)};
    for (int i = 0; i < files.length; i++) {
      ResourceId id = FileSystems.matchNewResource("gs://trips/pq/part-" + i + ".parquet", false);
      try (OutputStream out =
          Channels.newOutputStream(FileSystems.create(id, "application/octet-stream"))) {
        out.write(files[i]);
      }
    }
    MatchResult m = FileSystems.match("gs://trips/pq/*.parquet");
    assertEquals(3, m.metadata().size());
    for (int i = 0; i < files.length; i++) {
      ResourceId id =
          FileSystems.matchSingleFileSpec("gs://trips/pq/part-" + i + ".parquet").resourceId();
      try (ReadableByteChannel ch = FileSystems.open(id)) {
        assertArrayEquals(Channels.newInputStream(ch).readAllBytes(), files[i]);
      }
    }
    // A ranged read: seek into the large file, as Parquet does for its footer.
    try (SeekableByteChannel ch =
        (SeekableByteChannel)
            FileSystems.open(
                FileSystems.matchSingleFileSpec("gs://trips/pq/part-0.parquet").resourceId())) {
      ch.position(files[0].length - 8);
      ByteBuffer tail = ByteBuffer.allocate(8);
      while (tail.hasRemaining() && ch.read(tail) > 0) {}
      byte[] expected =
          java.util.Arrays.copyOfRange(files[0], files[0].length - 8, files[0].length);
      assertArrayEquals(expected, tail.array());
    }
    List<ResourceId> src = new ArrayList<>();
    List<ResourceId> dst = new ArrayList<>();
    for (int i = 0; i < files.length; i++) {
      src.add(FileSystems.matchNewResource("gs://trips/pq/part-" + i + ".parquet", false));
      dst.add(FileSystems.matchNewResource("gs://trips/out/part-" + i + ".parquet", false));
    }
    FileSystems.rename(src, dst, MoveOptions.StandardMoveOptions.IGNORE_MISSING_FILES);
    assertEquals(
        List.of("out/part-0.parquet", "out/part-1.parquet", "out/part-2.parquet"),
        gcs.list("trips"));
    assertArrayEquals(files[0], gcs.read("trips", "out/part-0.parquet"));
    FileSystems.delete(dst);
    assertEquals(List.of(), gcs.list("trips"));
  }
}
