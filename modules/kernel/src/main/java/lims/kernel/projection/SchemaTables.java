package lims.kernel.projection;

import org.apache.pekko.persistence.jdbc.config.EventJournalTableConfiguration;
import org.apache.pekko.persistence.jdbc.config.EventTagTableConfiguration;

/** The journal tables as persistence-schema V1 creates them, which the node's own journal queries name. */
final class SchemaTables {

  private SchemaTables() {}

  /** A configuration that renamed the tables would part the node's queries from the library's other ones. */
  static void require(EventJournalTableConfiguration journal, EventTagTableConfiguration tags, String dao, String configPath) {
    if (!journal.tableName().equals("event_journal") || !tags.tableName().equals("event_tag") || journal.schemaName().isDefined()
        || tags.schemaName().isDefined()) {
      throw new IllegalStateException(dao + " uses the tables event_journal and event_tag of persistence-schema; " + configPath
          + ".tables names others");
    }
  }
}
