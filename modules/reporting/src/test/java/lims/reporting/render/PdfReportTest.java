package lims.reporting.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lims.reporting.render.ReportContent.Specimen;
import org.junit.jupiter.api.Test;

class PdfReportTest {
  private static final RenderLimits ROOMY = new RenderLimits(500, 50_000_000);

  @Test
  void theCertificateHoldsWhatTheClientReads() throws Exception {
    ReportContent content = SampleReports.shortReport();
    RenderedReport report = ReportRenderer.render(content, ROOMY);
    String text = PdfReading.text(report.pdf());

    Specimen specimen = content.specimens().get(0);
    assertEquals(1, report.pages());
    for (String expected : List.of(
        "Wissenschaftspark 12, 37077 Göttingen, Germany", "DAkkS, D-PL-21234-01-00", "Certificate of Analysis",
        "Specimen " + specimen.id(), specimen.barcode(), "Serum", "2026-03-09 15:28", "CMP-14, HbA1c, TSH",
        "Glucose (fasting) 7.2 mmol/L 3.9–5.5", "Potassium 12.3 mmol/L H 3.5–5.1",
        "Results approved by Dr. Anna Schäfer on 2026-03-12 13:05", "Cobas c 503 #2",
        "approve IN_REVIEW → APPROVED Dr. Anna Schäfer", "Client code ZAS-LODZ",
        "Report RPT-2026-000042 v1 — page 1 of 1")) {
      assertTrue(text.contains(expected), () -> "missing «" + expected + "» in:\n" + text);
    }
  }

  @Test
  void namesInGreekCyrillicAndLatinExtendedAreTextInAnEmbeddedFont() throws Exception {
    RenderedReport report = ReportRenderer.render(SampleReports.shortReport(), ROOMY);
    String text = PdfReading.text(report.pdf());

    assertTrue(text.contains(SampleReports.GREEK_CONTACT), text);
    assertTrue(text.contains(SampleReports.CYRILLIC_CONTACT), text);
    assertTrue(text.contains(SampleReports.LATIN_EXT_CLIENT), text);
    Map<String, Boolean> fonts = PdfReading.fonts(report.pdf());
    assertFalse(fonts.isEmpty());
    fonts.forEach((name, embedded) -> {
      assertTrue(name.contains("DejaVuSans"), "only DejaVu Sans is used, found " + fonts);
      assertTrue(embedded, name + " is embedded");
    });
  }

  @Test
  void eachSpecimensBarcodeImageDecodesToItsBarcode() throws Exception {
    ReportContent batch = SampleReports.batchReport(3, 4);
    RenderedReport report = ReportRenderer.render(batch, ROOMY);

    assertEquals(batch.specimens().stream().map(Specimen::barcode).toList(), PdfReading.barcodes(report.pdf()));
  }

  @Test
  void everyPageNamesTheReportItsVersionAndPageOfPages() throws Exception {
    RenderedReport report = ReportRenderer.render(SampleReports.batchReport(2, 120), ROOMY);
    List<String> pages = PdfReading.pages(report.pdf());

    assertEquals(report.pages(), pages.size());
    assertTrue(pages.size() >= 4, "two specimens of 120 results take several pages, took " + pages.size());
    for (int p = 1; p <= pages.size(); p++) {
      String expected = "Report RPT-2026-000077 v2 — page " + p + " of " + pages.size();
      assertTrue(pages.get(p - 1).contains(expected), "page " + p + " lacks «" + expected + "»");
    }
    // A results table continued on a later page repeats its header, naming the specimen.
    assertTrue(pages.get(1).contains("RESULTS · SPECIMEN SP-2026-000500") || pages.get(1).contains("Results · specimen SP-2026-000500"),
        pages.get(1));
  }

  @Test
  void whatAPipelineOrAUserWroteIsPrintedAsTextNeverAsMarkup() throws Exception {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("status", "succeeded");
    document.put("results", List.of(Map.of("test", "<b>Lead</b> & \"Zinc\"", "value", "<img src=x>", "flag", "A\u0001")));
    ReportContent content = withResult(document);

    String text = PdfReading.text(ReportRenderer.render(content, ROOMY).pdf());

    assertTrue(text.contains("<b>Lead</b> & \"Zinc\""), text);
    assertTrue(text.contains("<img src=x>"), text);
    assertTrue(text.contains("A\uFFFD"), "a control character is replaced, not fatal: " + text);
  }

  @Test
  void aDocumentWithoutAResultsListIsPrintedAsKeysAndValues() throws Exception {
    Map<String, Object> document = new LinkedHashMap<>();
    document.put("status", "succeeded");
    document.put("glucose_mmol_l", 5.4);
    document.put("qc", Map.of("hemolysis", "none"));

    String text = PdfReading.text(ReportRenderer.render(withResult(document), ROOMY).pdf());

    assertTrue(text.contains("glucose_mmol_l 5.4"), text);
    assertTrue(text.contains("qc.hemolysis none"), text);
    assertFalse(text.contains("status"), "status is the results folder's protocol, not a result: " + text);
  }

  static ReportContent withResult(Map<String, Object> document) {
    ReportContent base = SampleReports.shortReport();
    Specimen s = base.specimens().get(0);
    Specimen changed = new Specimen(s.id(), s.barcode(), s.type(), s.collectedAt(), s.receivedAt(), s.testsRequested(),
        document, s.approval(), s.custody());
    return new ReportContent(base.reportId(), base.version(), base.generatedAt(), base.zone(), base.lab(), base.client(),
        List.of(changed));
  }
}
