package lims.reporting.render;

import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.poi.ss.usermodel.Cell;
import org.apache.poi.ss.usermodel.DateUtil;
import org.apache.poi.ss.usermodel.Row;
import org.apache.poi.ss.usermodel.Sheet;
import org.apache.poi.ss.usermodel.Workbook;
import org.apache.poi.xssf.usermodel.XSSFWorkbook;

/**
 * Reads a rendered workbook back as values: text as String, numbers as Double, date cells as
 * LocalDateTime, a formula as {@link Formula} (which a report must never hold), empty as null.
 */
public final class WorkbookReading {
  private WorkbookReading() {}

  public record Formula(String expression) {}

  /** A sheet's rows, the header first. */
  public static List<List<Object>> rows(byte[] xlsx, String sheetName) {
    try (Workbook workbook = new XSSFWorkbook(new ByteArrayInputStream(xlsx))) {
      Sheet sheet = workbook.getSheet(sheetName);
      if (sheet == null) throw new AssertionError("no sheet " + sheetName);
      List<List<Object>> rows = new ArrayList<>();
      for (Row row : sheet) {
        List<Object> cells = new ArrayList<>();
        for (int c = 0; c < row.getLastCellNum(); c++) cells.add(value(row.getCell(c)));
        rows.add(cells);
      }
      return rows;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Object value(Cell cell) {
    if (cell == null) return null;
    return switch (cell.getCellType()) {
      case STRING -> cell.getStringCellValue();
      case NUMERIC -> DateUtil.isCellDateFormatted(cell) ? cell.getLocalDateTimeCellValue() : cell.getNumericCellValue();
      case FORMULA -> new Formula(cell.getCellFormula());
      case BOOLEAN -> cell.getBooleanCellValue();
      default -> null;
    };
  }
}
