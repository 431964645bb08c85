package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lims.kernel.Database;
import lims.kernel.projection.BatchedJournalDao;
import lims.kernel.projection.TagIndexReadJournalDao;
import lims.kernel.testing.TestDatabase;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.persistence.query.EventEnvelope;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.persistence.query.PersistenceQuery;
import org.apache.pekko.persistence.query.Sequence;
import org.apache.pekko.stream.javadsl.Sink;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The node's own journal queries (decisions 0021, 0023). Events are written in batches
 * (BatchedJournalDao): each must land with its own tag, whichever batch it shared with other
 * entities' events. Projections read through the "events of a tag" query
 * (TagIndexReadJournalDao): it must return exactly what the journal holds for the tag, every
 * event once, in journal order, offsets exclusive, across several pages.
 */
@Tag("database")
class JournalDaoTest {

  static final int CREATED = 200;
  static TestNode node;
  static JdbcReadJournal journal;

  @BeforeAll
  static void start() throws Exception {
    // Pages of 3 events, so one read of a tag takes several queries.
    node = TestNode.start(TestDatabase.fresh("tag_query"), Map.of("jdbc-read-journal.max-buffer-size", 3));
    journal = PersistenceQuery.get(Adapter.toClassic(node.node.system()))
        .getReadJournalFor(JdbcReadJournal.class, JdbcReadJournal.Identifier());
    LabTests labTests = node.node.labTests();
    Instant due = Instant.now().plus(1, ChronoUnit.HOURS);
    List<CompletableFuture<?>> created = new ArrayList<>();
    for (int i = 0; i < CREATED; i++) { // at once: the journal writes them in shared batches
      LabTest.Definition definition = new LabTest.Definition("tag query " + i, "check", null, List.of(), Schedule.once(due),
          new LabTestAction("http", Map.of("url", "http://127.0.0.1:9/none")), 0, LabTest.FIRE_ONCE);
      created.add(labTests.ask(LabTests.newId(), r -> new LabTest.Create(definition, "test", r)).toCompletableFuture());
    }
    CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void theNodeReadsTagsThroughItsOwnQuery() {
    assertEquals(TagIndexReadJournalDao.class.getName(), node.node.system().settings().config().getString("jdbc-read-journal.dao"));
  }

  @Test
  void theNodeWritesEventsInBatches() {
    assertEquals(BatchedJournalDao.class.getName(), node.node.system().settings().config().getString("jdbc-journal.dao"));
  }

  /** A tag pointing at another entity's event would hand that event to the wrong projection instance. */
  @Test
  void everyEventIsStoredOnceWithItsOwnEntitysTag() throws Exception {
    List<String> expected = new ArrayList<>();
    List<String> stored = new ArrayList<>();
    try (Connection c = Database.get(node.node.system()).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT j.\"persistence_id\", j.\"sequence_number\", t.\"tag\" FROM \"event_journal\" j"
            + " LEFT JOIN \"event_tag\" t ON t.\"event_id\" = j.\"ordering\" WHERE j.\"persistence_id\" LIKE 'LabTest|%' ORDER BY j.\"ordering\", t.\"tag\"");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        String persistenceId = rs.getString(1);
        String labTestId = persistenceId.substring("LabTest|".length());
        expected.add(persistenceId + " " + rs.getLong(2) + " " + LabTest.TAGS.tagFor(labTestId));
        stored.add(persistenceId + " " + rs.getLong(2) + " " + rs.getString(3));
      }
    }
    assertEquals(CREATED, stored.size(), "one row per event, one tag per row");
    assertEquals(expected, stored);
  }

  @Test
  void everyEventOfATagOnceInJournalOrderAcrossPages() throws Exception {
    int seen = 0;
    for (String tag : LabTest.TAGS.all()) {
      List<String> stored = stored(tag, 0);
      assertEquals(stored, read(tag, 0), "events of " + tag);
      seen += stored.size();
    }
    assertEquals(CREATED, seen, "one LabTestCreated per test, each under exactly one tag");
  }

  @Test
  void readingFromAnOffsetReturnsOnlyLaterEvents() throws Exception {
    String tag = LabTest.TAGS.all().stream().max((a, b) -> Integer.compare(count(a), count(b))).orElseThrow();
    List<String> all = stored(tag, 0);
    assertTrue(all.size() >= 4, "the fullest tag holds at least 4 of " + CREATED + " events: " + all.size());
    long middle = Long.parseLong(all.get(all.size() / 2).split(" ")[0]);
    assertEquals(stored(tag, middle), read(tag, middle));
    assertEquals(all.subList(all.size() / 2 + 1, all.size()), read(tag, middle));
  }

  @Test
  void eventsArriveDeserialised() throws Exception {
    String tag = LabTest.TAGS.all().iterator().next();
    List<EventEnvelope> envelopes = journal.currentEventsByTag(tag, Offset.noOffset()).runWith(Sink.seq(), node.node.system())
        .toCompletableFuture().get(30, TimeUnit.SECONDS);
    for (EventEnvelope e : envelopes) {
      LabTest.LabTestCreated created = assertInstanceOf(LabTest.LabTestCreated.class, e.event());
      assertEquals("LabTest|" + created.labTestId(), e.persistenceId());
      assertEquals(1, e.sequenceNr());
    }
  }

  /** "ordering persistence_id sequence_number" of each event the read journal returns after {@code offset}. */
  private static List<String> read(String tag, long offset) throws Exception {
    return journal.currentEventsByTag(tag, offset == 0 ? Offset.noOffset() : Offset.sequence(offset))
        .map(e -> ((Sequence) e.offset()).value() + " " + e.persistenceId() + " " + e.sequenceNr())
        .runWith(Sink.seq(), node.node.system()).toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** The same, straight from the tables. */
  private static List<String> stored(String tag, long offset) throws Exception {
    try (Connection c = Database.get(node.node.system()).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT j.\"ordering\", j.\"persistence_id\", j.\"sequence_number\" FROM \"event_tag\" t"
            + " JOIN \"event_journal\" j ON j.\"ordering\" = t.\"event_id\" WHERE t.\"tag\" = ? AND t.\"event_id\" > ? ORDER BY j.\"ordering\"")) {
      s.setString(1, tag);
      s.setLong(2, offset);
      List<String> rows = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) rows.add(rs.getLong(1) + " " + rs.getString(2) + " " + rs.getLong(3));
      }
      return rows;
    }
  }

  private static int count(String tag) {
    try {
      return stored(tag, 0).size();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
