package lims.reporting.render;

/**
 * Text for a workbook cell that a spreadsheet will never run as a formula. A value starting with
 * {@code = + - @}, a tab or a carriage return is what Excel, LibreOffice and Sheets may evaluate
 * (CSV/formula injection: {@code =HYPERLINK(…)}, {@code @SUM(…)}, DDE), so it gets a leading
 * apostrophe and stays visibly text. Numbers are written as numeric cells and never come here.
 * Text is cut to a cell's limit of 32,767 characters, marked with an ellipsis.
 */
final class CellText {
  static final int MAX_CHARS = 32_767;

  private CellText() {}

  static String guarded(String value) {
    String text = value.isEmpty() || "=+-@\t\r".indexOf(value.charAt(0)) < 0 ? value : "'" + value;
    return text.length() <= MAX_CHARS ? text : text.substring(0, MAX_CHARS - 1) + "…";
  }
}
