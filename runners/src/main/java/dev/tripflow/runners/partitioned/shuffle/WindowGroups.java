package dev.tripflow.runners.partitioned.shuffle;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.transforms.windowing.TimestampCombiner;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.joda.time.Instant;

/** Groups a partition's keyed elements by key, and one key's elements by window. */
public final class WindowGroups {
  private WindowGroups() {}

  /** The one window every element is in, or null when they are in several. */
  private static BoundedWindow singleWindow(List<WindowedValue<KV<Object, Object>>> elements) {
    BoundedWindow only = null;
    for (WindowedValue<KV<Object, Object>> wv : elements) {
      java.util.Collection<? extends BoundedWindow> windows = wv.getWindows();
      if (windows.size() != 1) {
        return null;
      }
      BoundedWindow w = windows.iterator().next();
      if (only == null) {
        only = w;
      } else if (!only.equals(w)) {
        return null;
      }
    }
    return only;
  }

  /** Groups one key's elements by window (non-merging windows, default trigger). */
  public static List<WindowedValue<KV<Object, Iterable<Object>>>> groupByWindow(
      Object key, List<WindowedValue<KV<Object, Object>>> elements, TimestampCombiner combiner) {
    final class Group {
      final BoundedWindow window;
      final List<Object> values = new ArrayList<>();
      Instant timestamp;

      Group(BoundedWindow window) {
        this.window = window;
      }
    }
    BoundedWindow only = singleWindow(elements);
    if (only != null) {
      List<Object> values = new ArrayList<>(elements.size());
      Instant timestamp = null;
      for (WindowedValue<KV<Object, Object>> wv : elements) {
        values.add(wv.getValue().getValue());
        Instant ts = combiner.assign(only, wv.getTimestamp());
        timestamp = timestamp == null ? ts : combiner.combine(timestamp, ts);
      }
      return List.of(
          WindowedValue.of(
              KV.of(key, Collections.unmodifiableList(values)),
              timestamp,
              only,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    Map<BoundedWindow, Group> groups = new java.util.LinkedHashMap<>();
    for (WindowedValue<KV<Object, Object>> wv : elements) {
      for (BoundedWindow window : wv.getWindows()) {
        Group g = groups.computeIfAbsent(window, Group::new);
        g.values.add(wv.getValue().getValue());
        Instant ts = combiner.assign(window, wv.getTimestamp());
        g.timestamp = g.timestamp == null ? ts : combiner.combine(g.timestamp, ts);
      }
    }
    List<WindowedValue<KV<Object, Iterable<Object>>>> out = new ArrayList<>(groups.size());
    for (Group g : groups.values()) {
      out.add(
          WindowedValue.of(
              KV.of(key, Collections.unmodifiableList(g.values)),
              g.timestamp,
              g.window,
              org.apache.beam.sdk.transforms.windowing.PaneInfo.ON_TIME_AND_ONLY_FIRING));
    }
    return out;
  }

  /**
   * Groups one partition's elements by key only, keeping each key's elements in arrival order; the
   * keys come in the order of a {@link KeyTable}'s slots.
   */
  @SuppressWarnings("unchecked")
  static java.util.Iterator<KV<Object, List<WindowedValue<KV<Object, Object>>>>> groupByKey(
      List<Object> records) {
    KeyTable table = new KeyTable(records.size() / 4);
    for (Object r : records) {
      Keyed k = (Keyed) r;
      Object structural = k.structuralKey();
      int slot = table.slot(structural, KeyTable.hash(structural));
      if (slot < 0) {
        slot = -slot - 1;
        table.setOriginal(slot, k.value().getValue().getKey());
        table.setValue(slot, k.value());
      } else {
        Object held = table.valueAt(slot);
        if (held instanceof ArrayList<?> list) {
          ((ArrayList<Object>) list).add(k.value());
        } else {
          ArrayList<Object> list = new ArrayList<>(4);
          list.add(held);
          list.add(k.value());
          table.setValue(slot, list);
        }
      }
    }
    return new java.util.Iterator<>() {
      private int next = advance(0);

      private int advance(int from) {
        int s = from;
        while (s < table.capacity() && !table.used(s)) {
          s++;
        }
        return s;
      }

      @Override
      public boolean hasNext() {
        return next < table.capacity();
      }

      @Override
      public KV<Object, List<WindowedValue<KV<Object, Object>>>> next() {
        if (!hasNext()) {
          throw new java.util.NoSuchElementException();
        }
        int s = next;
        next = advance(s + 1);
        Object held = table.valueAt(s);
        table.setValue(s, null);
        List<WindowedValue<KV<Object, Object>>> values =
            held instanceof ArrayList<?> list
                ? (List<WindowedValue<KV<Object, Object>>>) list
                : List.of((WindowedValue<KV<Object, Object>>) held);
        return KV.of(table.originalAt(s), values);
      }
    };
  }
}
