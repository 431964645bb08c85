package lims.kernel.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;

/**
 * A projection that folds one entity type's events into read tables, inside the session's
 * transaction (exactly once: rows and offset commit together, so plain INSERT and UPDATE
 * suffice). Subclasses say what each event writes.
 */
public abstract class ReadTableHandler<E> {

  protected abstract void apply(Connection c, E event) throws Exception;

  /**
   * A group of events, in order. One statement per event write by default; a handler whose
   * events come in the thousands a second folds them into fewer, batched writes.
   */
  protected void applyAll(Connection c, java.util.List<E> events) throws Exception {
    for (E event : events) apply(c, event);
  }

  /** This handler for a group of events: all applied in order, in the session's one transaction. */
  public final JdbcHandler<java.util.List<EventEnvelope<E>>, ReadTableSession> grouped() {
    return new JdbcHandler<>() {
      @Override
      public void process(ReadTableSession session, java.util.List<EventEnvelope<E>> envelopes) throws Exception {
        session.withConnection(c -> {
          applyAll(c, envelopes.stream().map(EventEnvelope::event).toList());
          return null;
        });
      }
    };
  }

  protected static void update(Connection c, String sql, Object... values) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) s.setObject(i + 1, values[i]);
      s.executeUpdate();
    }
  }

  /**
   * One statement for many rows: a JDBC batch, one round trip instead of one per row.
   * Returns each row's update count (drivers may answer "unknown" for rewritten inserts).
   */
  public static int[] batch(Connection c, String sql, java.util.Collection<Object[]> rows) throws SQLException {
    if (rows.isEmpty()) return new int[0];
    try (PreparedStatement s = c.prepareStatement(sql)) {
      for (Object[] values : rows) {
        for (int i = 0; i < values.length; i++) s.setObject(i + 1, values[i]);
        s.addBatch();
      }
      return s.executeBatch();
    }
  }

  /** A timestamp column as an instant; null stays null. */
  public static Instant instant(java.sql.ResultSet rs, int column) throws SQLException {
    OffsetDateTime t = rs.getObject(column, OffsetDateTime.class);
    return t == null ? null : t.toInstant();
  }

  /** Instants are bound as UTC offsets: exact on both drivers, whatever the JVM's time zone. */
  public static OffsetDateTime ts(Instant instant) {
    return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
  }
}
