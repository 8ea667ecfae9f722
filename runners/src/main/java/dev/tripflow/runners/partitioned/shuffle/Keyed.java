package dev.tripflow.runners.partitioned.shuffle;

import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;

/** An element with its key's structural value, as written for a GroupByKey or stateful step. */
record Keyed(Object structuralKey, WindowedValue<KV<Object, Object>> value) {}
