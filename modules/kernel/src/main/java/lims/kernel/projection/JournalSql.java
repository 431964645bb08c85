package lims.kernel.projection;

import java.sql.Connection;
import java.sql.SQLException;
import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;
import slick.dbio.DBIOAction;
import slick.jdbc.SimpleJdbcAction;

/**
 * What the node's own journal statements (TagIndexReadJournalDao, BatchedJournalDao) share:
 * the tables as persistence-schema V1 creates them, and running plain JDBC on the journal's
 * own Slick pool, as the library's statements run.
 */
final class JournalSql {

  /**
   * The journal's columns after {@code ordering}, in the order of the library's row type
   * (JournalPekkoSerializationRow); quoted, as the embedded database keeps them in lower case.
   */
  static final String EVENT_COLUMNS = "\"deleted\", \"persistence_id\", \"sequence_number\", \"writer\", \"write_timestamp\","
      + " \"adapter_manifest\", \"event_payload\", \"event_ser_id\", \"event_ser_manifest\", \"meta_payload\", \"meta_ser_id\","
      + " \"meta_ser_manifest\"";

  /** JDBC work on one connection. */
  interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private JournalSql() {}

  /** A configuration that renamed the tables would part the node's statements from the library's other ones. */
  static void require(EventJournalTableConfiguration journal, EventTagTableConfiguration tags, String dao, String configPath) {
    if (!journal.tableName().equals("event_journal") || !tags.tableName().equals("event_tag") || journal.schemaName().isDefined()
        || tags.schemaName().isDefined()) {
      throw new IllegalStateException(dao + " uses the tables event_journal and event_tag of persistence-schema; " + configPath
          + ".tables names others");
    }
  }

  /** {@code work} as a Slick action, for the journal's database to run; {@code what} names it when it fails. */
  @SuppressWarnings("rawtypes") // Slick's effect type is contravariant, which Java cannot say
  static DBIOAction action(String what, Work<?> work) {
    return SimpleJdbcAction.apply(context -> {
      try {
        return work.apply(context.connection());
      } catch (SQLException e) {
        throw new IllegalStateException(what + " failed: " + e.getMessage(), e);
      }
    });
  }
}
