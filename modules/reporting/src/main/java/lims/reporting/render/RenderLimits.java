package lims.reporting.render;

/**
 * The memory cap of one report: a report with more pages, or whose PDF and workbook together
 * hold more bytes, is refused ({@link ReportTooLarge}) instead of being stored and mailed.
 */
public record RenderLimits(int maxPages, long maxBytes) {
  public RenderLimits {
    if (maxPages < 1) throw new IllegalArgumentException("maxPages must be 1 or more, was " + maxPages);
    if (maxBytes < 1) throw new IllegalArgumentException("maxBytes must be 1 or more, was " + maxBytes);
  }
}
