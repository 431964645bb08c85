package lims.reporting.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ReportLimitsTest {

  @Test
  void aReportOverItsPageLimitIsRefusedNamingItsPages() {
    ReportContent content = SampleReports.batchReport(2, 120);
    int limit = (int) PageEstimate.of(content).minPages(); // the estimate lets it through; layout counts more

    ReportTooLarge refused = assertThrows(ReportTooLarge.class, () -> ReportRenderer.render(content, new RenderLimits(limit, 50_000_000)));

    assertTrue(refused.reason().matches("the report has \\d+ pages; the limit is " + limit), refused.reason());
  }

  @Test
  void aReportFarOverItsPageLimitIsRefusedBeforeLayoutFromItsRowCount() {
    // 100,900 rows (1,000 results, 3 run details and 6 custody lines a specimen) would take minutes and a gigabyte to lay out; the estimate refuses at once.
    ReportContent content = SampleReports.batchReport(100, 1_000);

    ReportTooLarge refused = assertThrows(ReportTooLarge.class, () -> ReportRenderer.render(content, new RenderLimits(200, 50_000_000)));

    assertTrue(refused.reason().matches(
        "the report's 100900 result and custody rows \\(\\d+ characters of results\\) need at least 1262 pages; the limit is 200"),
        refused.reason());
  }

  @Test
  void aReportOverItsByteLimitIsRefusedNamingItsBytes() {
    ReportTooLarge refused = assertThrows(ReportTooLarge.class,
        () -> ReportRenderer.render(SampleReports.shortReport(), new RenderLimits(10, 20_000)));

    assertTrue(refused.reason().matches("the PDF has \\d+ bytes; the limit is 20000"), refused.reason());
  }

  @Test
  void theByteLimitCountsThePdfAndTheWorkbookTogether() throws Exception {
    RenderedReport fits = ReportRenderer.render(SampleReports.shortReport(), new RenderLimits(10, 10_000_000));
    long limit = fits.pdf().length + fits.xlsx().length / 2;

    ReportTooLarge refused = assertThrows(ReportTooLarge.class,
        () -> ReportRenderer.render(SampleReports.shortReport(), new RenderLimits(10, limit)));

    assertTrue(refused.reason().startsWith("the PDF and the workbook have "), refused.reason());
  }

  @Test
  void aReportWithinItsLimitsCarriesTheHashesOfWhatItHolds() throws Exception {
    RenderedReport report = ReportRenderer.render(SampleReports.shortReport(), new RenderLimits(1, 10_000_000));

    assertEquals(1, report.pages());
    assertEquals(ReportRenderer.sha256(report.pdf()), report.pdfSha256());
    assertEquals(ReportRenderer.sha256(report.xlsx()), report.xlsxSha256());
    assertTrue(report.pdfSha256().matches("[0-9a-f]{64}"));
    assertEquals("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", ReportRenderer.sha256(new byte[0]));
  }

  @Test
  void anInterruptedRenderStopsAndSaysSo() {
    Thread.currentThread().interrupt();

    assertThrows(InterruptedException.class, () -> ReportRenderer.render(SampleReports.shortReport(), new RenderLimits(10, 10_000_000)));
    assertFalse(Thread.currentThread().isInterrupted(), "the interrupt is consumed by the exception");
  }
}
