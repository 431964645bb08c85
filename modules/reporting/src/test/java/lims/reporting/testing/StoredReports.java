package lims.reporting.testing;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HexFormat;
import javax.sql.DataSource;

/**
 * Stored report versions for delivery tests, written straight into table {@code report} (V16)
 * without the render queue: the PDF delivery sends, and placeholders for the rest.
 */
public final class StoredReports {

  private StoredReports() {}

  public static void store(DataSource dataSource, String vendor, String reportId, int version, byte[] pdf) {
    try (Connection c = dataSource.getConnection();
        PreparedStatement insert = c.prepareStatement("INSERT INTO report (report_id, version, job_id, specimen_ids, recipients, pages, pdf, "
            + "pdf_sha256, xlsx, xlsx_sha256, rendered_at, rendered_by, render_ms) VALUES (?, ?, ?, '-', '', 1, ?, ?, ?, ?, ?, 'test', 0)")) {
      byte[] xlsx = new byte[] {0x50, 0x4b};
      insert.setString(1, reportId);
      insert.setInt(2, version);
      insert.setLong(3, -Math.abs((long) (reportId + "/" + version).hashCode()) - 1); // apart from the render queue's job ids
      insert.setBytes(4, pdf);
      insert.setString(5, sha256(pdf));
      insert.setBytes(6, xlsx);
      insert.setString(7, sha256(xlsx));
      insert.setLong(8, System.currentTimeMillis());
      insert.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Bytes that look like a PDF and differ per report. */
  public static byte[] pdf(String reportId) {
    return ("%PDF-1.7\n% report " + reportId + "\n" + "x".repeat(20_000) + "\n%%EOF\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
