package lims.reporting.render;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.stream.Collectors;
import lims.reporting.render.ReportContent.Specimen;
import org.apache.poi.ss.usermodel.Cell;
import org.apache.poi.ss.usermodel.CellStyle;
import org.apache.poi.ss.usermodel.Font;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.ss.util.CellRangeAddress;
import org.apache.poi.xssf.streaming.SXSSFWorkbook;

/**
 * The report's results as a workbook: sheet "Results" has one row per result (the same rows the
 * PDF's results tables print), sheet "Specimens" one row per specimen with its run details. Rows stream to disk past a small window
 * (SXSSF), so a large report does not hold every cell in memory.
 */
final class ExcelReport {
  static final String[] RESULT_COLUMNS = {
      "Report", "Version", "Client", "Specimen", "Barcode", "Specimen type", "Test", "Value", "Unit", "Flag",
      "Reference", "Approved by", "Approved at"};
  static final String[] SPECIMEN_COLUMNS = {
      "Report", "Version", "Client", "Specimen", "Barcode", "Specimen type", "Collected", "Received",
      "Tests requested", "Results", "Run details", "Approved by", "Approved at"};
  private static final int[] RESULT_WIDTHS = {18, 8, 12, 18, 20, 14, 28, 14, 10, 6, 20, 18, 17};
  private static final int[] SPECIMEN_WIDTHS = {18, 8, 12, 18, 20, 14, 17, 17, 30, 8, 40, 18, 17};

  private final ReportContent content;
  private final SXSSFWorkbook workbook = new SXSSFWorkbook(200);
  private final CellStyle header;
  private final CellStyle dateTime;

  private ExcelReport(ReportContent content) {
    this.content = content;
    Font bold = workbook.createFont();
    bold.setBold(true);
    header = workbook.createCellStyle();
    header.setFont(bold);
    dateTime = workbook.createCellStyle();
    dateTime.setDataFormat(workbook.createDataFormat().getFormat("yyyy-mm-dd hh:mm"));
  }

  static byte[] of(ReportContent content) {
    return new ExcelReport(content).write();
  }

  private byte[] write() {
    try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
      results(sheet("Results", RESULT_COLUMNS, RESULT_WIDTHS));
      specimens(sheet("Specimens", SPECIMEN_COLUMNS, SPECIMEN_WIDTHS));
      workbook.write(out);
      return out.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      workbook.dispose();
      try {
        workbook.close();
      } catch (IOException ignored) {
        // the bytes are written; a temp file that cannot be closed changes nothing in them
      }
    }
  }

  private Sheet sheet(String name, String[] columns, int[] widths) {
    Sheet sheet = workbook.createSheet(name);
    Row row = sheet.createRow(0);
    for (int i = 0; i < columns.length; i++) {
      Cell cell = row.createCell(i);
      cell.setCellValue(columns[i]);
      cell.setCellStyle(header);
      sheet.setColumnWidth(i, widths[i] * 256);
    }
    sheet.createFreezePane(0, 1);
    sheet.setAutoFilter(new CellRangeAddress(0, 0, 0, columns.length - 1));
    return sheet;
  }

  private void results(Sheet sheet) {
    int n = 1;
    for (Specimen s : content.specimens()) {
      for (ResultRow r : ResultRows.of(s.result()).results()) {
        Row row = specimenCells(sheet.createRow(n++), s);
        text(row, 6, r.test());
        if (r.value() instanceof Number number) row.createCell(7).setCellValue(number.doubleValue());
        else text(row, 7, r.valueText());
        text(row, 8, r.unit());
        text(row, 9, r.flag());
        text(row, 10, r.reference());
        approval(row, 11, s);
      }
    }
  }

  private void specimens(Sheet sheet) {
    int n = 1;
    for (Specimen s : content.specimens()) {
      Row row = specimenCells(sheet.createRow(n++), s);
      instant(row, 6, s.collectedAt());
      instant(row, 7, s.receivedAt());
      text(row, 8, String.join(", ", s.testsRequested()));
      ResultRows.Rows rows = ResultRows.of(s.result());
      row.createCell(9).setCellValue(rows.results().size());
      text(row, 10, rows.details().stream().map(d -> d.test() + ": " + d.valueText()).collect(Collectors.joining("; ")));
      approval(row, 11, s);
    }
  }

  /** The first six columns, the same on both sheets. */
  private Row specimenCells(Row row, Specimen s) {
    text(row, 0, content.reportId());
    row.createCell(1).setCellValue(content.version());
    text(row, 2, content.client() == null ? "" : content.client().code());
    text(row, 3, s.id());
    text(row, 4, s.barcode());
    text(row, 5, s.type());
    return row;
  }

  private void approval(Row row, int column, Specimen s) {
    if (s.approval() == null) return;
    text(row, column, s.approval().reviewer());
    instant(row, column + 1, s.approval().at());
  }

  private void instant(Row row, int column, Instant at) {
    if (at == null) return;
    Cell cell = row.createCell(column);
    cell.setCellValue(LocalDateTime.ofInstant(at, content.zone()));
    cell.setCellStyle(dateTime);
  }

  private static void text(Row row, int column, String value) {
    if (value == null || value.isEmpty()) return;
    row.createCell(column).setCellValue(CellText.guarded(value));
  }
}
