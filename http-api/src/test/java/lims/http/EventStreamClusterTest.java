package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two nodes of one cluster on one PostgreSQL database: each serves its own event-stream
 * clients from the shared journal, so a change made through either node reaches the clients
 * of both, with the same id; a client that moves to the other node resumes there.
 */
@Tag("postgresql")
class EventStreamClusterTest {

  private final List<TestNode> nodes = new ArrayList<>();
  private final List<EventStreamClient> clients = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    clients.forEach(EventStreamClient::close);
    for (TestNode node : nodes) node.close();
  }

  @Test
  void aChangeThroughOneNodeReachesTheClientsOfBothAndAClientResumesOnTheOther() {
    Map<String, Object> database = TestDatabase.postgresql("events_cluster");
    TestNode first = TestNode.start(database);
    nodes.add(first);
    String seed = Cluster.get(first.node.system()).selfMember().address().toString();
    TestNode second = TestNode.start(database, Map.of("lims.cluster.seed-nodes", seed));
    nodes.add(second);
    ThreeNodeClusterTest.awaitUpMembers(nodes, 2);
    String admin = first.adminToken();

    EventStreamClient onFirst = connect(first, admin, Map.of());
    EventStreamClient onSecond = connect(second, admin, Map.of());
    onFirst.nextEvent(Duration.ofSeconds(20));
    onSecond.nextEvent(Duration.ofSeconds(20));

    register(second, admin, "cluster-reader-1");
    long seenFirst = awaitRegistered(onFirst, "cluster-reader-1");
    long seenSecond = awaitRegistered(onSecond, "cluster-reader-1");
    assertEquals(seenFirst, seenSecond, "one change, one id on every node");

    // Readings stored by the second node reach the first node's client: the live topic spans the cluster.
    EventStreamClient.Event live = awaitTelemetry(second, onFirst, "cluster-reader-1");
    assertEquals("cluster-reader-1", live.data().path("device_id").asText());
    assertEquals(null, live.id());

    // The client of the first node loses it, misses a change, and reconnects to the second.
    onFirst.close();
    register(first, admin, "cluster-reader-2");
    EventStreamClient moved = connect(second, admin, Map.of("Last-Event-ID", Long.toString(seenFirst)));
    moved.nextEvent(Duration.ofSeconds(20));
    List<EventStreamClient.Event> changes = moved.eventsUntil(e -> e.isChange() && "cluster-reader-2".equals(e.entityId()),
        Duration.ofSeconds(20)).stream().filter(EventStreamClient.Event::isChange).toList();
    assertEquals(List.of("cluster-reader-2"), changes.stream().map(EventStreamClient.Event::entityId).toList());
  }

  private EventStreamClient connect(TestNode node, String token, Map<String, String> headers) {
    EventStreamClient client = EventStreamClient.connect(node.node.baseUrl(), token, "", headers);
    clients.add(client);
    assertEquals(200, client.status, client.refusal);
    return client;
  }

  private static void register(TestNode node, String token, String id) {
    ApiClient.Reply reply = node.api.post("/api/v1/devices", token, ApiClient.json(Map.of("id", id, "name", "Reader", "type", "plate_reader")));
    assertEquals(201, reply.status(), reply.body());
  }

  /**
   * Stores a reading through {@code storing}'s listeners until {@code client} gets it: the other
   * node's end of the topic learns of this one through the cluster's receptionist, a moment
   * after both are up.
   */
  private static EventStreamClient.Event awaitTelemetry(TestNode storing, EventStreamClient client, String device) {
    long until = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (true) {
      java.time.Instant now = java.time.Instant.now();
      List<lims.device.telemetry.Reading> readings = List.of(new lims.device.telemetry.Reading("absorbance", now, 0.42, "OD", now,
          lims.device.telemetry.Reading.Quality.GOOD));
      storing.node.readingsListeners().forEach(listener -> listener.stored(device, readings));
      try {
        List<EventStreamClient.Event> seen = client.eventsUntil(e -> "telemetry".equals(e.name()), Duration.ofSeconds(1));
        return seen.get(seen.size() - 1);
      } catch (AssertionError notYet) {
        if (System.nanoTime() > until) throw notYet;
      }
    }
  }

  private static long awaitRegistered(EventStreamClient client, String id) {
    List<EventStreamClient.Event> seen = client.eventsUntil(e -> e.isChange() && "device.registered".equals(e.type()) && id.equals(e.entityId()),
        Duration.ofSeconds(20));
    return seen.get(seen.size() - 1).ordering();
  }
}
