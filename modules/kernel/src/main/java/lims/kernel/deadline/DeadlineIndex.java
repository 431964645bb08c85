package lims.kernel.deadline;

import static lims.kernel.projection.ReadTableHandler.batch;
import static lims.kernel.projection.ReadTableHandler.instant;
import static lims.kernel.projection.ReadTableHandler.ts;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * The rows of the deadline table: "entity {@code id} of {@code kind} must be awake by
 * {@code due_at}". Written by projections inside their transaction, read by the
 * {@link DeadlineSweeper}. One row per entity: a new deadline replaces the old one.
 */
public final class DeadlineIndex {

  private DeadlineIndex() {}

  /** Sets, moves or (with null) clears an entity's deadline, in the caller's transaction. */
  public static void set(Connection c, String kind, String entityId, Instant dueAt) throws SQLException {
    setAll(c, kind, Collections.singletonMap(entityId, dueAt));
  }

  /**
   * Sets, moves or clears many entities' deadlines (entity id → its deadline, or null to clear
   * it) in three batched statements: move, insert where there was no row, delete. A portable
   * upsert: projections apply one entity's events in order, so no other writer races for a row.
   */
  public static void setAll(Connection c, String kind, Map<String, Instant> deadlines) throws SQLException {
    List<Object[]> moves = new ArrayList<>();
    List<Object[]> clears = new ArrayList<>();
    deadlines.forEach((id, due) -> {
      if (due == null) clears.add(new Object[] {kind, id});
      else moves.add(new Object[] {ts(due), kind, id});
    });
    int[] moved = batch(c, "UPDATE deadline SET due_at = ? WHERE kind = ? AND entity_id = ?", moves);
    List<Object[]> inserts = new ArrayList<>();
    for (int i = 0; i < moved.length; i++) {
      Object[] m = moves.get(i);
      if (moved[i] == 0) inserts.add(new Object[] {m[1], m[2], m[0]});
    }
    batch(c, "INSERT INTO deadline (kind, entity_id, due_at) VALUES (?, ?, ?)", inserts);
    batch(c, "DELETE FROM deadline WHERE kind = ? AND entity_id = ?", clears);
  }

  /** Clears an entity's deadline, in the caller's transaction. */
  public static void clear(Connection c, String kind, String entityId) throws SQLException {
    set(c, kind, entityId, null);
  }

  /** A deadline row: the sweeper's place in the index while it pages through it. */
  public record Due(Instant dueAt, String entityId) {}

  /**
   * The entities of a kind due by {@code horizon}, earliest first, after {@code after} in
   * (due_at, entity_id) order (null: from the start), at most {@code limit}.
   */
  public static List<Due> dueBy(Connection c, String kind, Instant horizon, Due after, int limit) throws SQLException {
    String from = after == null ? "" : " AND (due_at > ? OR (due_at = ? AND entity_id > ?))";
    try (PreparedStatement s = c.prepareStatement(
        "SELECT due_at, entity_id FROM deadline WHERE kind = ? AND due_at <= ?" + from + " ORDER BY due_at, entity_id LIMIT " + limit)) {
      s.setString(1, kind);
      s.setObject(2, ts(horizon));
      if (after != null) {
        s.setObject(3, ts(after.dueAt()));
        s.setObject(4, ts(after.dueAt()));
        s.setString(5, after.entityId());
      }
      List<Due> due = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) due.add(new Due(instant(rs, 1), rs.getString(2)));
      }
      return due;
    }
  }
}
