package lims.specimen;

import java.util.regex.Pattern;

/**
 * Specimen barcodes: {@code SP<yyyy><nnnnnn><check>}, derived once from the specimen id,
 * so they are as unique as the ids. The check character (Luhn mod 36) catches every
 * single mistyped character and most swapped neighbours.
 */
public final class Barcodes {

  public static final Pattern FORMAT = Pattern.compile("SP[0-9]{10,16}[0-9A-Z]");
  private static final int BASE = 36;

  private Barcodes() {}

  /** SP-2026-000123 → SP2026000123 plus its check character. */
  public static String forSpecimen(String specimenId) {
    String payload = specimenId.replace("-", "");
    return payload + check(payload);
  }

  /** The specimen a valid barcode belongs to: SP2026000123K → SP-2026-000123. */
  public static String specimenIdOf(String barcode) {
    return "SP-" + barcode.substring(2, 6) + "-" + barcode.substring(6, barcode.length() - 1);
  }

  /** Right shape and right check character. */
  public static boolean validFormat(String barcode) {
    return FORMAT.matcher(barcode).matches() && check(barcode.substring(0, barcode.length() - 1)) == barcode.charAt(barcode.length() - 1);
  }

  static char check(String payload) {
    int factor = 2;
    int sum = 0;
    for (int i = payload.length() - 1; i >= 0; i--) {
      int addend = factor * Character.digit(payload.charAt(i), BASE);
      factor = factor == 2 ? 1 : 2;
      sum += addend / BASE + addend % BASE;
    }
    return Character.toUpperCase(Character.forDigit((BASE - sum % BASE) % BASE, BASE));
  }
}
