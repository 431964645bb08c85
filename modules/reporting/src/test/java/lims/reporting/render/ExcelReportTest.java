package lims.reporting.render;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExcelReportTest {
  private static final RenderLimits ROOMY = new RenderLimits(500, 50_000_000);

  @Test
  void oneRowPerResultWithItsSpecimenAndApproval() throws Exception {
    ReportContent batch = SampleReports.batchReport(3, 20);
    List<List<Object>> rows = WorkbookReading.rows(ReportRenderer.render(batch, ROOMY).xlsx(), "Results");

    assertEquals(List.of(ExcelReport.RESULT_COLUMNS), rows.get(0));
    assertEquals(1 + 3 * 20, rows.size(), "a header and one row per result");
    List<Object> first = rows.get(1);
    ReportContent.Specimen s = batch.specimens().get(0);
    assertEquals(List.of("RPT-2026-000077", 2.0, "ZAS-LODZ", s.id(), s.barcode(), "Serum",
        "Glucose (fasting) (replicate 1)"), first.subList(0, 7));
    assertEquals(ResultRows.of(s.result()).results().get(0).value(), first.get(7), "numbers stay numbers");
    assertEquals(List.of("mmol/L"), first.subList(8, 9));
    assertEquals("Dr. Jiří Novák", first.get(11));
    assertEquals(LocalDateTime.of(2026, 3, 12, 13, 5), first.get(12), "instants in the report's zone (Berlin, CET)");
    assertEquals("H", rows.get(4).get(9), "the fourth result is flagged high");
    assertEquals(batch.specimens().get(2).id(), rows.get(rows.size() - 1).get(3));
  }

  @Test
  void theSpecimensSheetHasOneRowPerSpecimenWithItsRunDetails() throws Exception {
    ReportContent batch = SampleReports.batchReport(2, 5);
    List<List<Object>> rows = WorkbookReading.rows(ReportRenderer.render(batch, ROOMY).xlsx(), "Specimens");

    assertEquals(3, rows.size());
    assertEquals(List.of(ExcelReport.SPECIMEN_COLUMNS), rows.get(0));
    List<Object> second = rows.get(2);
    assertEquals(batch.specimens().get(1).id(), second.get(3));
    assertEquals("CMP-14, HbA1c, TSH", second.get(8));
    assertEquals(5.0, second.get(9));
    assertTrue(((String) second.get(10)).contains("instrument: Cobas c 503 #2"), String.valueOf(second.get(10)));
  }

  @Test
  void textThatASpreadsheetWouldRunAsAFormulaIsWrittenAsQuotedText() throws Exception {
    List<String> hostile = List.of("=HYPERLINK(\"http://evil.example\",\"click\")", "+1+1", "-2+3", "@SUM(A1:A9)",
        "\t=1", "\r=1", "=cmd|' /C calc'!A0");
    List<Map<String, Object>> results = new ArrayList<>();
    for (String h : hostile) {
      Map<String, Object> row = new LinkedHashMap<>();
      row.put("test", h);
      row.put("value", h);
      row.put("unit", h);
      results.add(row);
    }
    results.add(Map.of("test", "Temperature", "value", -2.5));
    ReportContent content = PdfReportTest.withResult(Map.of("results", results));

    List<List<Object>> rows = WorkbookReading.rows(ReportRenderer.render(content, ROOMY).xlsx(), "Results");

    for (int i = 0; i < hostile.size(); i++) {
      List<Object> row = rows.get(1 + i);
      for (int column : new int[] {6, 7, 8}) {
        assertEquals("'" + hostile.get(i), row.get(column), "row " + i + " column " + column);
      }
    }
    assertEquals(-2.5, rows.get(1 + hostile.size()).get(7), "a negative number is a number, not a formula");
    for (List<Object> row : rows) {
      assertFalse(row.stream().anyMatch(c -> c instanceof WorkbookReading.Formula), "no formula cell: " + row);
    }
  }

  @Test
  void textLongerThanACellHoldsIsCutAndMarked() {
    String guarded = CellText.guarded("x".repeat(40_000));
    assertEquals(CellText.MAX_CHARS, guarded.length());
    assertTrue(guarded.endsWith("…"));
    assertEquals("'=1", CellText.guarded("=1"));
    assertEquals("a=1", CellText.guarded("a=1"));
  }
}
