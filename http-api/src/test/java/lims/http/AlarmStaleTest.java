package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * A device whose adapter never sends a reading is found stale: the node wakes every device's
 * watch by itself (watch-every-device), and silence is a warning that leaves the device available.
 */
@Tag("database")
class AlarmStaleTest {

  static TestNode node;
  static String admin;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("alarm-stale"),
        Map.of("lims.telemetry.alarms.watch-every-device", "on", "lims.telemetry.alarms.wake-interval", "1s"));
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static JsonNode active(String deviceId) {
    return node.api.get("/api/v1/alarms?active=true&device_id=" + deviceId, admin).json().get("items");
  }

  @Test
  void aDeviceThatNeverReportsTurnsStaleAsAWarningAndItsFirstReadingClearsIt() {
    WorkflowApiTest.device(node, admin, "silent-incubator", "incubator");
    String channels = ApiClient.json(Map.of("channels", List.of(Map.of("name", "temperature", "unit", "°C", "low", 35.0, "high", 39.0,
        "sampling_period", "100ms", "stale_after_periods", 3, "severity", "critical"))));
    assertEquals(200, node.api.send("PUT", "/api/v1/devices/silent-incubator/telemetry/channels", admin, channels,
        Map.of("Content-Type", "application/json")).status());
    node.eventually(() -> {
      JsonNode items = active("silent-incubator");
      assertEquals(1, items.size(), items.toString());
      assertEquals("stale", items.get(0).get("kind").asText());
      assertEquals("warning", items.get(0).get("severity").asText(), "silence on a critical channel is still a warning");
    });
    assertEquals("available", node.api.get("/api/v1/devices/silent-incubator", admin).json().get("status").asText());

    Instant now = Instant.now();
    node.node.readingsListeners().forEach(l -> l.stored("silent-incubator",
        List.of(new Reading("temperature", now, 37.0, "°C", now, Reading.Quality.GOOD))));
    // The first stale alarm is cleared (the channel, silent again, may raise the next one after 300 ms).
    node.eventually(() -> {
      JsonNode first = null;
      for (JsonNode a : node.api.get("/api/v1/alarms?device_id=silent-incubator&limit=500", admin).json().get("items")) {
        if (a.get("id").asText().equals("silent-incubator~1")) first = a;
      }
      assertEquals(false, first.get("active").asBoolean(), "the reading cleared it");
      assertEquals(37.0, first.get("cleared_value").asDouble());
    });
  }
}
