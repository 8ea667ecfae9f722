package dev.tripflow.runners.partitioned.shuffle;

import org.apache.beam.sdk.transforms.windowing.BoundedWindow;

/** A key in a window. */
record KeyWindow(Object structuralKey, BoundedWindow window) {
  /** The structural key of a table key: a key, or a key in a window. */
  static Object structuralOf(Object mapKey) {
    return mapKey instanceof KeyWindow kw ? kw.structuralKey() : mapKey;
  }
}
