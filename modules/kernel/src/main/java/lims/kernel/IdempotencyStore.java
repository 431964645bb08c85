package lims.kernel;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.ReadTableHandler;

/**
 * The idempotency_key table (persistence-schema V11): what each caller's key on each create
 * route reserved and answered, shared by every node of the cluster and kept across restarts.
 * The HTTP edge's {@code IdempotencyKeys} decides with it; the SQL lives here, beside the
 * node's other tables, so the edge holds none.
 */
public final class IdempotencyStore {

  /** Whose key, on which route: {@code POST /api/v1/specimens}. */
  public record Scope(String caller, String route, String key) {}

  /** A reserved key: the entity id and token its creates use, and the answer once there is one (status 0: none yet). */
  public record Entry(String fingerprint, String entityId, String token, int status, String contentType, String body) {
    public boolean answered() {
      return status != 0;
    }
  }

  private static final String COLUMNS = "fingerprint, entity_id, token, status, content_type, body";
  private static final String WHERE = " WHERE caller = ? AND route = ? AND idem_key = ?";
  /** SQLState of a unique-key violation, in PostgreSQL and H2 alike. */
  private static final String UNIQUE_VIOLATION = "23505";

  private final Database database;

  public IdempotencyStore(Database database) {
    this.database = database;
  }

  public CompletionStage<Optional<Entry>> find(Scope scope) {
    return database.withConnection(c -> find(c, scope));
  }

  /**
   * Reserves {@code entityId} for the key, or, when a concurrent request reserved it first,
   * returns what that one reserved: every request with the key creates under one id.
   */
  public CompletionStage<Entry> reserve(Scope scope, String fingerprint, String entityId, String token, Instant now) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO idempotency_key (caller, route, idem_key, fingerprint, entity_id, token, "
          + "created_at) VALUES (?, ?, ?, ?, ?, ?, ?)")) {
        bind(s, scope);
        s.setString(4, fingerprint);
        s.setString(5, entityId);
        s.setString(6, token);
        s.setObject(7, ReadTableHandler.ts(now));
        s.executeUpdate();
        return new Entry(fingerprint, entityId, token, 0, null, null);
      } catch (SQLException e) {
        if (!UNIQUE_VIOLATION.equals(e.getSQLState())) throw e;
        return find(c, scope).orElseThrow(() -> new SQLException("idempotency key " + scope + " was reserved and is gone", e));
      }
    });
  }

  /** Stores the answer unless one is stored already; returns the stored one either way, so every request answers alike. */
  public CompletionStage<Entry> answer(Scope scope, int status, String contentType, String body) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("UPDATE idempotency_key SET status = ?, content_type = ?, body = ?" + WHERE
          + " AND status IS NULL")) {
        s.setInt(1, status);
        s.setString(2, contentType);
        s.setString(3, body);
        s.setString(4, scope.caller());
        s.setString(5, scope.route());
        s.setString(6, scope.key());
        s.executeUpdate();
      }
      return find(c, scope).orElseThrow(() -> new SQLException("idempotency key " + scope + " vanished while it was answered"));
    });
  }

  /** Forgets keys reserved before {@code cutoff}; returns how many. */
  public CompletionStage<Integer> purge(Instant cutoff) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM idempotency_key WHERE created_at < ?")) {
        s.setObject(1, ReadTableHandler.ts(cutoff));
        return s.executeUpdate();
      }
    });
  }

  private static Optional<Entry> find(Connection c, Scope scope) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS + " FROM idempotency_key" + WHERE)) {
      bind(s, scope);
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) return Optional.empty();
        return Optional.of(new Entry(rs.getString(1), rs.getString(2), rs.getString(3), rs.getInt(4), rs.getString(5), rs.getString(6)));
      }
    }
  }

  private static void bind(PreparedStatement s, Scope scope) throws SQLException {
    s.setString(1, scope.caller());
    s.setString(2, scope.route());
    s.setString(3, scope.key());
  }
}
