package lims.reporting.render;

import com.openhtmltopdf.outputdevice.helper.BaseRendererBuilder.FontStyle;
import com.openhtmltopdf.pdfboxout.PdfBoxRenderer;
import com.openhtmltopdf.pdfboxout.PdfRendererBuilder;
import com.openhtmltopdf.util.Diagnostic;
import com.openhtmltopdf.util.XRLog;
import com.openhtmltopdf.util.XRLogger;
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
  static final String FONT_FAMILY = "DejaVu Sans";

  static {
    XRLog.setLoggerImpl(new Slf4jLog());
  }

  record Pdf(byte[] bytes, int pages) {}

  private PdfReport() {}

  static Pdf render(String xhtml, int maxPages) throws InterruptedException {
    ByteArrayOutputStream out = new ByteArrayOutputStream(256 * 1024);
    PdfRendererBuilder builder = new PdfRendererBuilder()
        .useFastMode()
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
      ReportRenderer.checkInterrupted();
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

  /**
   * openhtmltopdf's log (java.util.logging on stderr by default) sent to the node's SLF4J: its
   * warnings (a missing image, a CSS rule it ignores) as warnings; its INFO lines ("Prepare to
   * fly", timings) at debug, since every render writes several.
   */
  private static final class Slf4jLog implements XRLogger {
    @Override
    public void log(String where, Level level, String message) {
      log(where, level, message, null);
    }

    @Override
    public void log(String where, Level level, String message, Throwable error) {
      Logger log = LoggerFactory.getLogger(where);
      if (level.intValue() >= Level.SEVERE.intValue()) log.error(message, error);
      else if (level.intValue() >= Level.WARNING.intValue()) log.warn(message, error);
      else if (level.intValue() >= Level.INFO.intValue()) log.debug(message, error);
      else log.trace(message, error);
    }

    @Override
    public void setLevel(String logger, Level level) {
      // levels are the SLF4J backend's configuration
    }

    @Override
    public boolean isLogLevelEnabled(Diagnostic diagnostic) {
      Logger log = LoggerFactory.getLogger(diagnostic.getLogMessageId().getWhere());
      return diagnostic.getLevel().intValue() >= Level.WARNING.intValue() || log.isDebugEnabled();
    }
  }
}
