package lims.reporting.render;

/**
 * A rendered report: the PDF, the workbook with the same results, the PDF's page count and the
 * SHA-256 (lower-case hex) of each document, as stored and recorded in the custody trail.
 */
public record RenderedReport(byte[] pdf, byte[] xlsx, int pages, String pdfSha256, String xlsxSha256) {}
