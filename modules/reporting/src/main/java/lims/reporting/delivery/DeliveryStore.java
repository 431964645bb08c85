package lims.reporting.delivery;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import lims.kernel.Backoff;
import lims.kernel.Database;
import lims.kernel.KeysetCursor;
import lims.kernel.Page;

/**
 * The table {@code report_delivery}: one row per report version and recipient. Every change of
 * a row is one statement, conditional on the row as the changer last saw it, so nodes that
 * work on the same rows at once never both win. Times are the database's clock.
 */
final class DeliveryStore {

  private static final String COLUMNS = "id, report_id, version, recipient, client_id, specimen_ids, message_id, status, attempts, queued_at, "
      + "next_attempt_at, last_error, server_response, accepted_at, failed_at";

  /** How rows are retried: tries before the dead letter, the back-off between them, how long a claim holds. */
  record Policy(int attempts, Backoff backoff, Duration lease) {}

  private final Policy policy;

  DeliveryStore(Policy policy) {
    this.policy = policy;
  }

  /**
   * Adds the rows not there yet (a repeat, or another node adding the same at once, adds
   * nothing); answers how many were added. All of a version's rows in one transaction: no
   * node can send the first and find the version all accepted before the others exist.
   */
  int enqueue(Connection c, List<Delivery> deliveries) throws SQLException {
    c.setAutoCommit(false);
    try {
      int added = insertMissing(c, deliveries);
      c.commit();
      return added;
    } catch (SQLException e) {
      c.rollback();
      if (!duplicate(e)) throw e;
      // A twin enqueued the same rows and committed first: what is missing now (nothing, usually) is added.
      int added = insertMissing(c, deliveries);
      c.commit();
      return added;
    } finally {
      c.setAutoCommit(true);
    }
  }

