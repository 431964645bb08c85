package lims.scheduling;

import static lims.kernel.projection.ReadTableHandler.instant;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.Database;
import lims.kernel.Page;

/** Queries over the lab-test read tables, each one keyset-paginated query on an index. */
public final class LabTestReadModel {

  public record LabTestRow(String id, String title, String type, String status, String actionKind, Instant nextFireAt, String cron,
      String timezone, Instant at) {}

  public record ExecutionRow(String executionId, String labTestId, Instant dueAt, Instant startedAt, Instant finishedAt, long latenessMs,
      int attempt, String status, String firedBy, String log) {}

  public record DeadLetterRow(String executionId, String labTestId, Instant dueAt, int attempts, String error, Instant deadLetteredAt,
      String state) {}

  private final Database database;

  public LabTestReadModel(Database database) {
    this.database = database;
  }

  /**
   * Lab tests not deleted; with {@code upcoming}, only those with a next fire instant, soonest first
   * (cursor: see {@link #cursor}), else by id.
   */
  public CompletionStage<Page<LabTestRow>> list(Optional<String> status, boolean upcoming, int limit, Optional<String> after) {
    return database.withConnection(c -> {
      StringBuilder sql = new StringBuilder("SELECT id, title, type, status, action_kind, next_fire_at, schedule_cron, schedule_timezone,"
          + " schedule_at FROM lab_test WHERE status <> 'deleted'");
      List<Object> args = new ArrayList<>();
      status.ifPresent(s -> {
        sql.append(" AND status = ?");
        args.add(s);
      });
      if (upcoming) {
        sql.append(" AND next_fire_at IS NOT NULL");
        after.ifPresent(cursor -> {
          int cut = cursor.indexOf('_');
          int dot = cursor.indexOf('.');
          OffsetDateTime at = lims.kernel.projection.ReadTableHandler.ts(Instant.ofEpochSecond(Long.parseLong(cursor.substring(0, dot)),
              Long.parseLong(cursor.substring(dot + 1, cut))));
          sql.append(" AND (next_fire_at > ? OR (next_fire_at = ? AND id > ?))");
          args.addAll(List.of(at, at, cursor.substring(cut + 1)));
        });
        sql.append(" ORDER BY next_fire_at, id LIMIT ?");
      } else {
        after.ifPresent(a -> {
          sql.append(" AND id > ?");
          args.add(a);
        });
        sql.append(" ORDER BY id LIMIT ?");
      }
      args.add(limit + 1);
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
        List<LabTestRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            rows.add(new LabTestRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), instant(rs, 6),
                rs.getString(7), rs.getString(8), instant(rs, 9)));
          }
        }
        return Page.of(rows, limit, r -> upcoming ? cursor(r) : r.id());
      }
    });
  }

  /** {@code <epoch seconds>.<nanoseconds>_<id>}: the instant exactly as stored, so no row is read twice or skipped. */
  static String cursor(LabTestRow r) {
    return r.nextFireAt().getEpochSecond() + "." + String.format("%09d", r.nextFireAt().getNano()) + "_" + r.id();
  }

  /** A test's executions in due order (execution ids sort by due instant); cursor: the last execution id. */
  public CompletionStage<Page<ExecutionRow>> executions(String labTestId, int limit, Optional<String> after) {
    return database.withConnection(c -> {
      String sql = "SELECT execution_id, lab_test_id, due_at, started_at, finished_at, lateness_ms, attempt, status, fired_by, log"
          + " FROM lab_test_execution WHERE lab_test_id = ?" + (after.isPresent() ? " AND execution_id > ?" : "") + " ORDER BY execution_id LIMIT ?";
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        s.setString(i++, labTestId);
        if (after.isPresent()) s.setString(i++, after.get());
        s.setInt(i, limit + 1);
        List<ExecutionRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            rows.add(new ExecutionRow(rs.getString(1), rs.getString(2), instant(rs, 3), instant(rs, 4), instant(rs, 5), rs.getLong(6),
                rs.getInt(7), rs.getString(8), rs.getString(9), rs.getString(10)));
          }
        }
        return Page.of(rows, limit, ExecutionRow::executionId);
      }
    });
  }

  /** Open dead letters, oldest first by id; cursor: the last execution id. */
  public CompletionStage<Page<DeadLetterRow>> deadLetters(int limit, Optional<String> after) {
    return database.withConnection(c -> {
      String sql = "SELECT execution_id, lab_test_id, due_at, attempts, error, dead_lettered_at, state FROM dead_letter WHERE state = 'open'"
          + (after.isPresent() ? " AND execution_id > ?" : "") + " ORDER BY execution_id LIMIT ?";
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        if (after.isPresent()) s.setString(i++, after.get());
        s.setInt(i, limit + 1);
        List<DeadLetterRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            rows.add(new DeadLetterRow(rs.getString(1), rs.getString(2), instant(rs, 3), rs.getInt(4), rs.getString(5), instant(rs, 6),
                rs.getString(7)));
          }
        }
        return Page.of(rows, limit, DeadLetterRow::executionId);
      }
    });
  }

  /** The lab test a dead letter belongs to (execution ids begin with it). */
  public static Optional<String> labTestOf(String executionId) {
    int cut = executionId.lastIndexOf('-');
    return cut > 0 && LabTest.ID.matcher(executionId.substring(0, cut)).matches() ? Optional.of(executionId.substring(0, cut)) : Optional.empty();
  }

}
