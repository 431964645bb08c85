package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Instrument adapters stream telemetry (docs/telemetry.md): every acknowledged reading is
 * stored exactly once across dropped connections and a node restart; bad readings are refused
 * one by one while the socket stays open; only the device's own adapter (or an admin) may
 * stream; history answers raw or bucketed within its bound; retention removes old readings.
 */
@Tag("database")
class TelemetryIngestTest {

  private static final String PASSWORD = "adapter-password-1";
  private static final int MAX_ROWS = 2_000;
  private static final Map<String, Object> SETTINGS = Map.of("lims.telemetry.query.max-rows", MAX_ROWS);

  static Map<String, Object> database;
  static TestNode node;
  static String admin;

  @BeforeAll
  static void start() {
    database = TestDatabase.fresh("telemetry");
    node = TestNode.start(database, SETTINGS);
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    node.close();
  }

  @Test
  void everyAcknowledgedReadingIsStoredOnceThroughThreeDroppedConnectionsAndARestart() throws Exception {
    register("incubator-1", "incubator");
    String token = instrument("adapter.incubator1", "incubator-1");
    TestAdapter adapter = new TestAdapter(node.node.baseUrl(), "incubator-1", token);
    adapter.connect(node.node.baseUrl());
    int batches = 200;
    int perBatch = 50;
    long firstSeq = System.currentTimeMillis() * 1000;
    Instant start = Instant.now().minus(2, ChronoUnit.MINUTES).truncatedTo(ChronoUnit.MILLIS);
    for (int b = 0; b < batches; b++) {
      adapter.send(firstSeq + b, batch(firstSeq + b, start, b * perBatch, perBatch));
      if (b == 40 || b == 90 || b == 140) {
        adapter.drop(); // acks of the batches in flight are lost: they are sent again
        adapter.connect(node.node.baseUrl());
      } else if (b == 170) {
        node.close();
        // What was acknowledged before the node stopped is there after it starts again.
        Set<Long> ackedBefore = adapter.acked();
        node = TestNode.start(database, SETTINGS);
        assertFalse(ackedBefore.isEmpty());
        for (long seq : ackedBefore) {
          assertEquals(1, node.count("SELECT COUNT(*) FROM telemetry_batch WHERE device_id = 'incubator-1' AND seq = ?", seq));
          int index = (int) (seq - firstSeq);
          assertEquals(perBatch, readingsBetween("incubator-1", start.plusMillis((long) index * perBatch * 10),
              start.plusMillis((long) (index + 1) * perBatch * 10)), "acknowledged batch " + index + " is stored whole");
        }
        adapter.connect(node.node.baseUrl());
      } else {
        adapter.awaitUnackedAtMost(20); // a window of batches in flight, as a real adapter keeps
      }
    }
    adapter.awaitUnackedAtMost(0);
    adapter.close();

    assertEquals(batches, adapter.acked().size());
    assertEquals(List.of(), adapter.errors());
    assertEquals(batches * perBatch, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'incubator-1'"));
    assertEquals(batches * perBatch, node.count("SELECT COUNT(*) FROM (SELECT DISTINCT channel, at FROM telemetry_reading WHERE device_id = 'incubator-1') x"));
    assertEquals(batches, node.count("SELECT COUNT(*) FROM telemetry_batch WHERE device_id = 'incubator-1'"));
    // The rollups count each reading once too.
    assertEquals(batches * perBatch, node.count("SELECT SUM(reading_count) FROM telemetry_rollup WHERE device_id = 'incubator-1'"));
  }

  @Test
  void badReadingsAreRefusedOneByOneAndTheSocketStaysOpen() throws Exception {
    register("incubator-2", "incubator");
    TestAdapter adapter = new TestAdapter(node.node.baseUrl(), "incubator-2", instrument("adapter.incubator2", "incubator-2"));
    adapter.connect(node.node.baseUrl());
    Instant now = Instant.now();
    String readings = String.join(",",
        reading("temperature", now, "37.0", "°C"),
        reading("humidity", now, "50", "%"),
        reading("temperature", now, "37.1", "K"),
        reading("co2", now, "\"five\"", "%"),
        reading("co2", now.plus(2, ChronoUnit.DAYS), "5.0", "%"),
        reading("co2", now.plus(1, ChronoUnit.HOURS), "5.1", "%"),
        "{\"channel\": \"co2\", \"at\": \"yesterday\", \"value\": 5.0, \"unit\": \"%\"}",
        reading("co2", now, "1e400", "%"));
    adapter.send(1, "{\"seq\": 1, \"readings\": [" + readings + "]}");
    adapter.awaitAnswers(7);
    assertEquals(Set.of(1L), adapter.acked());
    List<String> refused = new ArrayList<>();
    for (JsonNode e : adapter.errors()) refused.add(e.get("seq").asLong() + "/" + e.get("index").asInt() + "/" + e.get("field").asText());
    assertEquals(List.of("1/1/channel", "1/2/unit", "1/3/value", "1/4/at", "1/6/at", "1/7/value"), refused);
    assertEquals(2, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'incubator-2'"));
    // A reading from a clock ahead by an hour is kept, flagged.
    assertEquals(1, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'incubator-2' AND quality = 1"));

    // Whole messages refused: not JSON, no seq, too many readings. The socket still takes the next batch.
    adapter.sendRaw("not json");
    adapter.sendRaw("{\"readings\": []}");
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 1001; i++) many.add(reading("co2", now.minusMillis(i), "5.0", "%"));
    adapter.sendRaw("{\"seq\": 2, \"readings\": [" + String.join(",", many) + "]}");
    adapter.send(3, "{\"seq\": 3, \"readings\": [" + reading("co2", now.minusSeconds(1), "5.2", "%") + "]}");
    adapter.awaitAnswers(11);
    List<JsonNode> errors = adapter.errors();
    assertEquals(-1, errors.get(6).get("index").asInt());
    assertFalse(errors.get(6).has("seq"));
    assertEquals("seq", errors.get(7).get("field").asText());
    assertEquals(2, errors.get(8).get("seq").asLong());
    assertEquals("readings", errors.get(8).get("field").asText());
    assertEquals(Set.of(1L, 3L), adapter.acked());

    // A repeated seq is acknowledged again and stores nothing.
    adapter.send(3, "{\"seq\": 3, \"readings\": [" + reading("co2", now.minusSeconds(1), "5.2", "%") + "]}");
    adapter.awaitAnswers(12);
    assertEquals(3, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'incubator-2'"));
    adapter.close();
  }

  @Test
  void onlyTheDevicesOwnAdapterOrAnAdminMayStreamAndTheyAreRefusedBeforeTheUpgrade() {
    register("incubator-3", "incubator");
    register("incubator-4", "incubator");
    String url = node.node.baseUrl();
    String other = instrument("adapter.incubator4", "incubator-4");
    node.api.createUser(admin, "tech.telemetry", PASSWORD, "technician");
    node.api.createUser(admin, "adapter.unlinked", PASSWORD, "instrument");
    assertEquals(401, TestAdapter.handshakeStatus(url, "incubator-3", null));
    assertEquals(403, TestAdapter.handshakeStatus(url, "incubator-3", node.api.login("tech.telemetry", PASSWORD)));
    assertEquals(403, TestAdapter.handshakeStatus(url, "incubator-3", other));
    assertEquals(403, TestAdapter.handshakeStatus(url, "incubator-3", node.api.login("adapter.unlinked", PASSWORD)));
    assertEquals(404, TestAdapter.handshakeStatus(url, "no-such-device", admin));
    assertEquals(101, TestAdapter.handshakeStatus(url, "incubator-3", admin));
    assertEquals(101, TestAdapter.handshakeStatus(url, "incubator-4", other));
    // A plain GET is told to upgrade; the NDJSON post is guarded alike.
    assertEquals(426, node.api.get("/api/v1/devices/incubator-3/telemetry/stream", admin).status());
    assertEquals(403, ndjson("incubator-3", other, "{\"seq\": 1, \"readings\": []}").status());
    // Only an instrument user is linked to devices.
    ApiClient.Reply refused = node.api.post("/api/v1/users", admin, "{\"username\": \"tech.linked\", \"password\": \"" + PASSWORD
        + "\", \"roles\": [\"technician\"], \"device_ids\": [\"incubator-3\"]}");
    assertEquals(400, refused.status());
    assertEquals("device_ids", refused.json().get("errors").get(0).get("field").asText());
  }

  @Test
  void ndjsonBatchesAreStoredOncePerSeq() {
    register("plate-reader-9", "plate_reader");
    String token = instrument("adapter.reader9", "plate-reader-9");
    Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
    String body = "{\"seq\": 10, \"readings\": [" + reading("absorbance", now.minusSeconds(2), "0.5", "OD") + "]}\n"
        + "{\"seq\": 11, \"readings\": [" + reading("absorbance", now.minusSeconds(1), "0.6", "OD") + ", "
        + reading("absorbance", now, "0.7", "µL") + "]}\n";
    ApiClient.Reply first = ndjson("plate-reader-9", token, body);
    assertEquals(200, first.status(), first.body());
    assertEquals("[10,11]", first.json().get("acks").toString());
    assertEquals(1, first.json().get("errors").size());
    assertEquals("unit", first.json().get("errors").get(0).get("field").asText());
    ApiClient.Reply again = ndjson("plate-reader-9", token, body);
    assertEquals("[10,11]", again.json().get("acks").toString());
    assertEquals(2, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'plate-reader-9'"));
    assertEquals(415, node.api.sendBytes("POST", "/api/v1/devices/plate-reader-9/telemetry", token, body.getBytes(StandardCharsets.UTF_8),
        "application/json").status());
  }

  @Test
  void historyIsRawOrBucketedInOneQueryAndBounded() {
    register("liquid-handler-9", "liquid_handler");
    String token = instrument("adapter.handler9", "liquid-handler-9");
    Instant start = Instant.parse("2026-01-05T10:00:00Z");
    // Three minutes of one reading a second: 80, 81, ... 259 kPa.
    StringBuilder body = new StringBuilder();
    for (int b = 0; b < 3; b++) {
      List<String> readings = new ArrayList<>();
      for (int i = 0; i < 60; i++) readings.add(reading("pressure", start.plusSeconds(b * 60L + i), Integer.toString(80 + b * 60 + i), "kPa"));
      body.append("{\"seq\": ").append(b + 1).append(", \"readings\": [").append(String.join(",", readings)).append("]}\n");
    }
    assertEquals(200, ndjson("liquid-handler-9", token, body.toString()).status());
    String base = "/api/v1/devices/liquid-handler-9/telemetry?channel=pressure&from=2026-01-05T10:00:00Z&to=2026-01-05T10:03:00Z";

    JsonNode raw = node.api.get(base, admin).json();
    assertEquals(180, raw.get("points").size());
    assertEquals("kPa", raw.get("unit").asText());
    assertEquals(80.0, raw.get("points").get(0).get("value").asDouble());
    assertEquals("2026-01-05T10:00:00Z", raw.get("points").get(0).get("at").asText());
    assertEquals("good", raw.get("points").get(0).get("quality").asText());
    assertTrue(raw.get("step").isNull());

    JsonNode minutes = node.api.get(base + "&step=1m", admin).json();
    assertEquals("PT1M", minutes.get("step").asText());
    assertEquals(3, minutes.get("buckets").size());
    JsonNode second = minutes.get("buckets").get(1);
    assertEquals("2026-01-05T10:01:00Z", second.get("at").asText());
    assertEquals(140.0, second.get("min").asDouble());
    assertEquals(199.0, second.get("max").asDouble());
    assertEquals(169.5, second.get("avg").asDouble(), 1e-9);
    assertEquals(60, second.get("count").asLong());

    JsonNode tens = node.api.get(base + "&step=10s", admin).json();
    assertEquals(18, tens.get("buckets").size());
    assertEquals(10, tens.get("buckets").get(0).get("count").asLong());
    assertEquals(84.5, tens.get("buckets").get(0).get("avg").asDouble(), 1e-9);

    // Over the bound: refused naming step, never cut short.
    ApiClient.Reply wide = node.api.get("/api/v1/devices/liquid-handler-9/telemetry?channel=pressure&from=2026-01-01T00:00:00Z&to=2026-01-10T00:00:00Z&step=1m", admin);
    assertEquals(400, wide.status());
    assertEquals("step", wide.json().get("errors").get(0).get("field").asText());
    assertEquals(400, node.api.get(base + "&step=fortnight", admin).status());
    assertEquals(404, node.api.get("/api/v1/devices/liquid-handler-9/telemetry?channel=humidity", admin).status());
    // Adapters write; they do not read the history.
    assertEquals(403, node.api.get(base, token).status());

    JsonNode channels = node.api.get("/api/v1/devices/liquid-handler-9/telemetry/channels", token).json();
    assertEquals("type", channels.get("source").asText());
    assertEquals("PT1S", channels.get("channels").get(1).get("sampling_period").asText());
    assertEquals("critical", channels.get("channels").get(1).get("severity").asText());
  }

  @Test
  void retentionRemovesReadingsAndRollupsPastTheirAge() {
    register("incubator-5", "incubator");
    String token = instrument("adapter.incubator5", "incubator-5");
    Instant now = Instant.now();
    Instant old = now.minus(40, ChronoUnit.DAYS);
    Instant ancient = now.minus(401, ChronoUnit.DAYS);
    String oldDay = LocalDate.ofInstant(old, ZoneOffset.UTC).toString().replace("-", "");
    boolean postgres = TestDatabase.vendor().equals("postgresql");
    if (postgres) {
      // The partition of a day 40 days ago, as the node had created it then.
      LocalDate day = LocalDate.ofInstant(old, ZoneOffset.UTC);
      node.update("CREATE TABLE telemetry_reading_p" + oldDay + " PARTITION OF telemetry_reading FOR VALUES FROM ('" + day
          + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')");
    }
    String body = "{\"seq\": 1, \"readings\": [" + reading("co2", old, "5.0", "%") + ", " + reading("co2", ancient, "5.0", "%") + ", "
        + reading("co2", now.minusSeconds(5), "5.0", "%") + "]}\n";
    assertEquals(200, ndjson("incubator-5", token, body).status());
    assertEquals(3, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'incubator-5'"));
    assertEquals(3, node.count("SELECT COUNT(*) FROM telemetry_rollup WHERE device_id = 'incubator-5'"));

    var removed = node.node.telemetry().runRetention().toCompletableFuture().join();

    // Raw readings are kept 30 days, rollups 400.
    assertEquals(1, node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = 'incubator-5'"));
    assertEquals(2, node.count("SELECT COUNT(*) FROM telemetry_rollup WHERE device_id = 'incubator-5'"));
    if (postgres) {
      assertTrue(removed.droppedDays().contains(LocalDate.ofInstant(old, ZoneOffset.UTC)), removed.toString());
      assertEquals(0, node.count("SELECT COUNT(*) FROM pg_class WHERE relname = ?", "telemetry_reading_p" + oldDay));
      // Today's partition and the coming days' exist.
      assertEquals(1, node.count("SELECT COUNT(*) FROM pg_class WHERE relname = ?",
          "telemetry_reading_p" + LocalDate.now(ZoneOffset.UTC).plusDays(2).toString().replace("-", "")));
    }
  }

  // --- helpers --------------------------------------------------------------------------

  private static void register(String id, String type) {
    ApiClient.Reply reply = node.api.post("/api/v1/devices", admin,
        "{\"id\": \"" + id + "\", \"name\": \"" + id + "\", \"type\": \"" + type + "\", \"capabilities\": []}");
    assertEquals(201, reply.status(), reply.body());
  }

  /** An instrument user linked to {@code deviceId}, logged in. */
  private static String instrument(String username, String deviceId) {
    ApiClient.Reply reply = node.api.post("/api/v1/users", admin, "{\"username\": \"" + username + "\", \"password\": \"" + PASSWORD
        + "\", \"roles\": [\"instrument\"], \"device_ids\": [\"" + deviceId + "\"]}");
    assertEquals(201, reply.status(), reply.body());
    assertEquals("[\"" + deviceId + "\"]", reply.json().get("device_ids").toString());
    return node.api.login(username, PASSWORD);
  }

  private static ApiClient.Reply ndjson(String deviceId, String token, String body) {
    return node.api.sendBytes("POST", "/api/v1/devices/" + deviceId + "/telemetry", token, body.getBytes(StandardCharsets.UTF_8),
        "application/x-ndjson");
  }

  /** Readings {@code from}..{@code from + n - 1} of the stream: 10 ms apart, temperature and CO₂ in turn. */
  private static String batch(long seq, Instant start, int from, int n) {
    List<String> readings = new ArrayList<>();
    for (int i = from; i < from + n; i++) {
      Instant at = start.plusMillis(i * 10L);
      readings.add(i % 2 == 0 ? reading("temperature", at, Double.toString(37.0 + (i % 7) / 10.0), "°C")
          : reading("co2", at, Double.toString(5.0 + (i % 5) / 10.0), "%"));
    }
    return "{\"seq\": " + seq + ", \"readings\": [" + String.join(",", readings) + "]}";
  }

  private static String reading(String channel, Instant at, String value, String unit) {
    return "{\"channel\": \"" + channel + "\", \"at\": \"" + at + "\", \"value\": " + value + ", \"unit\": \"" + unit + "\"}";
  }

  private static int readingsBetween(String deviceId, Instant from, Instant to) {
    return (int) node.count("SELECT COUNT(*) FROM telemetry_reading WHERE device_id = ? AND at >= ? AND at < ?", deviceId,
        java.time.OffsetDateTime.ofInstant(from, ZoneOffset.UTC), java.time.OffsetDateTime.ofInstant(to, ZoneOffset.UTC));
  }
}
