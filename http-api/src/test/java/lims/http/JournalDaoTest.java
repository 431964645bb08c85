package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
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
import lims.scheduling.LabTestPartition;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.persistence.AtomicWrite;
import org.apache.pekko.persistence.JournalProtocol;
import org.apache.pekko.persistence.Persistence;
import org.apache.pekko.persistence.PersistentEnvelope;
import org.apache.pekko.persistence.PersistentRepr;
import org.apache.pekko.persistence.PersistentRepr$;
import org.apache.pekko.persistence.journal.Tagged;
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
import scala.jdk.javaapi.CollectionConverters;

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
      created.add(labTests.ask(LabTests.newId(), r -> new LabTest.Create(definition, "test", null, r)).toCompletableFuture());
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
            + " LEFT JOIN \"event_tag\" t ON t.\"event_id\" = j.\"ordering\" WHERE j.\"persistence_id\" LIKE 'LabTestPartition|%' ORDER BY j.\"ordering\", t.\"tag\"");
        ResultSet rs = s.executeQuery()) {
      while (rs.next()) {
        String persistenceId = rs.getString(1);
        String partition = persistenceId.substring("LabTestPartition|".length());
        expected.add(persistenceId + " " + rs.getLong(2) + " " + LabTest.TAGS.tagFor(partition));
        stored.add(persistenceId + " " + rs.getLong(2) + " " + rs.getString(3));
      }
    }
    // The tests' creations are written by their partitions, several to a row (decision 0064).
    assertTrue(!stored.isEmpty() && stored.size() <= CREATED, "one tag per row, at most a row per creation: " + stored.size());
    assertEquals(expected, stored);
  }

  /** The journal runs on the default dispatcher, not the pinned thread the library's misplaced setting leaves it on (decision 0023). */
  @Test
  void theJournalIsNotOnAPinnedThread() {
    var config = node.node.system().settings().config();
    assertEquals("pekko.actor.default-dispatcher", config.getString("jdbc-journal.plugin-dispatcher"));
    assertEquals("pekko.actor.default-dispatcher", config.getString("jdbc-snapshot-store.plugin-dispatcher"));
  }

  /**
   * One write of several entities' events, as the journal's queue hands them to the DAO: two
   * entities interleaved, an event of two events written atomically, one with two tags, one
   * with none, one with metadata. Each row must hold its own event and tags.
   */
  @Test
  void oneBatchOfSeveralEntitiesEventsKeepsEachEventsTagsAndMetadata() throws Exception {
    var probe = TestProbe.create(node.node.system());
    var classic = Adapter.toClassic(node.node.system());
    var journalActor = Persistence.get(classic).journalFor("", ConfigFactory.empty());
    String a = "BatchTest|a-" + System.nanoTime();
    String b = "BatchTest|b-" + System.nanoTime();
    List<PersistentEnvelope> writes = List.of(
        write(repr(new Tagged("a1", java.util.Set.of("t-one")), 1, a)),
        write(repr("b1", 1, b)),
        write(repr(new Tagged("a2", java.util.Set.of("t-one", "t-two")), 2, a), repr("a3", 3, a).withMetadata("meta of a3")),
        write(repr(new Tagged("b2", java.util.Set.of("t-two")), 2, b)));
    journalActor.tell(new JournalProtocol.WriteMessages(CollectionConverters.asScala(writes).toList(), Adapter.toClassic(probe.ref()), 1),
        org.apache.pekko.actor.ActorRef.noSender());
    probe.expectMessage(Duration.ofSeconds(30), JournalProtocol.WriteMessagesSuccessful$.MODULE$);
    for (int i = 0; i < 5; i++) probe.expectMessageClass(JournalProtocol.WriteMessageSuccess.class, Duration.ofSeconds(30));

    List<String> rows = new ArrayList<>();
    try (Connection c = Database.get(node.node.system()).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("SELECT j.\"persistence_id\", j.\"sequence_number\", j.\"event_payload\","
            + " j.\"meta_payload\", t.\"tag\" FROM \"event_journal\" j LEFT JOIN \"event_tag\" t ON t.\"event_id\" = j.\"ordering\""
            + " WHERE j.\"persistence_id\" IN (?, ?) ORDER BY j.\"persistence_id\", j.\"sequence_number\", t.\"tag\"")) {
      s.setString(1, a);
      s.setString(2, b);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          byte[] meta = rs.getBytes(4);
          rows.add(rs.getString(1).substring(10, 11) + rs.getLong(2) + " " + new String(rs.getBytes(3), StandardCharsets.UTF_8) + " "
              + (meta == null ? "-" : new String(meta, StandardCharsets.UTF_8)) + " " + rs.getString(5));
        }
      }
    }
    assertEquals(List.of("a1 a1 - t-one", "a2 a2 - t-one", "a2 a2 - t-two", "a3 a3 meta of a3 null", "b1 b1 - null", "b2 b2 - t-two"), rows);
  }

  private static PersistentRepr repr(Object payload, long sequenceNr, String persistenceId) {
    return PersistentRepr$.MODULE$.apply(payload, sequenceNr, persistenceId, "", false, null, "journal-dao-test");
  }

  private static AtomicWrite write(PersistentRepr... events) {
    return new AtomicWrite(CollectionConverters.asScala(List.of(events)).toList());
  }

  @Test
  void everyEventOfATagOnceInJournalOrderAcrossPages() throws Exception {
    int seen = 0;
    for (String tag : LabTest.TAGS.all()) {
      List<String> stored = stored(tag, 0);
      assertEquals(stored, read(tag, 0), "events of " + tag);
      seen += stored.size();
    }
    // Each row is a partition's write of one or more creations (decision 0064).
    assertTrue(seen >= LabTest.TAGS.count() && seen <= CREATED, "each partition's writes under exactly one tag: " + seen);
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
    assertTrue(!envelopes.isEmpty());
    for (EventEnvelope e : envelopes) {
      LabTestPartition.Batch batch = assertInstanceOf(LabTestPartition.Batch.class, e.event());
      for (LabTest.Event event : batch.events()) {
        LabTest.LabTestCreated created = assertInstanceOf(LabTest.LabTestCreated.class, event);
        assertEquals("LabTestPartition|" + node.node.labTests().partitionOf(created.labTestId()), e.persistenceId(), "written by the test's partition");
      }
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
