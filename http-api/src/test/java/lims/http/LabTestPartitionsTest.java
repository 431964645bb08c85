package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import lims.kernel.testing.TestDatabase;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTestPartition;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The firing partitions' group commit and recovery (decision 0064), on a real journal: many
 * creations in flight are written in far fewer journal rows than tests, and a node started
 * again on the same database has every test back, from the partitions' snapshots.
 */
@Tag("database")
class LabTestPartitionsTest {

  static final int TESTS = 10_000;

  @Test
  void tenThousandCreationsInFlightTakeFarFewerJournalRowsAndComeBackAfterARestart() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("lab_test_partitions");
    // A snapshot after every write (a partition may take only two or three writes for its share
    // of the 10,000), so that the restart below recovers from them.
    Map<String, Object> settings = Map.of("lims.scheduling.partition-snapshot-every", 1);
    Instant due = Instant.now().plus(Duration.ofHours(1));
    LabTest.Definition definition = new LabTest.Definition("grouped", "check", null, List.of(), Schedule.once(due),
        new LabTestAction("http", Map.of("url", "http://127.0.0.1:9/none")), 0, LabTest.FIRE_ONCE);
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < TESTS; i++) ids.add(LabTests.newId());
    try (TestNode node = TestNode.start(database, settings)) {
      List<CompletableFuture<LabTest.Reply>> replies = new ArrayList<>();
      for (String id : ids) replies.add(node.node.labTests().ask(id, r -> new LabTest.Create(definition, "test", null, r)).toCompletableFuture());
      CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(120, TimeUnit.SECONDS);
      for (CompletableFuture<LabTest.Reply> reply : replies) assertInstanceOf(LabTest.Current.class, reply.join());
      long rows = node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'LabTestPartition|%'");
      System.out.printf("%d creations in flight: %d journal rows (%.3f a test)%n", TESTS, rows, rows / (double) TESTS);
      assertTrue(rows * 10 <= TESTS, "at most one journal row per ten tests created: " + rows);
      node.eventually(Duration.ofSeconds(60), () -> assertEquals(TESTS, node.count("SELECT COUNT(*) FROM lab_test WHERE status = 'scheduled'")));
      node.eventually(Duration.ofSeconds(30), () -> assertTrue(
          node.count("SELECT COUNT(*) FROM \"snapshot\" WHERE \"persistence_id\" LIKE 'LabTestPartition|%'") > 0, "the partitions took snapshots"));
    }
    try (TestNode again = TestNode.start(database, settings)) {
      long started = System.nanoTime();
      List<CompletableFuture<LabTest.Reply>> replies = new ArrayList<>();
      for (String id : ids) replies.add(again.node.labTests().ask(id, LabTest.Get::new).toCompletableFuture());
      CompletableFuture.allOf(replies.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      Duration recovered = Duration.ofNanos(System.nanoTime() - started);
      System.out.printf("every partition recovered and answered %d tests in %d ms%n", TESTS, recovered.toMillis());
      for (CompletableFuture<LabTest.Reply> reply : replies) {
        LabTest.State test = assertInstanceOf(LabTest.Current.class, reply.join()).labTest();
        assertEquals(LabTest.Status.SCHEDULED, test.status());
        assertEquals(due, test.nextFireAt());
      }
      assertTrue(recovered.compareTo(Duration.ofSeconds(30)) < 0, "recovered within 30 s: " + recovered);
    }
  }

  /**
   * Tests created many at a time (LabTests#createAll, one message a partition): each answered
   * with its own new id in the order given, each stored and readable, in a handful of journal
   * rows; and each fires once.
   */
  @Test
  void testsCreatedManyAtATimeAreEachStoredAndEachFires() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HttpServer receiver = countingReceiver("/each", calls);
    try (TestNode node = TestNode.start(TestDatabase.fresh("lab_test_create_all"))) {
      Instant due = Instant.now().plusSeconds(5);
      List<LabTestPartition.NewTest> tests = new ArrayList<>();
      for (int i = 0; i < 1000; i++) {
        tests.add(new LabTestPartition.NewTest(LabTests.newId(), new LabTest.Definition("batch " + i, "check", null, List.of(), Schedule.once(due),
            new LabTestAction("http", Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/each")), 0, LabTest.FIRE_ONCE),
            "importer"));
      }
      List<LabTest.Reply> replies = node.node.labTests().createAll(tests).toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(1000, replies.size());
      java.util.Set<String> ids = new java.util.HashSet<>();
      for (int i = 0; i < replies.size(); i++) {
        LabTest.State test = assertInstanceOf(LabTest.Current.class, replies.get(i)).labTest();
        assertEquals("batch " + i, test.definition().title(), "answers in the order given");
        assertEquals(LabTest.Status.SCHEDULED, test.status());
        ids.add(test.id());
      }
      assertEquals(1000, ids.size(), "each a new id");
      // The same call again (a caller whose first answer was lost) makes nothing twice.
      for (LabTest.Reply again : node.node.labTests().createAll(tests).toCompletableFuture().get(30, TimeUnit.SECONDS)) {
        assertEquals(lims.kernel.Rejection.Kind.CONFLICT, assertInstanceOf(LabTest.Rejected.class, again).rejection().kind());
      }
      assertRoundTrips(node, new LabTestPartition.CreateAll(tests.subList(0, 3), node.node.system().deadLetters()));
      assertRoundTrips(node, new LabTestPartition.Created(replies.subList(0, 3)));
      long rows = node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'LabTestPartition|%'");
      assertTrue(rows <= 128, "about one journal row a partition: " + rows);
      String one = ids.iterator().next();
      assertEquals("importer", assertInstanceOf(LabTest.Current.class, node.node.labTests().ask(one, LabTest.Get::new)
          .toCompletableFuture().get(10, TimeUnit.SECONDS)).labTest().createdBy());
      node.eventually(Duration.ofSeconds(60), () -> assertEquals(1000, calls.get(), "each test fired"));
      node.eventually(Duration.ofSeconds(30), () -> assertEquals(1000, node.count("SELECT COUNT(*) FROM lab_test_execution WHERE status = 'succeeded'")));
      assertEquals(1000, calls.get(), "and none twice");
    } finally {
      receiver.stop(0);
    }
  }

  /**
   * A completed test leaves its partition's memory at the next snapshot (every write here),
   * and still reads, runs by hand and is listed as before: taken back from the read table.
   */
  @Test
  void aCompletedTestItsPartitionForgotReadsAndRunsAgainAsBefore() throws Exception {
    AtomicInteger calls = new AtomicInteger();
    HttpServer receiver = countingReceiver("/done", calls);
    try (TestNode node = TestNode.start(TestDatabase.fresh("lab_test_forgotten"), Map.of("lims.scheduling.partition-snapshot-every", 1))) {
      String admin = node.adminToken();
      String url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/done";
      String id = LabTestApiTest.create(node, admin, "{\"title\":\"once\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(2)
          + "\"},\"action\":{\"kind\":\"http\",\"url\":\"" + url + "\"}}").get("id").asText();
      node.eventually(Duration.ofSeconds(30), () -> assertEquals(1, node.count("SELECT COUNT(*) FROM lab_test WHERE id = ? AND status = 'completed'", id)));
      assertEquals(1, calls.get());

      ApiClient.Reply read = node.api.get("/api/v1/lab-tests/" + id, admin);
      assertEquals(200, read.status(), read.body());
      assertEquals("completed", read.json().path("status").asText());
      assertEquals(url, read.json().path("action").path("url").asText());
      ApiClient.Reply run = node.api.post("/api/v1/lab-tests/" + id + "/trigger", admin, "{}");
      assertEquals(200, run.status(), run.body());
      node.eventually(Duration.ofSeconds(30), () -> assertEquals(2, calls.get()));
      node.eventually(Duration.ofSeconds(30), () -> assertEquals(2, node.count("SELECT COUNT(*) FROM lab_test_execution WHERE lab_test_id = ?", id)));
      assertEquals("completed", node.api.get("/api/v1/lab-tests/" + id, admin).json().path("status").asText());

      // A create under an Idempotency-Key repeated after its test completed and was forgotten: answered with that test, not created again.
      String keyed = LabTests.newId();
      LabTest.Definition soon = new LabTest.Definition("keyed", "check", null, List.of(), Schedule.once(Instant.now().plusSeconds(1)),
          new LabTestAction("http", Map.of("url", url)), 0, LabTest.FIRE_ONCE);
      LabTests labTests = node.node.labTests();
      assertInstanceOf(LabTest.Current.class, labTests.create(keyed, soon, "test", "token-1").toCompletableFuture().get(10, TimeUnit.SECONDS));
      node.eventually(Duration.ofSeconds(30), () -> assertEquals(1, node.count("SELECT COUNT(*) FROM lab_test WHERE id = ? AND status = 'completed'", keyed)));
      LabTest.Reply repeat = labTests.create(keyed, soon, "test", "token-1").toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(LabTest.Status.COMPLETED, assertInstanceOf(LabTest.Current.class, repeat).labTest().status());
      LabTest.Reply other = labTests.create(keyed, soon, "test", "token-2").toCompletableFuture().get(10, TimeUnit.SECONDS);
      assertEquals(lims.kernel.Rejection.Kind.CONFLICT, assertInstanceOf(LabTest.Rejected.class, other).rejection().kind());
      assertEquals(3, calls.get(), "the keyed test ran once");
      assertEquals(1, node.count("SELECT COUNT(*) FROM lab_test_execution WHERE lab_test_id = ?", keyed));
    } finally {
      receiver.stop(0);
    }
  }

  /**
   * A burst of creations, written by the partitions hundreds to a journal row, reaches a client
   * of the event stream whole: one change per test, and the client is not ended as slow.
   */
  @Test
  void aBurstOfCreationsReachesAnEventStreamClientOneChangePerTest() throws Exception {
    try (TestNode node = TestNode.start(TestDatabase.fresh("lab_test_burst_stream"))) {
      EventStreamClient client = EventStreamClient.connect(node.node.baseUrl(), node.adminToken(), "", Map.of());
      try {
        assertEquals("open", client.nextEvent(Duration.ofSeconds(10)).name());
        LabTest.Definition definition = new LabTest.Definition("streamed", "check", null, List.of(), Schedule.once(Instant.now().plusSeconds(3600)),
            new LabTestAction("http", Map.of("url", "http://127.0.0.1:9/none")), 0, LabTest.FIRE_ONCE);
        int burst = 3000;
        java.util.Set<String> ids = new java.util.HashSet<>();
        List<CompletableFuture<LabTest.Reply>> created = new ArrayList<>();
        for (int i = 0; i < burst; i++) {
          String id = LabTests.newId();
          ids.add(id);
          created.add(node.node.labTests().ask(id, r -> new LabTest.Create(definition, "test", null, r)).toCompletableFuture());
        }
        CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
        java.util.Set<String> seen = new java.util.HashSet<>();
        client.eventsUntil(e -> {
          if (EventStreamClient.isEnd(e)) throw new AssertionError("the stream ended after " + seen.size() + " of " + burst + " creations");
          if (e.isChange() && "lab_test.created".equals(e.type()) && ids.contains(e.entityId())) seen.add(e.entityId());
          return seen.size() == burst;
        }, Duration.ofSeconds(60));
        assertEquals(ids, seen);
      } finally {
        client.close();
      }
    }
  }

  /** The message comes back equal through the node's serialization, as it crosses between nodes. */
  private static void assertRoundTrips(TestNode node, Object message) {
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(node.node.system().classicSystem());
    byte[] bytes = serialization.serialize(message).get();
    var serializer = serialization.findSerializerFor(message);
    assertEquals(message, serialization.deserialize(bytes, serializer.identifier(),
        org.apache.pekko.serialization.Serializers.manifestFor(serializer, message)).get());
  }

  /** A lab's system that counts the calls at {@code path} and answers 200. */
  private static HttpServer countingReceiver(String path, AtomicInteger calls) throws java.io.IOException {
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(path, exchange -> {
      calls.incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    return receiver;
  }
}
