package lims.reporting.testing;

import java.security.MessageDigest;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import javax.sql.DataSource;

/**
 * Stored report versions for delivery tests: the columns of table {@code report} that delivery
 * reads, created here when the schema does not have the table yet.
 */
public final class StoredReports {

  private StoredReports() {}

  public static void store(DataSource dataSource, String vendor, String reportId, int version, byte[] pdf) {
    try (Connection c = dataSource.getConnection()) {
      try (Statement create = c.createStatement()) {
        create.execute("CREATE TABLE IF NOT EXISTS report (report_id VARCHAR(64) NOT NULL, version INTEGER NOT NULL, pdf "
            + (vendor.equals("postgresql") ? "BYTEA" : "BLOB") + " NOT NULL, pdf_sha256 VARCHAR(64) NOT NULL, PRIMARY KEY (report_id, version))");
      }
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO report (report_id, version, pdf, pdf_sha256) VALUES (?, ?, ?, ?)")) {
        insert.setString(1, reportId);
        insert.setInt(2, version);
        insert.setBytes(3, pdf);
        insert.setString(4, HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(pdf)));
        insert.executeUpdate();
      }
    } catch (SQLException | java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Bytes that look like a PDF and differ per report. */
  public static byte[] pdf(String reportId) {
    return ("%PDF-1.7\n% report " + reportId + "\n" + "x".repeat(20_000) + "\n%%EOF\n").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
  }
}
