package lims.reporting.render;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * How an analysis result document becomes result rows. A pipeline writes free-form JSON
 * ({@code {"status": …, …}}); when it has {@code results: [{test|name|analyte, value, unit,
 * flag, reference|reference_range|range}]} those are the results and every other key is a detail
 * of the run (instrument, method…); without such a list every key is a "key = value" result.
 * Nested objects become dotted keys, so nothing the pipeline wrote is hidden. {@code status} is
 * the results folder's protocol, not a result, and is left out.
 */
public final class ResultRows {
  private ResultRows() {}

  /** A specimen's results and the details of its run (empty unless the document has a results list). */
  public record Rows(List<ResultRow> results, List<ResultRow> details) {}

  public static Rows of(Map<String, Object> document) {
    List<ResultRow> results = new ArrayList<>();
    List<ResultRow> details = new ArrayList<>();
    Object list = document.get("results");
    boolean tabular = list instanceof List<?> l && !l.isEmpty() && l.stream().allMatch(r -> r instanceof Map<?, ?>);
    if (tabular) {
      for (Object r : (List<?>) list) results.add(row((Map<?, ?>) r));
    }
    for (Map.Entry<String, Object> e : document.entrySet()) {
      if (e.getKey().equals("status") || (tabular && e.getKey().equals("results"))) continue;
      flatten(e.getKey(), e.getValue(), tabular ? details : results);
    }
    return new Rows(List.copyOf(results), List.copyOf(details));
  }

  private static ResultRow row(Map<?, ?> r) {
    return new ResultRow(
        first(r, "test", "name", "analyte"),
        r.get("value") instanceof Number n ? n : first(r, "value", "result"),
        first(r, "unit", "units"),
        first(r, "flag", "interpretation"),
        first(r, "reference", "reference_range", "range"));
  }

  private static String first(Map<?, ?> r, String... keys) {
    for (String k : keys) if (r.get(k) != null) return text(r.get(k));
    return "";
  }

  private static void flatten(String key, Object value, List<ResultRow> rows) {
    if (value instanceof Map<?, ?> m && !m.isEmpty()) {
      m.forEach((k, v) -> flatten(key + "." + k, v, rows));
    } else if (value instanceof List<?> l && l.stream().anyMatch(v -> v instanceof Map<?, ?> || v instanceof List<?>)) {
      for (int i = 0; i < l.size(); i++) flatten(key + "[" + i + "]", l.get(i), rows);
    } else {
      rows.add(new ResultRow(key, value instanceof Number n ? n : text(value), "", "", ""));
    }
  }

  static String text(Object value) {
    if (value == null) return "";
    if (value instanceof Double || value instanceof Float) {
      // Java writes 1.0E-7 for small and large doubles; a report writes 0.0000001 (and keeps 5.0 as 5.0).
      String shortest = String.valueOf(((Number) value).doubleValue());
      return shortest.contains("E") ? new BigDecimal(shortest).stripTrailingZeros().toPlainString() : shortest;
    }
    if (value instanceof BigDecimal b) return b.toPlainString();
    if (value instanceof List<?> l) return l.stream().map(ResultRows::text).collect(Collectors.joining(", "));
    if (value instanceof Map<?, ?> m && m.isEmpty()) return "";
    return String.valueOf(value);
  }
}
