package lims.kernel.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import org.apache.pekko.NotUsed;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.jdbc.PekkoSerialization;
import org.apache.pekko.persistence.jdbc.config.ReadJournalConfig;
import org.apache.pekko.persistence.jdbc.journal.dao.JournalTables.JournalPekkoSerializationRow;
import org.apache.pekko.persistence.jdbc.query.dao.DefaultReadJournalDao;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.scaladsl.Source;
import scala.Option;
import scala.Tuple3;
import scala.collection.immutable.Set;
import scala.concurrent.ExecutionContext;
import scala.jdk.javaapi.FutureConverters;
import scala.util.Try;
import slick.dbio.DBIOAction;
import slick.jdbc.JdbcBackend;
import slick.jdbc.JdbcProfile;

/**
 * The read journal with one query of its own: "the events of tag T after offset O", the
 * query every projection polls. The library's version joins the journal to the tags and
 * bounds only the journal's ordering, so the database walks every event after O, of every
 * tag, and looks up each one's tag: forty projection streams each walked all the journal's
 * traffic (the database's cores were busy doing that at 2,000 lab tests a second), and a
 * projection that had fallen behind read everything it skipped. This one walks the tag's
 * own rows in the {@code (tag, event_id)} index (persistence-schema V8) and fetches only
 * those events: a quiet tag costs one index probe per poll. Same rows, same order, same
 * bounds as the library's (offset exclusive, maxOffset inclusive, at most max rows).
 * Selected by {@code jdbc-read-journal.dao} (decision 0021).
 */
public final class TagIndexReadJournalDao extends DefaultReadJournalDao {

  /**
   * The journal's columns need no table name: event_tag has only event_id and tag. The order
   * names the tag although it is fixed: "tag, event_id" is the index's own order, and H2's
   * planner only sees that the index delivers the rows sorted when the ORDER BY spells out
   * its columns from the first. Ordered by event_id alone, H2 charged the tag index for a sort
   * and chose to walk the whole journal instead (2 s a poll at 100,000 events, decision 0034).
   * PostgreSQL plans both forms alike. {@code EventsByTagPlanTest} checks the plan on both.
   */
  static final String EVENTS_BY_TAG = "SELECT j.\"ordering\", " + JournalSql.EVENT_COLUMNS
      + " FROM \"event_tag\" t JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\""
      + " WHERE t.\"tag\" = ? AND t.\"event_id\" > ? AND t.\"event_id\" <= ? AND j.\"deleted\" = FALSE"
      + " ORDER BY t.\"tag\", t.\"event_id\" LIMIT ?";
  private static final Set<String> NO_TAGS = scala.collection.immutable.Set$.MODULE$.empty();

  private final Serialization serialization;

  public TagIndexReadJournalDao(JdbcBackend.JdbcDatabaseDef db, JdbcProfile profile, ReadJournalConfig config, Serialization serialization,
      ExecutionContext ec, Materializer mat) {
    super(db, profile, config, serialization, ec, mat);
    this.serialization = serialization;
    JournalSql.require(config.eventJournalTableConfiguration(), config.eventTagTableConfiguration(), "TagIndexReadJournalDao",
        "jdbc-read-journal");
  }

  @Override
  public Source<Try<Tuple3<PersistentRepr, Set<String>, Object>>, NotUsed> eventsByTag(String tag, long offset, long maxOffset, long max) {
    return org.apache.pekko.stream.javadsl.Source.lazyCompletionStage(() -> query(tag, offset, maxOffset, max))
        .mapConcat(rows -> rows)
        .map(this::event)
        .mapMaterializedValue(m -> NotUsed.getInstance())
        .asScala();
  }

  /** Runs the query on the journal's own database pool, as the library's queries do. */
  @SuppressWarnings({"unchecked", "rawtypes"}) // Slick's effect type is contravariant, which Java cannot say
  private CompletionStage<List<JournalPekkoSerializationRow>> query(String tag, long offset, long maxOffset, long max) {
    DBIOAction action = JournalSql.action("reading the events of tag " + tag, c -> rows(c, tag, offset, maxOffset, max));
    return FutureConverters.asJava((scala.concurrent.Future<List<JournalPekkoSerializationRow>>) db().run(action));
  }

  private Try<Tuple3<PersistentRepr, Set<String>, Object>> event(JournalPekkoSerializationRow row) {
    return PekkoSerialization.fromRow(serialization, row).map(e -> new Tuple3<>(e._1(), NO_TAGS, e._2()));
  }

  private static List<JournalPekkoSerializationRow> rows(Connection c, String tag, long offset, long maxOffset, long max) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(EVENTS_BY_TAG)) {
      s.setString(1, tag);
      s.setLong(2, offset);
      s.setLong(3, maxOffset);
      s.setInt(4, (int) Math.min(max, Integer.MAX_VALUE));
      List<JournalPekkoSerializationRow> rows = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          rows.add(new JournalPekkoSerializationRow(rs.getLong(1), rs.getBoolean(2), rs.getString(3), rs.getLong(4), rs.getString(5),
              rs.getLong(6), rs.getString(7), rs.getBytes(8), rs.getInt(9), rs.getString(10), Option.apply(rs.getBytes(11)),
              Option.apply((Object) nullableInt(rs, 12)), Option.apply(rs.getString(13))));
        }
      }
      return rows;
    }
  }

  private static Integer nullableInt(ResultSet rs, int column) throws SQLException {
    int value = rs.getInt(column);
    return rs.wasNull() ? null : value;
  }
}
