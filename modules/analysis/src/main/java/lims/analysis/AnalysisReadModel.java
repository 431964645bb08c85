package lims.analysis;

import static lims.kernel.projection.ReadTableHandler.instant;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.ReadTable;

/** Queries over the {@code analysis} read table. */
public final class AnalysisReadModel {

  public record AnalysisRow(String id, String specimenId, String pipeline, String state, String remoteSession, Instant requestedAt,
      Instant dispatchedAt, Instant deadline, Instant finishedAt, int attempts, String failureReason, String resultStatus) {}

  private final ReadTable table;

  public AnalysisReadModel(ReadTable table) {
    this.table = table;
  }

  /** A specimen's analysis runs, oldest first (a specimen has a handful: one per experiment or retry). */
  public CompletionStage<List<AnalysisRow>> forSpecimen(String specimenId) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT id, specimen_id, pipeline, state, remote_session, requested_at, dispatched_at,"
          + " deadline, finished_at, attempts, failure_reason, result_status FROM analysis WHERE specimen_id = ? ORDER BY requested_at, id")) {
        s.setString(1, specimenId);
        List<AnalysisRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            rows.add(new AnalysisRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), instant(rs, 6),
                instant(rs, 7), instant(rs, 8), instant(rs, 9), rs.getInt(10), rs.getString(11), rs.getString(12)));
          }
        }
        return rows;
      }
    });
  }

  /** Ids whose result is already recorded: the results watcher does not hand them over again after a restart. */
  public CompletionStage<Set<String>> withResult() {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT id FROM analysis WHERE result_status IS NOT NULL");
          ResultSet rs = s.executeQuery()) {
        Set<String> ids = new HashSet<>();
        while (rs.next()) ids.add(rs.getString(1));
        return ids;
      }
    });
  }

}
