package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import lims.http.EventStreamClient.Event;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GET /api/v1/events against a real node over real HTTP: changes made through the API arrive,
 * each role sees what it may read, a reconnect with Last-Event-ID gets exactly the changes it
 * missed, a too old id gets one reload, a quiet stream gets heartbeats, a client that does not
 * read is dropped with a closing event, and the node keeps serving others.
 */
@Tag("database")
class EventStreamTest {

  static final Duration WAIT = Duration.ofSeconds(20);
  /**
   * A client queue and socket buffers small, so a test can fill them with a few hundred changes;
   * a heartbeat often, so a test sees one soon.
   */
  static final Map<String, Object> SETTINGS = Map.of("lims.http.events.heartbeat", "300ms", "lims.http.events.client-buffer", 100,
      "pekko.http.server.socket-options.so-send-buffer-size", "8k");

  static TestNode node;
  static ApiClient api;
  static String admin;
  static String viewer;
  static final AtomicInteger devices = new AtomicInteger();
  static final List<EventStreamClient> opened = Collections.synchronizedList(new ArrayList<>());

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("events"), SETTINGS);
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "vera", "viewer-password-1", "viewer");
    viewer = api.login("vera", "viewer-password-1");
  }

  @AfterAll
  static void stop() throws Exception {
    opened.forEach(EventStreamClient::close);
    if (node != null) node.close();
  }

  static EventStreamClient connect(String token, String query, Map<String, String> headers) {
    EventStreamClient client = EventStreamClient.connect(node.node.baseUrl(), token, query, headers);
    opened.add(client);
    return client;
  }

  static EventStreamClient connect(String token) {
    return connect(token, "", Map.of());
  }

  /** Registers a new device through the API; returns its id. */
  static String registerDevice() {
    String id = "ev-device-" + devices.incrementAndGet();
    ApiClient.Reply reply = api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", id, "name", "Reader " + id, "type", "plate_reader")));
    assertEquals(201, reply.status(), reply.body());
    return id;
  }

  static Event awaitChange(EventStreamClient client, String type, String id) {
    List<Event> seen = client.eventsUntil(e -> e.isChange() && type.equals(e.type()) && id.equals(e.entityId()), WAIT);
    return seen.get(seen.size() - 1);
  }

  @Test
  void aChangeMadeThroughTheApiArrivesWithItsJournalOrderingAsId() {
    EventStreamClient client = connect(admin);
    assertEquals(200, client.status, client.refusal);
    assertTrue(client.headers.firstValue("Content-Type").orElse("").startsWith("text/event-stream"));
    Event open = client.nextEvent(WAIT);
    assertEquals("open", open.name());

    String device = registerDevice();
    Event registered = awaitChange(client, "device.registered", device);
    assertEquals("device", registered.data().path("entity").asText());
    assertEquals("Reader " + device, registered.data().path("name").asText());
    assertEquals("available", registered.data().path("status").asText());
    assertTrue(registered.ordering() > open.ordering(), registered + " after " + open);
    assertEquals(1, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"ordering\" = ? AND \"persistence_id\" = ?",
        registered.ordering(), "Device|" + device), "the id is the journal ordering of the device's event");

    ApiClient.Reply maintenance = api.send("PUT", "/api/v1/devices/" + device + "/status", admin, "{\"status\":\"maintenance\"}",
        Map.of("Content-Type", "application/json"));
    assertEquals(200, maintenance.status(), maintenance.body());
    Event changed = awaitChange(client, "device.status_changed", device);
    assertEquals("maintenance", changed.data().path("status").asText());
    assertEquals("admin", changed.data().path("by").asText());
  }

  /**
   * An event this build cannot read (written by a newer node during a rolling upgrade) is
   * skipped: the changes after it still arrive, live and on a resume across it.
   */
  @Test
  void anEventThisBuildCannotReadIsSkippedAndTheChangesAfterItArrive() {
    EventStreamClient client = connect(admin);
    Event open = client.nextEvent(WAIT);
    String before = registerDevice();
    awaitChange(client, "device.registered", before);
    // The device's own first event, under a class name no build has.
    assertEquals(1, node.update("INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"deleted\", \"writer\", "
        + "\"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\") "
        + "SELECT 'Device|ev-from-a-newer-node', 1, \"deleted\", \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", "
        + "'lims.device.EventOfANewerBuild', \"event_payload\" FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = 1",
        "Device|" + before));
    String after = registerDevice();
    awaitChange(client, "device.registered", after);
    EventStreamClient resumed = connect(admin, "", Map.of("Last-Event-ID", String.valueOf(open.ordering())));
    awaitChange(resumed, "device.registered", after);
  }

  @Test
  void aRoleGetsOnlyTheChangesOfWhatItMayRead() {
    EventStreamClient adminStream = connect(admin);
    EventStreamClient viewerStream = connect(viewer);
    adminStream.nextEvent(WAIT);
    viewerStream.nextEvent(WAIT);

    api.createUser(admin, "una", "user-password-12", "technician"); // users: admins only (GET /users/{username})
    String device = registerDevice(); // devices: every role
    Event user = awaitChange(adminStream, "user.created", "una");
    assertEquals("[\"technician\"]", user.data().path("roles").toString());
    awaitChange(adminStream, "device.registered", device);

    // The viewer's stream is in journal order too: by the later device change, the user change would have come.
    List<Event> viewerSaw = viewerStream.eventsUntil(e -> e.isChange() && device.equals(e.entityId()), WAIT);
    assertTrue(viewerSaw.stream().noneMatch(e -> "user".equals(e.data() == null ? null : e.data().path("entity").asText())),
        "a viewer got a user's change: " + viewerSaw);
  }

  @Test
  void aReconnectWithLastEventIdGetsExactlyTheChangesItMissed() {
    EventStreamClient first = connect(admin);
    first.nextEvent(WAIT);
    String before = registerDevice();
    long lastSeen = awaitChange(first, "device.registered", before).ordering();
    first.close();

    List<String> missed = List.of(registerDevice(), registerDevice(), registerDevice());

    // As EventSource reconnects: the header.
    EventStreamClient resumed = connect(admin, "", Map.of("Last-Event-ID", Long.toString(lastSeen)));
    Event open = resumed.nextEvent(WAIT);
    assertEquals("open", open.name());
    String live = registerDevice();
    List<Event> changes = resumed.eventsUntil(e -> e.isChange() && live.equals(e.entityId()), WAIT).stream()
        .filter(Event::isChange).toList();
    List<String> expected = new ArrayList<>(missed);
    expected.add(live);
    assertEquals(expected, changes.stream().map(Event::entityId).toList(), "every change after " + lastSeen + " once, in order: " + changes);
    for (int i = 1; i < changes.size(); i++) assertTrue(changes.get(i).ordering() > changes.get(i - 1).ordering(), changes.toString());
    assertTrue(changes.get(0).ordering() > lastSeen);

    // As a fetch() client without headers may: the query parameter, from the first missed change.
    EventStreamClient byQuery = connect(admin, "?last_event_id=" + changes.get(0).ordering(), Map.of());
    byQuery.nextEvent(WAIT);
    List<Event> again = byQuery.eventsUntil(e -> e.isChange() && live.equals(e.entityId()), WAIT).stream().filter(Event::isChange).toList();
    assertEquals(expected.subList(1, expected.size()), again.stream().map(Event::entityId).toList());
  }

  /** Readings of one channel as the ingest hands a stored batch to its listeners. */
  static void stored(String device, String channel, String unit, double... values) {
    java.time.Instant now = java.time.Instant.now();
    List<lims.device.telemetry.Reading> readings = new ArrayList<>();
    for (double value : values) {
      readings.add(new lims.device.telemetry.Reading(channel, now, value, unit, now, lims.device.telemetry.Reading.Quality.GOOD));
    }
    node.node.readingsListeners().forEach(listener -> listener.stored(device, readings));
  }

  static boolean isTelemetry(Event e, String device, String channel) {
    return "telemetry".equals(e.name()) && device.equals(e.data().path("device_id").asText()) && channel.equals(e.data().path("channel").asText());
  }

  @Test
  void storedReadingsArriveAsTelemetryWithoutAnIdPacedPerChannel() {
    EventStreamClient client = connect(viewer);
    client.nextEvent(WAIT);
    String device = registerDevice();
    awaitChange(client, "device.registered", device);

    long start = System.nanoTime();
    for (int i = 0; i < 30; i++) stored(device, "absorbance", "OD", i, i + 0.5);
    stored(device, "lamp-temperature", "°C", 41.5); // after the burst on the topic: once it is here, so is all the burst let through

    List<Event> seen = client.eventsUntil(e -> isTelemetry(e, device, "lamp-temperature"), WAIT);
    double seconds = (System.nanoTime() - start) / 1e9; // the burst was handed on within this time, however the node paced its work
    List<Event> absorbance = seen.stream().filter(e -> isTelemetry(e, device, "absorbance")).toList();
    assertFalse(absorbance.isEmpty(), "the first batch of a channel goes out at once: " + seen);
    // At most 2 per second per channel (the default): the first, plus what the time it took allowed.
    assertTrue(absorbance.size() <= 1 + (int) Math.ceil(seconds * 2) && absorbance.size() < 30,
        absorbance.size() + " events of 30 batches in " + seconds + " s");
    Event first = absorbance.get(0);
    assertEquals(null, first.id(), "telemetry is not resumable: no id");
    assertEquals("telemetry", first.data().path("type").asText());
    assertEquals("OD", first.data().path("unit").asText());
    assertEquals(2, first.data().path("readings").size(), "the batch's readings of the channel, in one event");
    assertEquals(0.0, first.data().path("readings").get(0).path("value").asDouble());
    assertEquals(0.5, first.data().path("readings").get(1).path("value").asDouble());
    assertEquals("good", first.data().path("readings").get(0).path("quality").asText());
    assertTrue(first.data().path("readings").get(0).path("at").asText().endsWith("Z"));
    Event lamp = seen.get(seen.size() - 1);
    assertEquals(41.5, lamp.data().path("readings").get(0).path("value").asDouble(), "another channel has its own pace");
  }

  @Test
  void telemetryNeitherMovesNorBreaksResumption() {
    EventStreamClient first = connect(admin);
    first.nextEvent(WAIT);
    String device = registerDevice();
    long lastSeen = awaitChange(first, "device.registered", device).ordering();
    stored(device, "absorbance", "OD", 1.25);
    first.eventsUntil(e -> isTelemetry(e, device, "absorbance"), WAIT);
    first.close();
    String missed = registerDevice();

    EventStreamClient resumed = connect(admin, "", Map.of("Last-Event-ID", Long.toString(lastSeen)));
    assertEquals("open", resumed.nextEvent(WAIT).name());
    List<Event> replayed = resumed.eventsUntil(e -> e.isChange() && missed.equals(e.entityId()), WAIT);
    assertTrue(replayed.stream().noneMatch(e -> "telemetry".equals(e.name())), "telemetry is live only, never replayed: " + replayed);
    // Live telemetry reaches a resumed stream too (its changes are filtered by ordering; telemetry has none).
    stored(device, "absorbance", "OD", 2.5);
    Event live = resumed.eventsUntil(e -> isTelemetry(e, device, "absorbance"), WAIT).stream()
        .filter(e -> isTelemetry(e, device, "absorbance")).findFirst().orElseThrow();
    assertEquals(2.5, live.data().path("readings").get(0).path("value").asDouble());
  }

  @Test
  void aClientThatDoesNotReadTelemetryIsDroppedAsSlowToo() throws Exception {
    try (Socket socket = streamNotRead()) {
      // Batches of 100 readings (about 5 KB an event), each on a channel of its own so that no pace holds them back.
      double droppedBefore = slowClientsDropped();
      double[] values = new double[100];
      long until = System.nanoTime() + WAIT.toNanos();
      for (int i = 0; slowClientsDropped() == droppedBefore && System.nanoTime() < until; i++) {
        for (int j = 0; j < 50; j++) stored("ev-flood", "channel-" + i + "-" + j, "V", values);
      }
      assertTrue(slowClientsDropped() > droppedBefore, "the client that does not read was never dropped");
      String received = readToEnd(socket.getInputStream());
      assertTrue(received.contains("event: closing\ndata: {\"type\":\"closing\",\"reason\":\"slow_client\"}"),
          "no closing event at the end of " + received.length() + " characters");
      assertTrue(received.indexOf("event: closing") > received.lastIndexOf("event: telemetry"), "the closing event is the last");
    }
    // The flood's tail through the topic before the next test's clients connect: a marker published after it arrives.
    java.util.concurrent.CountDownLatch drained = new java.util.concurrent.CountDownLatch(1);
    node.node.readingsListeners().stream().filter(l -> l instanceof lims.device.telemetry.LiveTelemetry).findFirst()
        .map(l -> (lims.device.telemetry.LiveTelemetry) l).orElseThrow()
        .subscribe("flood-drained", batch -> {
          if (batch.channels().get(0).channel().equals("flood-marker")) drained.countDown();
        });
    long until = System.nanoTime() + WAIT.toNanos();
    do {
      stored("ev-flood", "flood-marker", "V", 0); // again until the new subscription is in
    } while (!drained.await(200, java.util.concurrent.TimeUnit.MILLISECONDS) && System.nanoTime() < until);
  }

  @Test
  void anIdBeyondTheJournalGetsOneReloadAndTheStreamGoesOn() {
    EventStreamClient client = connect(admin, "", Map.of("Last-Event-ID", "999999999999"));
    Event reload = client.nextEvent(WAIT);
    assertEquals("reload", reload.name());
    assertEquals("unknown_id", reload.data().path("reason").asText());
    String device = registerDevice();
    Event change = awaitChange(client, "device.registered", device);
    assertTrue(change.ordering() > reload.ordering());
  }

  @Test
  void aMalformedIdIsRefusedNamingIt() {
    EventStreamClient header = connect(admin, "", Map.of("Last-Event-ID", "12abc"));
    assertEquals(400, header.status);
    assertTrue(header.refusal.contains("Last-Event-ID"), header.refusal);
    EventStreamClient query = connect(admin, "?last_event_id=-1", Map.of());
    assertEquals(400, query.status);
    assertTrue(query.refusal.contains("last_event_id"), query.refusal);
    EventStreamClient anonymous = connect(null);
    assertEquals(401, anonymous.status);
  }

  @Test
  void aQuietStreamGetsHeartbeats() {
    EventStreamClient client = connect(viewer);
    client.nextEvent(WAIT);
    Event next = client.next(WAIT); // nothing a viewer sees needs to happen: the heartbeat comes anyway
    while (next.comment() == null) next = client.next(WAIT);
    assertEquals("heartbeat", next.comment());
  }

  /**
   * A client that stops reading: once the socket's buffers are full its queue fills, and the
   * node ends its stream with a closing event (slow_client) after what the queue held, and
   * keeps serving the others. The bytes before it are the changes it had not read.
   */
  @Test
  void aClientThatDoesNotReadIsDroppedWithAClosingEvent() throws Exception {
    EventStreamClient reader = connect(admin);
    reader.nextEvent(WAIT);
    try (Socket socket = streamNotRead()) {
      // Changes of about 1 KB each, until the node reports the drop (at most about 4 MB of them).
      double droppedBefore = slowClientsDropped();
      String capabilities = "c".repeat(48);
      for (int i = 0; i < 300 && slowClientsDropped() == droppedBefore; i++) {
        for (int j = 0; j < 10; j++) {
          String id = "ev-big-" + devices.incrementAndGet();
          ApiClient.Reply reply = api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", id, "name", "n".repeat(200),
              "type", "plate_reader", "capabilities", Collections.nCopies(16, capabilities))));
          assertEquals(201, reply.status(), reply.body());
        }
      }
      assertTrue(slowClientsDropped() > droppedBefore, "the client that does not read was never dropped");
      String received = readToEnd(socket.getInputStream());
      assertTrue(received.contains("event: closing\ndata: {\"type\":\"closing\",\"reason\":\"slow_client\"}"),
          "no closing event at the end of " + received.length() + " characters");
      assertTrue(received.indexOf("event: closing") > received.lastIndexOf("event: change"), "the closing event is the last");
    }
    // The reader kept up and is still served.
    String device = registerDevice();
    awaitChange(reader, "device.registered", device);
  }

  private static String readToEnd(InputStream in) throws IOException {
    ByteArrayOutputStream all = new ByteArrayOutputStream();
    in.transferTo(all);
    return all.toString(StandardCharsets.UTF_8);
  }

  /**
   * On a node whose resume window is nothing at all, any missed change is too old: one reload,
   * no replay. Its access tokens last 8 s, so the stream then ends with the token.
   */
  @Test
  void anIdOlderThanTheResumeWindowGetsOneReloadAndAStreamEndsWithItsToken() throws Exception {
    try (TestNode strict = TestNode.start(TestDatabase.fresh("events-window"), Map.of("lims.http.events.resume-window", "0s",
        "lims.http.events.heartbeat", "300ms", "lims.security.jwt.access-token-ttl", "8s", "lims.security.jwt.clock-skew", "0s"))) {
      EventStreamClient first = EventStreamClient.connect(strict.node.baseUrl(), strict.adminToken());
      EventStreamClient witness = EventStreamClient.connect(strict.node.baseUrl(), strict.adminToken());
      opened.add(first);
      opened.add(witness);
      long lastSeen = first.nextEvent(WAIT).ordering();
      first.close();
      ApiClient.Reply created = strict.api.post("/api/v1/devices", strict.adminToken(),
          ApiClient.json(Map.of("id", "window-device", "name", "Reader", "type", "plate_reader")));
      assertEquals(201, created.status(), created.body());
      // Once the witness has it, the node has handed it on: it is behind whoever connects now.
      long missed = awaitChange(witness, "device.registered", "window-device").ordering();
      EventStreamClient resumed = EventStreamClient.connect(strict.node.baseUrl(), strict.adminToken(), "",
          Map.of("Last-Event-ID", Long.toString(lastSeen)));
      opened.add(resumed);
      Event reload = resumed.nextEvent(WAIT);
      assertEquals("reload", reload.name(), reload.toString());
      assertEquals("too_old", reload.data().path("reason").asText());
      assertTrue(reload.ordering() >= missed, "the stream goes on after the change the client must reload: " + reload);
      assertEquals("heartbeat", resumed.next(WAIT).comment(), "after a reload, nothing is replayed");

      Event closing = resumed.nextEvent(WAIT);
      assertEquals("closing", closing.name(), closing.toString());
      assertEquals("token_expired", closing.data().path("reason").asText());
      assertTrue(EventStreamClient.isEnd(resumed.nextEvent(WAIT)), "the stream ends after its closing event");
    }
  }

  /** The node's count of dropped slow clients, from /metrics. */
  /** A stream opened over a bare socket with a small receive buffer, which the test does not read until it says so. */
  static Socket streamNotRead() throws IOException {
    URI uri = URI.create(node.node.baseUrl());
    Socket socket = new Socket();
    socket.setReceiveBufferSize(4096);
    socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 10_000);
    socket.setSoTimeout(60_000);
    OutputStream out = socket.getOutputStream();
    out.write(("GET " + EventRoutes.PATH + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin
        + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
    out.flush();
    return socket;
  }

  static double slowClientsDropped() {
    for (String line : api.get("/metrics", null).body().split("\n")) {
      if (line.startsWith("lims_events_slow_clients_total ")) return Double.parseDouble(line.substring(line.indexOf(' ') + 1));
    }
    throw new AssertionError("no lims_events_slow_clients_total in /metrics");
  }
}
