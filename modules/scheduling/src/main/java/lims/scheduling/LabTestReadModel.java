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
import java.util.function.Function;
import lims.kernel.projection.ReadTable;
import lims.kernel.KeysetCursor;
import lims.kernel.Page;
import lims.kernel.projection.ReadTableHandler;

/** Queries over the lab-test read tables, each one keyset-paginated query on an index. */
public final class LabTestReadModel {

  public record LabTestRow(String id, String title, String type, String experiment, List<String> recipients, String status, String actionKind,
      Instant nextFireAt, String cron, String timezone, Instant at) {}

  public record ExecutionRow(String executionId, String labTestId, Instant dueAt, Instant startedAt, Instant finishedAt, long latenessMs,
      int attempt, String status, String firedBy, String log) {}

  public record DeadLetterRow(String executionId, String labTestId, Instant dueAt, int attempts, String error, Instant deadLetteredAt,
      String state) {}

  private final ReadTable table;

  public LabTestReadModel(ReadTable table) {
    this.table = table;
  }

  /**
   * A completed or deleted test as the read table keeps it, for a partition that has forgotten
   * it (decision 0064): empty if there is none, it is neither, or it predates the stored
   * definition.
   */
  public CompletionStage<Optional<LabTest.State>> forgotten(String id) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT definition, status, created_by, created_at, idempotency_token FROM lab_test"
          + " WHERE id = ? AND status IN ('completed', 'deleted') AND definition IS NOT NULL")) {
        s.setString(1, id);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) return Optional.<LabTest.State>empty();
          return Optional.of(new LabTest.State(id, StoredDefinition.read(rs.getString(1)), LabTest.Status.fromWireName(rs.getString(2)), null,
              null, java.util.Map.of(), rs.getString(3), instant(rs, 4), rs.getString(5)));
        }
      }
    });
  }

  /** Lab tests not deleted, by id; cursor: the last id. */
  public CompletionStage<Page<LabTestRow>> list(Optional<String> status, int limit, Optional<String> afterId) {
    List<Object> args = new ArrayList<>();
    afterId.ifPresent(args::add);
    return query(status, afterId.isPresent() ? " AND id > ?" : "", args, " ORDER BY id", limit, LabTestRow::id);
  }

  /** Lab tests with a next fire instant, soonest first (ties by id). */
  public CompletionStage<Page<LabTestRow>> upcoming(Optional<String> status, int limit, Optional<KeysetCursor> after) {
    List<Object> args = new ArrayList<>();
    StringBuilder where = new StringBuilder(" AND next_fire_at IS NOT NULL");
    after.ifPresent(cursor -> {
      OffsetDateTime at = ReadTableHandler.ts(cursor.at());
      where.append(" AND (next_fire_at > ? OR (next_fire_at = ? AND id > ?))");
      args.addAll(List.of(at, at, cursor.id()));
    });
    return query(status, where.toString(), args, " ORDER BY next_fire_at, id", limit, r -> new KeysetCursor(r.nextFireAt(), r.id()).encode());
  }

  private CompletionStage<Page<LabTestRow>> query(Optional<String> status, String where, List<Object> whereArgs, String order, int limit,
      Function<LabTestRow, String> cursorOf) {
    return table.query(c -> {
      StringBuilder sql = new StringBuilder("SELECT id, title, type, status, action_kind, next_fire_at, schedule_cron, schedule_timezone,"
          + " schedule_at, experiment, recipients FROM lab_test WHERE status <> 'deleted'");
      List<Object> args = new ArrayList<>();
      status.ifPresent(s -> {
        sql.append(" AND status = ?");
        args.add(s);
      });
      sql.append(where).append(order).append(" LIMIT ?");
      args.addAll(whereArgs);
      args.add(limit + 1);
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
        List<LabTestRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            String recipients = rs.getString(11);
            rows.add(new LabTestRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(10),
                recipients == null || recipients.isEmpty() ? List.of() : List.of(recipients.split(" ")), rs.getString(4), rs.getString(5),
                instant(rs, 6), rs.getString(7), rs.getString(8), instant(rs, 9)));
          }
        }
        return Page.of(rows, limit, cursorOf);
      }
    });
  }

  /** A test's executions in due order, or newest first (execution ids sort by due instant); cursor: the last execution id. */
  public CompletionStage<Page<ExecutionRow>> executions(String labTestId, int limit, Optional<String> after, boolean newestFirst) {
    return table.query(c -> {
      String sql = "SELECT execution_id, lab_test_id, due_at, started_at, finished_at, lateness_ms, attempt, status, fired_by, log"
          + " FROM lab_test_execution WHERE lab_test_id = ?" + (after.isPresent() ? (newestFirst ? " AND execution_id < ?" : " AND execution_id > ?") : "")
          + " ORDER BY execution_id" + (newestFirst ? " DESC" : "") + " LIMIT ?";
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

  /** Open dead letters, oldest first by id, of every test or of one; cursor: the last execution id. */
  public CompletionStage<Page<DeadLetterRow>> deadLetters(Optional<String> labTestId, int limit, Optional<String> after) {
    return table.query(c -> {
      String sql = "SELECT execution_id, lab_test_id, due_at, attempts, error, dead_lettered_at, state FROM dead_letter WHERE state = 'open'"
          + (labTestId.isPresent() ? " AND lab_test_id = ?" : "") + (after.isPresent() ? " AND execution_id > ?" : "")
          + " ORDER BY execution_id LIMIT ?";
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        if (labTestId.isPresent()) s.setString(i++, labTestId.get());
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

  /** The lab test an execution (or its dead letter) belongs to; empty when {@code executionId} is not an execution's id. */
  public static Optional<String> labTestOf(String executionId) {
    if (!LabTest.EXECUTION_ID.matcher(executionId).matches()) return Optional.empty();
    return Optional.of(executionId.substring(0, executionId.lastIndexOf('-')));
  }

}
