package lims.reporting.delivery;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * A delivery's id and its Message-ID, both derived from the report version and the recipient:
 * enqueuing the same again names the same row, and every try of a row, on any node, sends the
 * same Message-ID, so a copy sent twice folds into one in the recipient's mail client.
 */
public final class DeliveryIds {

  public static final Pattern ID = Pattern.compile("DL-[0-9a-f]{20}");

  private DeliveryIds() {}

  /** Recipients differ only by case in practice (servers compare addresses case-insensitively). */
  static String recipientKey(String recipient) {
    return recipient.strip().toLowerCase(Locale.ROOT);
  }

  static String id(String reportId, int version, String recipient) {
    return "DL-" + sha256(reportId + "\n" + version + "\n" + recipientKey(recipient)).substring(0, 20);
  }

  /** {@code <report.vN.recipient-hash@sender domain>}: the report id's characters outside RFC 5322's dot-atom are replaced. */
  static String messageId(String reportId, int version, String recipient, String domain) {
    String report = reportId.replaceAll("[^A-Za-z0-9!#$%&'*+/=?^_`{|}~-]", "_");
    return "<" + report + ".v" + version + "." + sha256(recipientKey(recipient)).substring(0, 16) + "@" + domain + ">";
  }

  static String sha256(String text) {
    return sha256(text.getBytes(StandardCharsets.UTF_8));
  }

  static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
