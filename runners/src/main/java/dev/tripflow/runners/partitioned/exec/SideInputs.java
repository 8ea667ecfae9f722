package dev.tripflow.runners.partitioned.exec;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.beam.runners.core.InMemoryMultimapSideInputView;
import org.apache.beam.runners.core.SideInputReader;
import org.apache.beam.sdk.coders.Coder;
import org.apache.beam.sdk.coders.KvCoder;
import org.apache.beam.sdk.transforms.Materializations;
import org.apache.beam.sdk.transforms.ViewFn;
import org.apache.beam.sdk.transforms.windowing.BoundedWindow;
import org.apache.beam.sdk.util.WindowedValue;
import org.apache.beam.sdk.values.KV;
import org.apache.beam.sdk.values.PCollectionView;
import org.apache.beam.sdk.values.TupleTag;

/**
 * Side inputs materialised once and shared read-only by every task: the elements of each view's
 * PCollection, and the view's value per window, computed on first use.
 */
final class SideInputs implements SideInputReader {
  private final Map<TupleTag<?>, ViewData> views = new ConcurrentHashMap<>();

  /** Records the complete contents of a view's input, once its stage has finished. */
  void put(PCollectionView<?> view, List<WindowedValue<?>> elements) {
    views.put(view.getTagInternal(), new ViewData(view, elements));
  }

  @Override
  @SuppressWarnings("unchecked")
  public <T> T get(PCollectionView<T> view, BoundedWindow window) {
    ViewData data = views.get(view.getTagInternal());
    if (data == null) {
      throw new IllegalStateException("side input " + view + " is not materialised");
    }
    return (T) data.valueIn(window);
  }

  @Override
  public <T> boolean contains(PCollectionView<T> view) {
    return views.containsKey(view.getTagInternal());
  }

  @Override
  public boolean isEmpty() {
    return views.isEmpty();
  }

  /**
   * The side inputs one ParDo declared, and only those: Beam's DoFn runner refuses {@code
   * sideInput()} of a view its reader does not contain, as the model says it must.
   */
  SideInputReader declared(java.util.Collection<PCollectionView<?>> declared) {
    java.util.Set<TupleTag<?>> tags = new java.util.HashSet<>();
    declared.forEach(v -> tags.add(v.getTagInternal()));
    SideInputs all = this;
    return new SideInputReader() {
      @Override
      public <T> T get(PCollectionView<T> view, BoundedWindow window) {
        if (!tags.contains(view.getTagInternal())) {
          throw new IllegalArgumentException(
              "calling sideInput() with unknown view " + view + ": the ParDo did not declare it");
        }
        return all.get(view, window);
      }

      @Override
      public <T> boolean contains(PCollectionView<T> view) {
        return tags.contains(view.getTagInternal());
      }

      @Override
      public boolean isEmpty() {
        return tags.isEmpty();
      }
    };
  }

  private static final class ViewData {
    private final PCollectionView<?> view;
    private final List<WindowedValue<?>> elements;
    private final Map<BoundedWindow, Object> byWindow = new ConcurrentHashMap<>();

    ViewData(PCollectionView<?> view, List<WindowedValue<?>> elements) {
      this.view = view;
      this.elements = elements;
    }

    Object valueIn(BoundedWindow window) {
      return byWindow.computeIfAbsent(window, this::compute);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Object compute(BoundedWindow window) {
      List<Object> values = new ArrayList<>();
      for (WindowedValue<?> wv : elements) {
        for (BoundedWindow w : wv.getWindows()) {
          if (w.equals(window)) {
            values.add(wv.getValue());
          }
        }
      }
      ViewFn viewFn = view.getViewFn();
      String urn = viewFn.getMaterialization().getUrn();
      if (Materializations.ITERABLE_MATERIALIZATION_URN.equals(urn)) {
        List<Object> frozen = java.util.Collections.unmodifiableList(values);
        return viewFn.apply((Materializations.IterableView<Object>) () -> frozen);
      }
      if (Materializations.MULTIMAP_MATERIALIZATION_URN.equals(urn)) {
        Coder<?> keyCoder = ((KvCoder<?, ?>) view.getPCollection().getCoder()).getKeyCoder();
        List<KV<Object, Object>> kvs = (List) values;
        return viewFn.apply(InMemoryMultimapSideInputView.fromIterable((Coder) keyCoder, kvs));
      }
      throw new UnsupportedOperationException(
          "PartitionedRunner: side input materialization " + urn + " is not supported");
    }
  }
}
