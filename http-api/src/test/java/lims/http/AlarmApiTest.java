package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import lims.device.telemetry.Reading;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Alarms end to end on a real node, fed through the node's readings listeners as the ingest
 * feeds them: a critical crossing raises an alarm in the device's journal, takes the device
 * offline and fails the workflow holding it; hysteresis decides when it clears; a person
 * acknowledges it; channels are declared per device.
 */
@Tag("database")
class AlarmApiTest {

  static TestNode node;
  static String admin;
  static String tech;
  static String viewer;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("alarms"));
    admin = node.adminToken();
    node.api.createUser(admin, "tess", "technician-password", "technician");
    node.api.createUser(admin, "vic", "viewer-password-1", "viewer");
    tech = node.api.login("tess", "technician-password");
    viewer = node.api.login("vic", "viewer-password-1");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  /** Stored readings, told to the node's listeners exactly as the ingest tells them after its commit. */
  static void stored(String deviceId, String channel, String unit, double... values) {
    Instant now = Instant.now();
    List<Reading> readings = new java.util.ArrayList<>();
    for (int i = 0; i < values.length; i++) {
      // A minute apart by the instrument's clock: no rate alarm.
      readings.add(new Reading(channel, now.minusSeconds(60L * (values.length - i)), values[i], unit, now, Reading.Quality.GOOD));
    }
    node.node.readingsListeners().forEach(l -> l.stored(deviceId, readings));
  }

  static JsonNode alarm(String id) {
    for (JsonNode a : node.api.get("/api/v1/alarms?limit=500", tech).json().get("items")) {
      if (a.get("id").asText().equals(id)) return a;
    }
    throw new AssertionError("no alarm " + id);
  }

  @Test
  void aCriticalCrossingTakesTheDeviceOfflineFailsItsWorkflowAndClearsOnlyPastTheHysteresis() {
    WorkflowApiTest.device(node, admin, "alarm-reader", "plate_reader"); // lamp-temperature: high 45, hysteresis 1, critical
    String held = WorkflowApiTest.workflow(node, tech, "alarm-reader", List.of(), "read_absorbance", "read_fluorescence");
    assertEquals(200, node.api.post("/api/v1/workflows/" + held + "/start", tech, "").status());
    assertEquals(200, node.api.post("/api/v1/workflows/" + held + "/execute-step", tech, "").status());

    stored("alarm-reader", "lamp-temperature", "°C", 44.0, 46.5);
    node.eventually(() -> {
      assertEquals("failed", WorkflowApiTest.status(node, tech, held));
      assertEquals("offline", node.api.get("/api/v1/devices/alarm-reader", tech).json().get("status").asText());
    });
    assertEquals(1, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" LIKE ?",
        "Device|alarm-reader", "%AlarmRaised"), "the alarm is in the device's history");
    node.eventually(() -> {
      JsonNode active = node.api.get("/api/v1/alarms?active=true&device_id=alarm-reader", viewer).json().get("items");
      assertEquals(1, active.size(), active.toString());
      JsonNode a = active.get(0);
      assertEquals("alarm-reader~1", a.get("id").asText());
      assertEquals("high", a.get("kind").asText());
      assertEquals("critical", a.get("severity").asText());
      assertEquals(46.5, a.get("value").asDouble());
      assertEquals(45.0, a.get("threshold").asDouble());
    });

    stored("alarm-reader", "lamp-temperature", "°C", 44.5); // back under 45, but not by the hysteresis of 1
    stored("alarm-reader", "lamp-temperature", "°C", 43.8);
    node.eventually(() -> {
      JsonNode a = alarm("alarm-reader~1");
      assertFalse(a.get("active").asBoolean());
      assertEquals(43.8, a.get("cleared_value").asDouble(), "44.5 did not clear it");
    });
    assertEquals(0, node.api.get("/api/v1/alarms?active=true&device_id=alarm-reader", tech).json().get("items").size());
    assertEquals("offline", node.api.get("/api/v1/devices/alarm-reader", tech).json().get("status").asText(),
        "clearing does not bring the device back: a person does");
  }

  @Test
  void aPersonAcknowledgesAnAlarmWithAComment() {
    WorkflowApiTest.device(node, admin, "alarm-handler", "liquid_handler"); // volume: high 1000, warning
    stored("alarm-handler", "volume", "µL", 1200.0);
    node.eventually(() -> assertEquals("alarm-handler~1", node.api.get("/api/v1/alarms?active=true&device_id=alarm-handler", tech)
        .json().get("items").get(0).get("id").asText()));
    assertEquals("available", node.api.get("/api/v1/devices/alarm-handler", tech).json().get("status").asText(), "a warning stops nothing");

    problem(node.api.post("/api/v1/alarms/alarm-handler~1/acknowledge", viewer, "{\"comment\":\"seen\"}"), 403);
    assertEquals(List.of("comment"), fieldsNamed(problem(node.api.post("/api/v1/alarms/alarm-handler~1/acknowledge", tech, "{}"), 400)));
    assertEquals(List.of("id"), fieldsNamed(problem(node.api.post("/api/v1/alarms/alarm-handler/acknowledge", tech, "{\"comment\":\"x\"}"), 400)));
    problem(node.api.post("/api/v1/alarms/alarm-handler~9/acknowledge", tech, "{\"comment\":\"x\"}"), 404);

    ApiClient.Reply ack = node.api.post("/api/v1/alarms/alarm-handler~1/acknowledge", tech, "{\"comment\":\"tip box overfilled; emptied\"}");
    assertEquals(200, ack.status(), ack.body());
    assertEquals("tess", ack.json().get("acknowledged_by").asText());
    assertEquals("tip box overfilled; emptied", ack.json().get("comment").asText());
    assertTrue(ack.json().get("active").asBoolean(), "acknowledged, still active");
    node.eventually(() -> assertEquals("tess", alarm("alarm-handler~1").get("acknowledged_by").asText()));
  }

  @Test
  void anAdminDeclaresADevicesOwnChannelsWhichTheWatchThenUses() {
    WorkflowApiTest.device(node, admin, "alarm-incubator", "incubator");
    JsonNode typeChannels = node.api.get("/api/v1/devices/alarm-incubator/telemetry/channels", tech).json();
    assertEquals("type", typeChannels.get("source").asText());
    assertEquals("PT1S", typeChannels.get("channels").get(0).get("sampling_period").asText());

    String declared = ApiClient.json(Map.of("channels", List.of(Map.of("name", "humidity", "unit", "%", "low", 40.0, "high", 90.0,
        "hysteresis", 2.0, "sampling_period", "10s", "stale_after_periods", 6, "severity", "warning"))));
    problem(node.api.send("PUT", "/api/v1/devices/alarm-incubator/telemetry/channels", tech, declared, Map.of("Content-Type", "application/json")), 403);
    String inverted = declared.replace("\"high\":90.0", "\"high\":30.0");
    assertEquals(List.of("channels[0].high"), fieldsNamed(problem(node.api.send("PUT", "/api/v1/devices/alarm-incubator/telemetry/channels", admin,
        inverted, Map.of("Content-Type", "application/json")), 400)));
    ApiClient.Reply put = node.api.send("PUT", "/api/v1/devices/alarm-incubator/telemetry/channels", admin, declared,
        Map.of("Content-Type", "application/json"));
    assertEquals(200, put.status(), put.body());
    assertEquals("device", put.json().get("source").asText());
    assertEquals("PT10S", put.json().get("channels").get(0).get("sampling_period").asText());
    node.eventually(() -> assertEquals(1, node.count("SELECT COUNT(*) FROM device WHERE id = ? AND channels LIKE ?", "alarm-incubator", "%humidity%")));

    stored("alarm-incubator", "humidity", "%", 95.0);
    node.eventually(() -> {
      JsonNode items = node.api.get("/api/v1/alarms?active=true&device_id=alarm-incubator", tech).json().get("items");
      assertEquals(1, items.size(), items.toString());
      assertEquals("humidity", items.get(0).get("channel").asText());
    });
  }
}