  private int insertMissing(Connection c, List<Delivery> deliveries) throws SQLException {
    long now = Database.now(c);
    int added = 0;
    for (Delivery d : deliveries) {
      if (exists(c, d.id())) continue;
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO report_delivery (id, report_id, version, recipient, client_id, specimen_ids, "
          + "message_id, status, attempts, queued_at, next_attempt_at, custody_recorded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, FALSE)")) {
        insert.setString(1, d.id());
        insert.setString(2, d.reportId());
        insert.setInt(3, d.version());
        insert.setString(4, d.recipient());
        insert.setString(5, d.clientId());
        insert.setString(6, String.join(" ", d.specimenIds()));
        insert.setString(7, d.messageId());
        insert.setString(8, DeliveryStatus.QUEUED.wireName());
        insert.setLong(9, now);
        insert.setLong(10, now);
        added += insert.executeUpdate();
      }
    }
    return added;
  }

  /**
   * Claims one due row for {@code owner} until the lease ends, trying the {@code candidates}
   * first due: each claim is one update conditional on the attempts count read, so of two
   * nodes claiming a row one gets row count 1 and the other 0 (and tries the next). The lease
   * starts here, just before the send. A claim counts as a try, so a row whose sender keeps
   * crashing still reaches its dead letter.
   */
  Optional<Delivery> claim(Connection c, String owner, int candidates) throws SQLException {
    long now = Database.now(c);
    List<String[]> due = new ArrayList<>();
    try (PreparedStatement select = c.prepareStatement("SELECT id, attempts FROM report_delivery WHERE status = 'queued' AND next_attempt_at <= ? "
        + "AND (lease_until IS NULL OR lease_until < ?) ORDER BY next_attempt_at, id LIMIT ?")) {
      select.setLong(1, now);
      select.setLong(2, now);
      select.setInt(3, candidates);
      try (ResultSet rows = select.executeQuery()) {
        while (rows.next()) due.add(new String[] {rows.getString(1), Integer.toString(rows.getInt(2))});
      }
    }
    for (String[] row : due) {
      try (PreparedStatement take = c.prepareStatement("UPDATE report_delivery SET attempts = attempts + 1, lease_owner = ?, lease_until = ? "
          + "WHERE id = ? AND status = 'queued' AND attempts = ? AND (lease_until IS NULL OR lease_until < ?)")) {
        take.setString(1, owner);
        take.setLong(2, now + policy.lease().toMillis());
        take.setString(3, row[0]);
        take.setInt(4, Integer.parseInt(row[1]));
        take.setLong(5, now);
        if (take.executeUpdate() == 1) return get(c, row[0]);
      } catch (SQLException e) {
        // Another node's claim of the same row, seen as a serialization conflict: that node has it.
        if (!conflict(e)) throw e;
      }
    }
    return Optional.empty();
  }

  /**
   * The server accepted the message. Recorded whatever the lease says: it is the truth, even
   * from a node whose lease lapsed while it waited; the row is never sent again.
   */
  boolean accepted(Connection c, String id, String serverResponse) throws SQLException {
    try (PreparedStatement update = c.prepareStatement("UPDATE report_delivery SET status = 'accepted', server_response = ?, accepted_at = ?, "
        + "failed_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = ? AND status <> 'accepted'")) {
      update.setString(1, clip(serverResponse, 1000));
      update.setLong(2, Database.now(c));
      update.setString(3, id);
      return update.executeUpdate() == 1;
    }
  }

  /**
   * The try failed: queued again after the back-off, or a dead letter after the last try or a
   * permanent refusal. Only the claim's holder records it (a newer claim's try is not undone).
   */
  DeliveryStatus failed(Connection c, Delivery claimed, String owner, String error, boolean permanent) throws SQLException {
    long now = Database.now(c);
    boolean dead = permanent || claimed.attempts() >= policy.attempts();
    try (PreparedStatement update = c.prepareStatement("UPDATE report_delivery SET status = ?, last_error = ?, next_attempt_at = ?, failed_at = ?, "
        + "lease_owner = NULL, lease_until = NULL WHERE id = ? AND status = 'queued' AND lease_owner = ? AND attempts = ?")) {
      update.setString(1, (dead ? DeliveryStatus.FAILED : DeliveryStatus.QUEUED).wireName());
      update.setString(2, clip(error, 2000));
      update.setLong(3, dead ? now : now + policy.backoff().after(claimed.attempts()).toMillis());
      if (dead) update.setLong(4, now);
      else update.setNull(4, java.sql.Types.BIGINT);
      update.setString(5, claimed.id());
      update.setString(6, owner);
      update.setInt(7, claimed.attempts());
      update.executeUpdate();
    }
    return dead ? DeliveryStatus.FAILED : DeliveryStatus.QUEUED;
  }

  /** A dead letter queued again with a fresh count of tries, due now; false when the row is not a dead letter. */
  boolean retry(Connection c, String id) throws SQLException {
    try (PreparedStatement update = c.prepareStatement("UPDATE report_delivery SET status = 'queued', attempts = 0, next_attempt_at = ?, "
        + "failed_at = NULL WHERE id = ? AND status = 'failed'")) {
      update.setLong(1, Database.now(c));
      update.setString(2, id);
      return update.executeUpdate() == 1;
    }
  }

  Optional<Delivery> get(Connection c, String id) throws SQLException {
    try (PreparedStatement select = c.prepareStatement("SELECT " + COLUMNS + " FROM report_delivery WHERE id = ?")) {
      select.setString(1, id);
      try (ResultSet row = select.executeQuery()) {
        return row.next() ? Optional.of(delivery(row)) : Optional.empty();
      }
    }
  }

  /** Oldest first, by the instant queued, then id; {@code status} empty lists every row. */
  Page<Delivery> list(Connection c, Optional<DeliveryStatus> status, int limit, Optional<KeysetCursor> after) throws SQLException {
    String where = (status.isPresent() ? " WHERE status = ?" : " WHERE 1 = 1")
        + (after.isPresent() ? " AND (queued_at > ? OR (queued_at = ? AND id > ?))" : "");
    try (PreparedStatement select = c.prepareStatement("SELECT " + COLUMNS + " FROM report_delivery" + where + " ORDER BY queued_at, id LIMIT ?")) {
      int i = 1;
      if (status.isPresent()) select.setString(i++, status.get().wireName());
      if (after.isPresent()) {
        long at = after.get().at().toEpochMilli();
        select.setLong(i++, at);
        select.setLong(i++, at);
        select.setString(i++, after.get().id());
      }
      select.setInt(i, limit + 1);
      List<Delivery> rows = new ArrayList<>();
      try (ResultSet row = select.executeQuery()) {
        while (row.next()) rows.add(delivery(row));
      }
      return Page.of(rows, limit, d -> new KeysetCursor(d.queuedAt(), d.id()).encode());
    }
  }

  /** Versions whose every recipient's server accepted them and whose specimens have not been moved to DELIVERED yet. */
  List<List<Delivery>> acceptedVersionsToRecord(Connection c) throws SQLException {
    List<Object[]> versions = new ArrayList<>();
    try (PreparedStatement select = c.prepareStatement("SELECT DISTINCT d.report_id, d.version FROM report_delivery d "
        + "WHERE d.status = 'accepted' AND d.custody_recorded = FALSE AND NOT EXISTS (SELECT 1 FROM report_delivery o "
        + "WHERE o.report_id = d.report_id AND o.version = d.version AND o.status <> 'accepted')");
        ResultSet rows = select.executeQuery()) {
      while (rows.next()) versions.add(new Object[] {rows.getString(1), rows.getInt(2)});
    }
    List<List<Delivery>> result = new ArrayList<>();
    for (Object[] v : versions) {
      try (PreparedStatement select = c.prepareStatement("SELECT " + COLUMNS + " FROM report_delivery WHERE report_id = ? AND version = ? ORDER BY id")) {
        select.setString(1, (String) v[0]);
        select.setInt(2, (Integer) v[1]);
        List<Delivery> rows = new ArrayList<>();
        try (ResultSet row = select.executeQuery()) {
          while (row.next()) rows.add(delivery(row));
        }
        result.add(rows);
      }
    }
    return result;
  }

  void custodyRecorded(Connection c, String reportId, int version) throws SQLException {
    try (PreparedStatement update = c.prepareStatement("UPDATE report_delivery SET custody_recorded = TRUE WHERE report_id = ? AND version = ?")) {
      update.setString(1, reportId);
      update.setInt(2, version);
      update.executeUpdate();
    }
  }

  /** The report's PDF as stored (table report, written when it was rendered); empty when there is no such version. */
  Optional<byte[]> pdf(Connection c, String reportId, int version) throws SQLException {
    try (PreparedStatement select = c.prepareStatement("SELECT pdf FROM report WHERE report_id = ? AND version = ?")) {
      select.setString(1, reportId);
      select.setInt(2, version);
      try (ResultSet row = select.executeQuery()) {
        return row.next() ? Optional.ofNullable(row.getBytes(1)) : Optional.empty();
      }
    }
  }

  private static boolean exists(Connection c, String id) throws SQLException {
    try (PreparedStatement select = c.prepareStatement("SELECT 1 FROM report_delivery WHERE id = ?")) {
      select.setString(1, id);
      try (ResultSet row = select.executeQuery()) {
        return row.next();
      }
    }
  }

  private static Delivery delivery(ResultSet r) throws SQLException {
    DeliveryStatus status = DeliveryStatus.ofWire(r.getString("status"));
    return new Delivery(r.getString("id"), r.getString("report_id"), r.getInt("version"), r.getString("recipient"), r.getString("client_id"),
        Arrays.asList(r.getString("specimen_ids").split(" ")), r.getString("message_id"), status, r.getInt("attempts"),
        instant(r, "queued_at"), status == DeliveryStatus.QUEUED ? instant(r, "next_attempt_at") : null, r.getString("last_error"),
        r.getString("server_response"), instant(r, "accepted_at"), instant(r, "failed_at"));
  }

  private static Instant instant(ResultSet r, String column) throws SQLException {
    long millis = r.getLong(column);
    return r.wasNull() ? null : Instant.ofEpochMilli(millis);
  }

  private static String clip(String text, int max) {
    if (text == null) return null;
    return text.length() <= max ? text : text.substring(0, max - 1) + "…";
  }

  /** 23xxx: the row is there already (another node inserted it first). */
  private static boolean duplicate(SQLException e) {
    return e.getSQLState() != null && e.getSQLState().startsWith("23");
  }

  /** 40001 (serialization failure) or H2's lock time-out (HYT00): another transaction holds the row. */
  private static boolean conflict(SQLException e) {
    return e.getSQLState() != null && (e.getSQLState().equals("40001") || e.getSQLState().equals("HYT00"));
  }
}
