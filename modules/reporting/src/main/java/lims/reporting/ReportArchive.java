package lims.reporting;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.Database;

/** Reads of stored reports (tables {@code report}, {@code report_specimen}): immutable once written. */
public final class ReportArchive {

  /** A stored file of a report version. */
  public enum Format {
    PDF("pdf", "application/pdf"),
    XLSX("xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet");

    public final String column;
    public final String mediaType;

    Format(String column, String mediaType) {
      this.column = column;
      this.mediaType = mediaType;
    }
  }

  private static final String COLUMNS = "report_id, version, client_id, specimen_ids, batch_key, recipients, pages, pdf_sha256, xlsx_sha256, "
      + "OCTET_LENGTH(pdf), OCTET_LENGTH(xlsx), rendered_at, rendered_by, render_ms";

  private final Database database;

  public ReportArchive(Database database) {
    this.database = database;
  }

  /** Every version of {@code reportId}, newest first; empty when there is no such report. */
  public CompletionStage<List<StoredReport>> versions(String reportId) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM report WHERE report_id = ? ORDER BY version DESC")) {
        s.setString(1, reportId);
        return reports(s);
      }
    });
  }

  /** The reports covering {@code specimenId}, every version, newest first. */
  public CompletionStage<List<StoredReport>> ofSpecimen(String specimenId) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS.replace("report_id,", "r.report_id,").replace(" version,", " r.version,")
          + " FROM report r JOIN report_specimen rs ON rs.report_id = r.report_id AND rs.version = r.version WHERE rs.specimen_id = ? "
          + "ORDER BY r.rendered_at DESC, r.version DESC")) {
        s.setString(1, specimenId);
        return reports(s);
      }
    });
  }

  /** The bytes of one file of a version; empty when there is no such version. */
  public CompletionStage<Optional<byte[]>> file(String reportId, int version, Format format) {
    return database.withConnection(c -> read(c, reportId, version, format));
  }

  static Optional<byte[]> read(Connection c, String reportId, int version, Format format) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + format.column + " FROM report WHERE report_id = ? AND version = ?")) {
      s.setString(1, reportId);
      s.setInt(2, version);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Optional.of(rs.getBytes(1)) : Optional.empty();
      }
    }
  }

  private static List<StoredReport> reports(PreparedStatement s) throws SQLException {
    List<StoredReport> reports = new ArrayList<>();
    try (ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        String recipients = rs.getString(6);
        reports.add(new StoredReport(rs.getString(1), rs.getInt(2), rs.getString(3), Arrays.asList(rs.getString(4).split(",")), rs.getString(5),
            recipients.isEmpty() ? List.of() : Arrays.asList(recipients.split(",")), rs.getInt(7), rs.getString(8), rs.getString(9),
            rs.getInt(10), rs.getInt(11), Instant.ofEpochMilli(rs.getLong(12)), rs.getString(13), rs.getLong(14)));
      }
    }
    return reports;
  }
}
