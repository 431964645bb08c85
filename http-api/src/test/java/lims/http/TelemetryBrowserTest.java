package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lims.kernel.NodeConfig;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * Telemetry and alarms in a real browser: a technician watches an incubator's page while its
 * adapter posts NDJSON batches; the reading shows on the chart without a reload, a temperature
 * above the high limit raises a critical alarm that takes the device offline, the 24 h range
 * shows min/avg/max buckets, and on the Alarms screen the alarm is acknowledged only with a
 * comment, which the API keeps. The board's card counts the active alarm. Screenshots at 390
 * and 1280 px go to docs/screenshots/.
 */
@Tag("browser")
class TelemetryBrowserTest {

  static final String INCUBATOR = "incubator-1";
  static final String COMMENT = "Door left open during restocking; closed it, temperature falling.";

  static TestNode node;
  static ApiClient api;
  static String admin;
  static String adapter;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    node = TestNode.start(TestDatabase.h2("telemetry-browser"), Map.of("lims.telemetry.channels.incubator", incubatorChannelsNeverStale()));
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "tess", "technician-password", "technician");
    // The incubator's adapter: an instrument user linked to it, as a lab sets one up.
    ApiClient.Reply created = api.post("/api/v1/users", admin, ApiClient.json(Map.of("username", "adapter.incubator1",
        "password", "instrument-password", "roles", List.of("instrument"), "device_ids", List.of(INCUBATOR))));
    ApiClient.Reply registered = api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", INCUBATOR, "name", "Incubator 1", "type", "incubator")));
    assertEquals(201, registered.status(), registered.body());
    assertTrue(created.status() == 201 || created.status() == 200, created.body());
    adapter = api.login("adapter.incubator1", "instrument-password");
    node.eventually(() -> assertEquals(1, api.get("/api/v1/devices", admin).json().get("items").size()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  /**
   * The incubator type's channels as configured (temperature 35–39 °C critical, CO₂ 4–6 %
   * warning), except that a channel turns stale only after 1000 periods: this test posts two
   * batches, not a steady stream, and a stale alarm 30 s later would be a second alarm.
   */
  static List<Map<String, Object>> incubatorChannelsNeverStale() {
    return NodeConfig.load("test", Map.of()).getConfigList("lims.telemetry.channels.incubator").stream().map(c -> {
      Map<String, Object> channel = new HashMap<>(c.root().unwrapped());
      channel.put("stale-after-periods", 1000);
      return channel;
    }).toList();
  }

  /** One NDJSON line of the adapter's: batch {@code seq}, one reading per channel given as name, value, unit. */
  static String line(long seq, Instant at, Object... readings) {
    StringBuilder json = new StringBuilder("{\"seq\":" + seq + ",\"readings\":[");
    for (int i = 0; i < readings.length; i += 3) {
      if (i > 0) json.append(',');
      json.append(ApiClient.json(Map.of("channel", readings[i], "at", at.toString(), "value", readings[i + 1], "unit", readings[i + 2])));
    }
    return json.append("]}\n").toString();
  }

  static void post(String ndjson, long seq) {
    ApiClient.Reply reply = api.sendBytes("POST", "/api/v1/devices/" + INCUBATOR + "/telemetry", adapter, ndjson.getBytes(StandardCharsets.UTF_8),
        "application/x-ndjson");
    assertEquals(200, reply.status(), reply.body());
    assertEquals("[" + seq + "]", reply.json().get("acks").toString(), reply.body());
  }

  static WebElement chart(Browser browser, String channel) {
    return browser.awaitVisible(By.cssSelector("figure.channel[data-channel='" + channel + "']"));
  }

  /** Waits until the element's text contains {@code expected}, and answers the text. */
  static String awaitText(Browser browser, String css, String expected) {
    return browser.await(d -> d.findElements(By.cssSelector(css)).stream().map(WebElement::getText).filter(t -> t.contains(expected)).findFirst()
        .orElse(null));
  }

  static String attribute(Browser browser, String css, String name) {
    return browser.driver.findElement(By.cssSelector(css)).getAttribute(name);
  }

  @Test
  void readingsAreChartedLiveAnExcursionRaisesAnAlarmAndItIsAcknowledgedWithAComment() throws Exception {
    try (Browser tess = new Browser()) {
      tess.viewport(1280, 900);
      tess.logIn(node.node.baseUrl(), "tess", "technician-password");
      tess.driver.get(node.node.baseUrl() + "/devices/" + INCUBATOR);
      tess.awaitVisible(By.cssSelector("section.device-detail[data-device='" + INCUBATOR + "']"));
      awaitText(tess, "figure[data-channel=temperature] .latest", "No readings in this range");
      awaitText(tess, "figure[data-channel=temperature] .expected", "Expected 35–39 °C");
      tess.script("window.notReloaded = true");

      // In range: the chart shows the reading the adapter sent, live. 20 s before the next batch, so
      // the climb to it is no faster than the channel's 0.5 °C/s (no rate alarm besides the high one).
      Instant now = Instant.now().truncatedTo(ChronoUnit.MILLIS);
      post(line(1, now.minusSeconds(20), "temperature", 37.1, "°C", "co2", 5.0, "%"), 1);
      awaitText(tess, "figure[data-channel=temperature] .latest", "Latest 37.1 °C");
      awaitText(tess, "figure[data-channel=co2] .latest", "Latest 5 %");
      assertEquals("within", attribute(tess, "figure[data-channel=temperature]", "data-standing"));
      assertEquals("available", attribute(tess, "section.device-detail", "data-status"));

      // Above the high limit: a critical alarm on the page, the device offline, the chart saying why.
      post(line(2, now, "temperature", 39.6, "°C"), 2);
      tess.await(d -> "1".equals(attribute(tess, "section.device-alarms", "data-alarms")) ? true : null);
      awaitText(tess, "section.device-alarms tr[data-active=true]", "temperature above its high limit: 39.6 °C (limit 39 °C)");
      assertTrue(tess.driver.findElement(By.cssSelector("section.device-alarms tr[data-active=true]")).getText().contains("critical"));
      tess.await(d -> "offline".equals(attribute(tess, "section.device-detail", "data-status")) ? true : null);
      awaitText(tess, "section.device-detail .screen-head", "offline");
      String latest = awaitText(tess, "figure[data-channel=temperature] .latest", "Latest 39.6 °C");
      assertTrue(latest.contains("above the high limit"), latest);
      assertEquals("above", attribute(tess, "figure[data-channel=temperature]", "data-standing"));
      assertEquals(true, tess.script("return window.notReloaded === true"), "the chart and the alarm came without a reload");
      assertEquals("offline", api.get("/api/v1/devices/" + INCUBATOR, admin).json().get("status").asText());
      // On a phone the charts are below the alarm and the actions: the picture is of the alarm's end and the chart.
      ReportsBrowserTest.both(tess, "device-telemetry", () -> {
        chart(tess, "temperature");
        tess.script("if (innerWidth < 600) document.querySelector('figure[data-channel=temperature]').scrollIntoView({block: 'end'})");
      });

      // 24 h: buckets of two minutes, each with its min, average and max.
      tess.driver.findElement(By.xpath("//section[@class='telemetry']//label[normalize-space()='24 h']")).click();
      awaitText(tess, "figure[data-channel=temperature] .step", "min/avg/max per 2m");
      String description = tess.await(d -> {
        String label = d.findElement(By.cssSelector("figure[data-channel=temperature] .time-chart")).getAttribute("aria-label");
        return label.contains("buckets of 2m") ? label : null;
      });
      assertTrue(description.contains("from 37.1 to 39.6"), description);

      // On the board: the card counts the active alarm beside the offline status.
      tess.driver.findElement(By.xpath("//nav[@aria-label='Main']//a[normalize-space()='Devices']")).click();
      awaitText(tess, "li.device-card[data-device='" + INCUBATOR + "'] .pills", "1 alarm");
      assertEquals("offline", attribute(tess, "li.device-card[data-device='" + INCUBATOR + "']", "data-status"));

      // Alarms: an empty comment is refused at the field, nothing is sent; with one, the row says who and why.
      tess.driver.findElement(By.xpath("//nav[@aria-label='Main']//a[normalize-space()='Alarms']")).click();
      WebElement row = tess.awaitVisible(By.cssSelector("tr[data-alarm^='" + INCUBATOR + "~']"));
      String alarmId = row.getAttribute("data-alarm");
      assertTrue(row.getText().contains("not yet"), row.getText());
      row.findElement(By.xpath(".//button[normalize-space()='Acknowledge']")).click();
      WebElement dialog = tess.awaitVisible(By.cssSelector("[role=dialog]"));
      // The Alarms screen knows no channel's unit (the device page does): the values stand alone.
      assertTrue(dialog.getText().contains("temperature above its high limit: 39.6 (limit 39) on " + INCUBATOR), dialog.getText());
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      assertTrue(tess.awaitVisible(By.id("f-reason-error")).getText().contains("A comment is required"));
      assertEquals("true", tess.driver.findElement(By.id("f-reason")).getAttribute("aria-invalid"));
      assertTrue(api.get("/api/v1/alarms?active=true", admin).json().get("items").get(0).get("acknowledged_by").isNull());

      tess.driver.findElement(By.id("f-reason")).sendKeys(COMMENT);
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      tess.await(d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      awaitText(tess, ".ack-notice.ok", "Acknowledged: temperature above its high limit");
      String acknowledged = awaitText(tess, "tr[data-alarm='" + alarmId + "'] td[data-label=Acknowledged]", "tess");
      assertTrue(acknowledged.contains(COMMENT), acknowledged);
      assertTrue(tess.driver.findElements(By.cssSelector("tr[data-alarm='" + alarmId + "'] button")).isEmpty(), "acknowledged once");

      JsonNode alarms = api.get("/api/v1/alarms?active=true", admin).json().get("items");
      assertEquals(1, alarms.size(), alarms.toString());
      JsonNode alarm = alarms.get(0);
      assertEquals(alarmId, alarm.get("id").asText());
      assertEquals("high", alarm.get("kind").asText());
      assertEquals("critical", alarm.get("severity").asText());
      assertEquals(39.6, alarm.get("value").asDouble());
      assertEquals("tess", alarm.get("acknowledged_by").asText());
      assertEquals(COMMENT, alarm.get("comment").asText());
      assertTrue(alarm.get("active").asBoolean(), "acknowledging does not clear the alarm");
      ReportsBrowserTest.both(tess, "alarms", () -> tess.awaitVisible(By.cssSelector("tr[data-alarm='" + alarmId + "']")));
    }
  }
}
