package lims.kernel.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.pekko.persistence.jdbc.config.JournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.DefaultJournalDao;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import scala.Tuple2;
import scala.collection.immutable.Seq;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.concurrent.Future;
import scala.jdk.javaapi.CollectionConverters;
import scala.runtime.BoxedUnit;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The journal with one write of its own: a batch of events is stored in two statements sent
 * as JDBC batches (the events, then their tags), one round trip each. The library inserts the
 * events of a batch one by one, a round trip per event, to learn each one's ordering number
 * for its tags; under a steady stream of lab tests those serial round trips, not the
 * database's work, held the journal back. Same rows, same transaction, same order (by
 * sequence number) as the library's; reading is the library's. Selected by
 * {@code jdbc-journal.dao} (decision 0023).
 */
public final class BatchedJournalDao extends DefaultJournalDao {

  private static final String INSERT_EVENT = "INSERT INTO \"event_journal\" (" + JournalSql.EVENT_COLUMNS
      + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
  private static final String INSERT_TAG = "INSERT INTO \"event_tag\" (\"event_id\", \"tag\") VALUES (?, ?)";

  public BatchedJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, JournalConfig config, Serialization serialization,
      ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    JournalSql.require(config.eventJournalTableConfiguration(), config.eventTagTableConfiguration(), "BatchedJournalDao", "jdbc-journal");
  }

  @Override
  @SuppressWarnings({"unchecked", "rawtypes"}) // Slick's effect type is contravariant, which Java cannot say
  public Future<BoxedUnit> writeJournalRows(Seq<Tuple2<JournalPekkoSerializationRow, Set<String>>> rows) {
    List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events = new ArrayList<>(CollectionConverters.asJava(rows));
    events.sort(Comparator.comparingLong(e -> e._1().sequenceNumber()));
    DBIOAction write = JournalSql.action("writing " + events.size() + " events", c -> {
      write(c, events);
      return BoxedUnit.UNIT;
    });
    return (Future<BoxedUnit>) db().run(profile().api().jdbcActionExtensionMethods(write).transactionally());
  }

  private static void write(Connection c, List<Tuple2<JournalPekkoSerializationRow, Set<String>>> events) throws SQLException {
    Map<String, Long> orderings = new HashMap<>();
    try (PreparedStatement s = c.prepareStatement(INSERT_EVENT, new String[] {"ordering", "persistence_id", "sequence_number"})) {
      for (var event : events) {
        bind(s, event._1());
        s.addBatch();
      }
      s.executeBatch();
      // Matched by key, not by position: the order a driver returns a batch's keys in is its own.
      try (ResultSet keys = s.getGeneratedKeys()) {
        while (keys.next()) orderings.put(key(keys.getString(2), keys.getLong(3)), keys.getLong(1));
      }
    }
    boolean tagged = false;
    try (PreparedStatement s = c.prepareStatement(INSERT_TAG)) {
      for (var event : events) {
        Long ordering = orderings.remove(key(event._1().persistenceId(), event._1().sequenceNumber()));
        if (ordering == null) throw new SQLException("no ordering number came back for " + key(event._1().persistenceId(), event._1().sequenceNumber()));
        for (String tag : CollectionConverters.asJava(event._2())) {
          s.setLong(1, ordering);
          s.setString(2, tag);
          s.addBatch();
          tagged = true;
        }
      }
      if (!orderings.isEmpty()) throw new SQLException("ordering numbers came back for events not written: " + orderings.keySet());
      if (tagged) s.executeBatch();
    }
  }

  private static String key(String persistenceId, long sequenceNumber) {
    return persistenceId + "#" + sequenceNumber;
  }

  private static void bind(PreparedStatement s, JournalPekkoSerializationRow row) throws SQLException {
    s.setBoolean(1, row.deleted());
    s.setString(2, row.persistenceId());
    s.setLong(3, row.sequenceNumber());
    s.setString(4, row.writer());
    s.setLong(5, row.writeTimestamp());
    s.setString(6, row.adapterManifest());
    s.setBytes(7, row.eventPayload());
    s.setInt(8, row.eventSerId());
    s.setString(9, row.eventSerManifest());
    s.setBytes(10, row.metaPayload().isDefined() ? row.metaPayload().get() : null);
    if (row.metaSerId().isDefined()) s.setInt(11, (Integer) row.metaSerId().get());
    else s.setNull(11, Types.INTEGER);
    s.setString(12, row.metaSerManifest().isDefined() ? row.metaSerManifest().get() : null);
  }
}
