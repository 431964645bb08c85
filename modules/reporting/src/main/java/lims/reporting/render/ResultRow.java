package lims.reporting.render;

/**
 * One line of a results table. {@code value} keeps the document's number when it was one, so the
 * workbook can write a numeric cell; the other fields are text, blank when the document has none.
 */
public record ResultRow(String test, Object value, String unit, String flag, String reference) {

  /** The value as printed: numbers without exponent, anything else as text. */
  public String valueText() {
    return ResultRows.text(value);
  }

  /** A flag that is not blank and not one of the words for "normal" is worth marking. */
  public boolean abnormal() {
    return !flag.isBlank() && !flag.equalsIgnoreCase("N") && !flag.equalsIgnoreCase("normal");
  }
}
