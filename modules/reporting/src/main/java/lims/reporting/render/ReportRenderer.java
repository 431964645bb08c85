package lims.reporting.render;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * Renders a report: its PDF (certificate of analysis) and its workbook, from the same content.
 * Pure and blocking: no actors, no database, no clock; the caller runs it on its own dispatcher.
 *
 * <p>Limits are checked in stages, each as early as it can be known: the page estimate before
 * layout, the page count after layout (before the PDF is written), the bytes after each
 * document. Between stages the thread's interrupt is checked, so a render abandoned at its time
 * limit stops at the next stage instead of running to the end.
 */
public final class ReportRenderer {
  private ReportRenderer() {}

  /**
   * @throws ReportTooLarge when the report is over a limit (its reason names which)
   * @throws InterruptedException when the thread was interrupted between two stages
   */
  public static RenderedReport render(ReportContent content, RenderLimits limits) throws InterruptedException {
    checkInterrupted();
    PageEstimate.Estimate estimate = PageEstimate.of(content);
    if (estimate.minPages() > limits.maxPages()) {
      throw new ReportTooLarge("the report's " + estimate.rows() + " result and custody rows ("
          + estimate.chars() + " characters of results) need at least " + estimate.minPages()
          + " pages; the limit is " + limits.maxPages());
    }
    String xhtml = ReportHtml.of(content);
    checkInterrupted();
    PdfReport.Pdf pdf = PdfReport.render(xhtml, limits.maxPages());
    checkInterrupted();
    if (pdf.bytes().length > limits.maxBytes()) {
      throw new ReportTooLarge("the PDF has " + pdf.bytes().length + " bytes; the limit is " + limits.maxBytes());
    }
    byte[] xlsx = ExcelReport.of(content);
    checkInterrupted();
    long total = (long) pdf.bytes().length + xlsx.length;
    if (total > limits.maxBytes()) {
      throw new ReportTooLarge("the PDF and the workbook have " + total + " bytes together (PDF " + pdf.bytes().length
          + ", workbook " + xlsx.length + "); the limit is " + limits.maxBytes());
    }
    return new RenderedReport(pdf.bytes(), xlsx, pdf.pages(), sha256(pdf.bytes()), sha256(xlsx));
  }

  /** Lower-case hex SHA-256, as recorded with a stored report. */
  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every Java runtime has SHA-256", e);
    }
  }

  static void checkInterrupted() throws InterruptedException {
    if (Thread.interrupted()) throw new InterruptedException("report rendering interrupted");
  }
}
