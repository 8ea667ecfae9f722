package dev.tripflow.runners.partitioned.shuffle;

import java.util.List;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/** One partition's elements, a key at a time. */
public final class KeyGroups implements AutoCloseable {
  public final java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups;
  private final List<Spill.RunReader> readers;

  KeyGroups(
      java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groups,
      List<Spill.RunReader> readers) {
    this.groups = groups;
    this.readers = readers;
  }

  @Override
  public void close() throws java.io.IOException {
    for (Spill.RunReader r : readers) {
      r.close();
    }
  }
}
