package lims.reporting.render;

import java.util.Map;
import lims.reporting.render.ReportContent.Specimen;

/**
 * The fewest pages a report's content can take, counted before anything is laid out: laying out
 * a report far over its limit would spend the very memory the limit protects. The bounds are
 * generous (more rows and characters than ever fit a page), so a report the estimate refuses is
 * certainly over; one it lets through is measured exactly after layout.
 */
final class PageEstimate {
  /** An A4 page holds about 55 result or custody rows in the report's layout; 80 never fit. */
  static final int MAX_ROWS_PER_PAGE = 80;
  /** About 100 characters a line, 80 lines a page: no page holds 12,000 characters of text. */
  static final int MAX_CHARS_PER_PAGE = 12_000;

  record Estimate(long rows, long chars, long minPages) {}

  private PageEstimate() {}

  static Estimate of(ReportContent content) {
    long rows = 0;
    long chars = 0;
    for (Specimen s : content.specimens()) {
      ResultRows.Rows r = ResultRows.of(s.result());
      rows += r.results().size() + r.details().size() + s.custody().size();
      chars += textLength(s.result());
    }
    long pages = Math.max(ceil(rows, MAX_ROWS_PER_PAGE), ceil(chars, MAX_CHARS_PER_PAGE));
    return new Estimate(rows, chars, Math.max(1, pages));
  }

  private static long textLength(Object value) {
    if (value instanceof Map<?, ?> m) {
      long n = 0;
      for (Map.Entry<?, ?> e : m.entrySet()) n += String.valueOf(e.getKey()).length() + textLength(e.getValue());
      return n;
    }
    if (value instanceof Iterable<?> list) {
      long n = 0;
      for (Object v : list) n += textLength(v);
      return n;
    }
    return value == null ? 0 : String.valueOf(value).length();
  }

  private static long ceil(long n, long per) {
    return (n + per - 1) / per;
  }
}
