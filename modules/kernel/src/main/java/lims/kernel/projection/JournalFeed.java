package lims.kernel.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import lims.kernel.Database;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The whole journal in its global order: the {@code ordering} number every event gets as it
 * is written, on whichever node. Projections read one tag each; this reads every entity at
 * once, for a follower that hands changes on in the order they were written (the HTTP API's
 * live event stream, decision 0048). Reads through the journal's {@code ordering} index on the
 * node's own pool.
 *
 * <p>Every row comes back, so a follower sees every ordering number (and can tell a gap, a
 * write not committed yet, from an event of a kind it does not want: {@link OrderingGaps});
 * only rows of the wanted entity types are deserialized, the others carry no event.
 */
public final class JournalFeed {

  private static final Logger log = LoggerFactory.getLogger(JournalFeed.class);

  static final String AFTER = "SELECT \"ordering\", \"persistence_id\", \"write_timestamp\", \"deleted\", \"event_ser_id\","
      + " \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\" WHERE \"ordering\" > ? AND \"ordering\" <= ?"
      + " ORDER BY \"ordering\" LIMIT ?";
  static final String NEWEST = "SELECT MAX(\"ordering\") FROM \"event_journal\"";
  static final String FIRST_AFTER = "SELECT \"write_timestamp\" FROM \"event_journal\" WHERE \"ordering\" > ? ORDER BY \"ordering\" LIMIT 1";

  /** One journal row; {@code event} is null for a kind nobody asked for (or a deleted or unreadable one). */
  public record Row(long ordering, String persistenceId, Object event) {}

  /** Whether a reader that last saw an ordering number can be given what followed it. */
  public enum Resume {
    /** The events after it are within the window: read them. */
    REPLAY,
    /** The first event after it is older than the window: reload instead. */
    TOO_OLD,
    /** The journal has no such number (beyond its newest: another database, or a made-up id). */
    UNKNOWN
  }

  private final Database database;
  private final Serialization serialization;
  private final Set<String> entityTypes;

  /** {@code entityTypes}: the entity type names (the persistence id before '|') whose events are read. */
  public JournalFeed(ActorSystem<?> system, Set<String> entityTypes) {
    this.database = Database.get(system);
    this.serialization = SerializationExtension.get(system.classicSystem());
    this.entityTypes = Set.copyOf(entityTypes);
  }

  /** The newest ordering number, 0 for an empty journal. */
  public CompletionStage<Long> newest() {
    return database.withConnection(JournalFeed::newest);
  }

  /** The rows after {@code after} up to {@code upTo} (both ordering numbers), oldest first, at most {@code limit}. */
  public CompletionStage<List<Row>> after(long after, long upTo, int limit) {
    return database.withConnection(c -> {
      List<Row> rows = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(AFTER)) {
        s.setLong(1, after);
        s.setLong(2, upTo);
        s.setInt(3, limit);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            String persistenceId = rs.getString(2);
            boolean wanted = !rs.getBoolean(4) && entityTypes.contains(entityType(persistenceId));
            rows.add(new Row(rs.getLong(1), persistenceId, wanted ? event(rs, persistenceId) : null));
          }
        }
      }
      return rows;
    });
  }

  /**
   * Whether the events after {@code lastSeen} can be replayed: the first of them was written
   * within {@code window} of the database's clock (writers stamp events with their own clock,
   * which the cluster keeps close to it), and {@code lastSeen} is not beyond the newest event.
   */
  public CompletionStage<Resume> resume(long lastSeen, Duration window) {
    return database.withConnection(c -> {
      if (lastSeen > newest(c)) return Resume.UNKNOWN;
      try (PreparedStatement s = c.prepareStatement(FIRST_AFTER)) {
        s.setLong(1, lastSeen);
        try (ResultSet rs = s.executeQuery()) {
          if (!rs.next()) return Resume.REPLAY; // nothing happened since
          long written = rs.getLong(1);
          return Database.now(c) - written > window.toMillis() ? Resume.TOO_OLD : Resume.REPLAY;
        }
      }
    });
  }

  private static long newest(Connection c) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(NEWEST); ResultSet rs = s.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0; // MAX of no rows is NULL, read as 0
    }
  }

  private Object event(ResultSet rs, String persistenceId) throws SQLException {
    try {
      return serialization.deserialize(rs.getBytes(7), rs.getInt(5), rs.getString(6)).get();
    } catch (Exception e) {
      // An event of a shape this build cannot read (a newer node's, during a rolling upgrade):
      // not shown, not fatal. The serializer's own failures are checked exceptions
      // (NotSerializableException, JsonProcessingException) that Try.get() rethrows as they are.
      log.warn("event {} of {} cannot be read for the event stream: {}", rs.getLong(1), persistenceId, e.toString());
      return null;
    }
  }

  /** The entity type of a persistence id ({@code Device|DEV-1} is a Device's). */
  static String entityType(String persistenceId) {
    int bar = persistenceId.indexOf('|');
    return bar < 0 ? persistenceId : persistenceId.substring(0, bar);
  }
}
