package dev.tripflow.benchmarks;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.ToDoubleFunction;

/**
 * {@code bench --html=FILE}: the benchmark's table beside bar charts of wall time and peak memory
 * per workload and engine, as one self-contained HTML page (inline SVG, no scripts, no network).
 */
final class BenchReport {
  private BenchReport() {}

  private static final String[] COLOURS = {
    "#4e79a7", "#f28e2b", "#59a14f", "#e15759", "#76b7b2", "#edc948", "#b07aa1", "#9c755f"
  };

  static String html(
      Bench.Options o,
      Map<String, List<Processes.Measurement>> results,
      Map<String, String> checks,
      String markdownTable) {
    // workload -> engine -> medians, in the order the table lists them
    Map<String, Map<String, double[]>> medians = new LinkedHashMap<>();
    List<String> engines = new ArrayList<>();
    for (String key : checks.keySet()) {
      String[] k = key.split("\\|");
      List<Processes.Measurement> ms = results.getOrDefault(key, List.of());
      if (!engines.contains(k[1])) {
        engines.add(k[1]);
      }
      medians
          .computeIfAbsent(k[0], w -> new LinkedHashMap<>())
          .put(
              k[1],
              new double[] {
                median(ms, Processes.Measurement::wallSeconds), median(ms, m -> m.peakMib())
              });
    }
    StringBuilder h = new StringBuilder();
    h.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
        .append("<title>tripflow bench</title><style>")
        .append("body{font:14px/1.4 system-ui,sans-serif;margin:16px;color:#222}")
        .append("table{border-collapse:collapse}th,td{border:1px solid #ddd;padding:3px 8px}")
        .append("td.n{text-align:right}svg text{font:11px system-ui,sans-serif}")
        .append(".charts{display:flex;flex-wrap:wrap;gap:24px}</style></head><body>\n");
    h.append("<h1>tripflow bench</h1>\n<p>")
        .append(
            esc(
                String.format(
                    Locale.ROOT,
                    "%s, %d timed runs per engine after a warm-up, %d threads; medians.",
                    o.fraction > 0
                        ? "fraction " + o.fraction + " of 2020"
                        : String.format(Locale.ROOT, "%,d rows", o.rows),
                    o.runs,
                    o.threads)))
        .append("</p>\n<div class=\"charts\">\n");
    h.append(chart("Wall time (s, median)", medians, engines, 0, "%.2f"));
    h.append(chart("Peak memory (MiB, median)", medians, engines, 1, "%.0f"));
    h.append("</div>\n<h2>Table</h2>\n").append(table(markdownTable)).append("</body></html>\n");
    return h.toString();
  }

  private static double median(
      List<Processes.Measurement> ms, ToDoubleFunction<Processes.Measurement> f) {
    return Bench.median(ms.stream().mapToDouble(f).toArray());
  }

  /** Grouped horizontal bars: a group per workload, a bar per engine. */
  private static String chart(
      String title,
      Map<String, Map<String, double[]>> medians,
      List<String> engines,
      int index,
      String format) {
    double max = 0;
    int bars = 0;
    for (Map<String, double[]> byEngine : medians.values()) {
      for (double[] v : byEngine.values()) {
        if (!Double.isNaN(v[index])) {
          max = Math.max(max, v[index]);
        }
        bars++;
      }
    }
    int left = 230;
    int width = 620;
    int bar = 14;
    int height = 40 + bars * (bar + 3) + medians.size() * 12 + 20;
    StringBuilder s = new StringBuilder();
    s.append(
        String.format(
            Locale.ROOT,
            "<svg class=\"chart\" width=\"%d\" height=\"%d\" role=\"img\">"
                + "<text x=\"0\" y=\"14\" font-weight=\"bold\">%s</text>\n",
            width,
            height,
            esc(title)));
    int y = 30;
    for (Map.Entry<String, Map<String, double[]>> w : medians.entrySet()) {
      for (Map.Entry<String, double[]> e : w.getValue().entrySet()) {
        double v = e.getValue()[index];
        String colour = COLOURS[engines.indexOf(e.getKey()) % COLOURS.length];
        double length = Double.isNaN(v) || max <= 0 ? 0 : (width - left - 60) * v / max;
        s.append(
            String.format(
                Locale.ROOT,
                "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">%s · %s</text>"
                    + "<rect x=\"%d\" y=\"%d\" width=\"%.1f\" height=\"%d\" fill=\"%s\"/>"
                    + "<text x=\"%.1f\" y=\"%d\">%s</text>\n",
                left - 6,
                y + bar - 3,
                esc(w.getKey()),
                esc(e.getKey()),
                left,
                y,
                length,
                bar,
                colour,
                left + length + 4,
                y + bar - 3,
                Double.isNaN(v) ? "failed" : String.format(Locale.ROOT, format, v)));
        y += bar + 3;
      }
      y += 12;
    }
    return s.append("</svg>\n").toString();
  }

  /** The markdown table as an HTML table. */
  static String table(String markdown) {
    StringBuilder t = new StringBuilder("<table>\n");
    boolean header = true;
    for (String line : markdown.split("\n")) {
      if (!line.startsWith("|") || line.startsWith("|---")) {
        continue;
      }
      String[] cells = line.substring(1, line.length() - 1).split("\\|", -1);
      t.append("<tr>");
      for (String c : cells) {
        String v = c.trim();
        boolean number = v.matches("[0-9.]+x?");
        t.append(header ? "<th>" : number ? "<td class=\"n\">" : "<td>")
            .append(esc(v))
            .append(header ? "</th>" : "</td>");
      }
      t.append("</tr>\n");
      header = false;
    }
    return t.append("</table>\n").toString();
  }

  static String esc(String s) {
    return s.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\"", "&quot;");
  }
}
