package lims.kernel.projection;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import lims.kernel.Database;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Every projection polls "the events of tag T after offset O" several times a second, idle or
 * not. On a journal of 100,000 events, as a lab's embedded node holds after some weeks, the
 * database must plan the node's own query (TagIndexReadJournalDao) through the tag's index,
 * never by walking the journal: H2 did walk it, 2 s a poll, and an idle node kept both cores
 * busy (decision 0034). The plan is the database's own EXPLAIN of the statement the DAO
 * sends, with the values a poll binds, on planner statistics of the filled tables. H2 gets
 * fewer events: it inserts them slowly (a few seconds per 10,000 here), and it already
 * walked the journal at 15,000.
 */
@Tag("database")
class EventsByTagPlanTest {

  static final int EVENTS = TestDatabase.vendor().equals("h2") ? 20_000 : 100_000;
  /** The node's tags: lab-test, specimen, workflow, device and analysis in 4 each, test-batch in 2. */
  static final List<String> TAGS = new ArrayList<>();

  static {
    for (String prefix : List.of("lab-test", "specimen", "workflow", "device", "analysis")) {
      TAGS.addAll(new EventTags(prefix, 4).all());
    }
    TAGS.addAll(new EventTags("test-batch", 2).all());
  }

  static HikariDataSource database;
  static String vendor;

  @BeforeAll
  static void fillTheJournal() throws SQLException {
    Map<String, Object> settings = TestDatabase.fresh("events_by_tag_plan");
    vendor = (String) settings.get("lims.database.vendor");
    database = new HikariDataSource();
    database.setJdbcUrl((String) settings.get("lims.database.url"));
    database.setUsername((String) settings.get("lims.database.user"));
    database.setPassword((String) settings.get("lims.database.password"));
    Database.migrate(database, vendor);
    String numbers = vendor.equals("h2") ? "SYSTEM_RANGE(1, " + EVENTS + ") r" : "generate_series(1, " + EVENTS + ") AS r(x)";
    try (Connection c = database.getConnection()) {
      try (PreparedStatement s = c.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"writer\","
          + " \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\")"
          + " SELECT 'Entity|' || MOD(x, 5000), x, 'plan-test', 0, '', 1, 'Event', ? FROM " + numbers)) {
        s.setBytes(1, new byte[100]);
        s.executeUpdate();
      }
      // Events spread evenly over the tags, as entities' ids hash onto them.
      StringBuilder tags = new StringBuilder();
      for (int i = 0; i < TAGS.size(); i++) tags.append(i == 0 ? "" : ", ").append("(").append(i).append(", '").append(TAGS.get(i)).append("')");
      try (Statement s = c.createStatement()) {
        s.executeUpdate("INSERT INTO \"event_tag\" (\"event_id\", \"tag\") SELECT j.\"ordering\", t.tag FROM \"event_journal\" j"
            + " JOIN (VALUES " + tags + ") AS t(n, tag) ON MOD(j.\"ordering\", " + TAGS.size() + ") = t.n");
        // Statistics as a running database keeps them (both re-analyse tables as they grow).
        s.execute("ANALYZE");
      }
    }
  }

  @AfterAll
  static void close() {
    if (database != null) database.close();
  }

  /** An idle node's poll: nothing after the newest event. */
  @Test
  void anIdlePollIsPlannedThroughAnIndex() throws SQLException {
    assertPlannedThroughAnIndex(EVENTS, EVENTS);
  }

  /** A projection catching up from the start: the first page of its tag's events, not a sort of all of them. */
  @Test
  void aPollFromTheStartIsPlannedThroughAnIndex() throws SQLException {
    assertPlannedThroughAnIndex(0, EVENTS);
  }

  private static void assertPlannedThroughAnIndex(long offset, long maxOffset) throws SQLException {
    String plan = explain(offset, maxOffset);
    if (vendor.equals("h2")) {
      // H2 names the index it walks first and says when its order is the query's (no sort, stops at the limit).
      assertFalse(plan.contains("tableScan"), plan);
      assertTrue(plan.contains("EVENT_TAG_BY_TAG_IDX"), plan);
      assertTrue(plan.contains("/* index sorted */"), "in the index's order:\n" + plan);
    } else {
      assertNoScanNorSort(plan);
    }
  }

  /**
   * PostgreSQL walks the tag's index, or — for a range of offsets it expects to be nearly
   * empty, as at the newest event — the key (event_id, tag) between the offsets; both stop at
   * the limit. What must not appear is a walk of a whole table or a sort of what it found.
   */
  private static void assertNoScanNorSort(String plan) {
    assertFalse(plan.contains("Seq Scan"), plan);
    assertFalse(plan.contains("Sort"), plan);
    assertTrue(Pattern.compile("Index (Only )?Scan using event_tag_\\w+ on event_tag").matcher(plan).find(), plan);
  }

  /**
   * PostgreSQL may plan a statement the driver has prepared on the server once for any values
   * (a generic plan): that one must not walk a table either.
   */
  @Test
  void thePlanForAnyValuesReadsAnIndexToo() throws SQLException {
    assumeTrue(vendor.equals("postgresql"), "H2 plans a statement once, for any values: the tests above");
    String plan;
    try (Connection c = database.getConnection(); Statement s = c.createStatement()) {
      s.execute("SET plan_cache_mode = force_generic_plan");
      s.execute("PREPARE events_by_tag(text, bigint, bigint, int) AS " + numbered(TagIndexReadJournalDao.EVENTS_BY_TAG));
      plan = lines(s.executeQuery("EXPLAIN EXECUTE events_by_tag('" + TAGS.get(0) + "', " + EVENTS + ", " + EVENTS + ", 500)"));
      s.execute("DEALLOCATE events_by_tag");
      s.execute("RESET plan_cache_mode");
    }
    assertNoScanNorSort(plan);
  }

  private static String explain(long offset, long maxOffset) throws SQLException {
    try (Connection c = database.getConnection(); PreparedStatement s = c.prepareStatement("EXPLAIN " + TagIndexReadJournalDao.EVENTS_BY_TAG)) {
      s.setString(1, TAGS.get(0));
      s.setLong(2, offset);
      s.setLong(3, maxOffset);
      s.setInt(4, 500);
      return lines(s.executeQuery());
    }
  }

  private static String lines(ResultSet rs) throws SQLException {
    try (rs) {
      StringBuilder plan = new StringBuilder();
      while (rs.next()) plan.append(rs.getString(1)).append('\n');
      return plan.toString();
    }
  }

  /** The statement with PostgreSQL's numbered parameters for the JDBC driver's question marks. */
  private static String numbered(String sql) {
    StringBuilder out = new StringBuilder();
    int n = 0;
    for (char ch : sql.toCharArray()) {
      if (ch == '?') out.append('$').append(++n);
      else out.append(ch);
    }
    return out.toString();
  }
}
