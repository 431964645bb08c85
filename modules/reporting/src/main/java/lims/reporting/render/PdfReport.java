package lims.reporting.render;

import com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle;
import com.openhtmltopdf.pdfboxout.PdfBoxRenderer;
import com.openhtmltopdf.pdfboxout.PdfRendererBuilder;
import com.openhtmltopdf.util.Diagnostic;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.logging.Level;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The report's XHTML laid out and written as PDF by openhtmltopdf (PDFBox underneath), with DejaVu
 * Sans embedded as a subset. Layout and writing are two stages: the page count is known after
 * layout, so a report over its page limit is refused before its PDF is written.
 */
final class PdfReport {
  private static final Logger log = LoggerFactory.getLogger(PdfReport.class);
  static final String FONT_FAMILY = "DejaVu Sans";

  record Pdf(byte[] bytes, int pages) {}

  private PdfReport() {}

  static Pdf render(String xhtml, int maxPages) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);
    PdfRendererBuilder builder = new PdfRendererBuilder()
        .useFastMode()
        .withDiagnosticConsumer(PdfReport::log)
        .withHtmlContent(xhtml, null)
        .useFont(() -> font("DejaVuSans.ttf"), FONT_FAMILY, 400, FontStyle.NORMAL, true)
        .useFont(() -> font("DejaVuSans-Bold.ttf"), FONT_FAMILY, 700, FontStyle.NORMAL, true)
        .toStream(out);
    try (PdfBoxRenderer renderer = builder.buildPdfRenderer()) {
      renderer.layout();
      int pages = renderer.getRootBox().getLayer().getPages().size();
      if (pages > maxPages) {
        throw new ReportTooLarge("the report has " + pages + " pages; the limit is " + maxPages);
      }
      Reports.checkInterrupted();
      renderer.createPDF();
      return new Pdf(out.toByteArray(), pages);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static InputStream font(String file) {
    InputStream in = PdfReport.class.getResourceAsStream("/lims/reporting/fonts/" + file);
    if (in == null) throw new IllegalStateException("missing font " + file);
    return in;
  }

  /** openhtmltopdf's notes go to the node's log: warnings (a missing image, a bad CSS rule) as warnings, the rest at debug. */
  private static void log(Diagnostic d) {
    if (d.getLevel().intValue() >= Level.WARNING.intValue()) log.warn("report rendering: {}", d.getFormattedMessage());
    else if (log.isDebugEnabled()) log.debug("report rendering: {}", d.getFormattedMessage());
  }
}
