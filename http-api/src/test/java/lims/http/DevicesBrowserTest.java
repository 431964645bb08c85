package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The devices screen in real browsers against a node started here: two users' sessions on the
 * board see each other's booking, queueing and release live; each role is shown only the
 * actions the API lets it take; a device's execution log is searched by time range, paged
 * with the API's cursor and downloaded as CSV. Screenshots go to docs/screenshots/.
 */
@Tag("browser")
class DevicesBrowserTest {

  static final String READER = "plate-reader-1";
  static final String LOGGED = "plate-reader-2";
  static TestNode node;
  static ApiClient api;
  static String admin;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    // Short simulated operations: the log test runs more than a page of them.
    node = TestNode.start(TestDatabase.h2("devices-browser"), Map.of("lims.device.simulated-driver.default-duration", "5ms"));
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "tess", "technician-password", "technician");
    api.createUser(admin, "sam", "scientist-password", "scientist");
    api.createUser(admin, "vera", "viewer-password-1", "viewer");
    register(READER, "Plate reader 1", "plate_reader");
    register(LOGGED, "Plate reader 2", "plate_reader");
    register("incubator-1", "Incubator 1", "incubator");
    register("liquid-handler-1", "Liquid handler 1", "liquid_handler");
    // The board reads the devices' read table, which learns of a new device a moment later.
    node.eventually(() -> assertEquals(4, api.get("/api/v1/devices", admin).json().get("items").size()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static void register(String id, String name, String type) {
    ApiClient.Reply created = api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", id, "name", name, "type", type)));
    assertEquals(201, created.status(), created.body());
  }

  static void onTheBoard(Browser browser, String user, String password) {
    browser.logIn(node.node.baseUrl(), user, password);
    browser.driver.findElement(By.xpath("//nav[@aria-label='Main']//a[normalize-space()='Devices']")).click();
    card(browser, READER);
  }

  static WebElement card(Browser browser, String id) {
    return browser.awaitVisible(By.cssSelector("li.device-card[data-device='" + id + "']"));
  }

  static String status(Browser browser, String id) {
    return card(browser, id).getAttribute("data-status");
  }

  static void openDevice(Browser browser, String id) {
    card(browser, id).findElement(By.xpath(".//a[normalize-space()='Details']")).click();
    browser.awaitVisible(By.cssSelector("section.device-detail[data-device='" + id + "']"));
  }

  static WebElement button(Browser browser, String text) {
    return browser.awaitVisible(By.xpath("//button[normalize-space()='" + text + "']"));
  }

  static List<String> buttons(Browser browser) {
    return browser.driver.findElements(By.cssSelector("main button")).stream().filter(WebElement::isDisplayed).map(WebElement::getText).toList();
  }

  /** Fills the booking dialog's holder and sends it; answers once the dialog has closed (the API answered). */
  static void reserve(Browser browser, String holder, String priority) {
    WebElement dialog = browser.awaitVisible(By.cssSelector("[role=dialog]"));
    WebElement field = dialog.findElement(By.id("f-workflow_id"));
    field.clear();
    field.sendKeys(holder);
    if (priority != null) {
      new org.openqa.selenium.support.ui.Select(dialog.findElement(By.id("f-priority"))).selectByValue(priority);
    }
    dialog.findElement(By.cssSelector("button[type=submit]")).click();
    browser.await(d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
  }

  /** No sideways scrolling at 375 px, and every control of the screen at least 44 px each way. */
  static void assertFitsAPhone(Browser browser, String where) {
    long scrollWidth = (Long) browser.script("return document.documentElement.scrollWidth");
    assertTrue(scrollWidth <= 375, where + " scrolls sideways at 375 px: " + scrollWidth);
    Object small = browser.script("""
        return [...document.querySelectorAll('main a, main button, main input, main select')]
          .filter(e => e.offsetParent !== null)
          .map(e => [e, e.getBoundingClientRect()])
          .filter(([e, r]) => r.height < 44 || r.width < 44)
          .map(([e, r]) => e.outerHTML.slice(0, 80) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
        """);
    assertEquals(List.of(), small, where + ": touch targets under 44 px");
  }

  @Test
  void oneBooksTheOtherSeesItBusyQueuesAndIsGrantedItOnReleaseAllLive() throws Exception {
    try (Browser tess = new Browser(); Browser sam = new Browser()) {
      onTheBoard(tess, "tess", "technician-password");
      onTheBoard(sam, "sam", "scientist-password");
      assertEquals("available", status(sam, READER));
      // Set in sam's page now: still there at the end proves nothing reloaded it.
      sam.script("window.notReloaded = true");

      tess.driver.findElement(By.cssSelector("button[aria-label='Book Plate reader 1']")).click();
      String proposed = tess.awaitVisible(By.id("f-workflow_id")).getAttribute("value");
      assertTrue(proposed.matches("tess-\\d{4}"), "a bench holder is proposed from the user's name and the time: " + proposed);
      reserve(tess, "tess-bench-run", null);
      // The API has answered: the other session shows the device busy within a second, without a reload.
      new WebDriverWait(sam.driver, Duration.ofSeconds(1), Duration.ofMillis(20))
          .until(d -> "busy".equals(status(sam, READER)));
      assertTrue(card(sam, READER).getText().contains("tess-bench-run"), card(sam, READER).getText());
      assertTrue(tess.driver.findElements(By.cssSelector("button[aria-label='Book Plate reader 1']")).isEmpty(), "a busy device offers no booking");

      sam.driver.findElement(By.cssSelector("button[aria-label='Queue for Plate reader 1']")).click();
      WebElement hint = sam.awaitVisible(By.cssSelector("[role=dialog] select ~ .hint"));
      assertTrue(hint.getText().contains("would be number 1"), hint.getText());
      reserve(sam, "sam-assay", "normal");
      assertTrue(sam.awaitVisible(By.cssSelector(".notice")).getText().contains("sam-assay is queued for Plate reader 1 at position 1"));
      tess.await(d -> card(tess, READER).getText().contains("1 waiting"));
      // A second request waits behind it (low priority), for a queue worth a screenshot.
      ApiClient.Reply low = api.post("/api/v1/devices/" + READER + "/queue", admin,
          ApiClient.json(Map.of("workflow_id", "night-calibration", "priority", "low")));
      assertEquals(202, low.status(), low.body());
      sam.await(d -> card(sam, READER).getText().contains("2 waiting"));

      sam.screenshot("devices-1440");
      assertEquals(List.of(), sam.accessibilityViolations(), "axe-core on the devices board");

      openDevice(tess, READER);
      WebElement first = tess.awaitVisible(By.cssSelector("tr[data-queued='sam-assay']"));
      assertTrue(first.getText().contains("1") && first.getText().contains("normal"), first.getText());
      assertTrue(tess.awaitVisible(By.cssSelector("tr[data-queued='night-calibration']")).getText().contains("low"));
      tess.screenshot("device-1440");
      assertEquals(List.of(), tess.accessibilityViolations(), "axe-core on a device's page with its queue");
      tess.viewport(375, 812);
      tess.awaitVisible(By.cssSelector("tr[data-queued='sam-assay']"));
      assertFitsAPhone(tess, "a device's page");
      tess.screenshot("device-375");
      assertEquals(List.of(), tess.accessibilityViolations(), "axe-core on a device's page at 375 px");
      tess.viewport(1440, 900);

      button(tess, "Release").click();
      WebElement confirm = tess.awaitVisible(By.cssSelector("[role=dialog]"));
      assertTrue(confirm.getText().contains("sam-assay, first in the queue, is granted it at once"), confirm.getText());
      confirm.findElement(By.xpath(".//button[normalize-space()='Release']")).click();

      // Granted to the next in line: both sessions show it, live.
      sam.await(d -> card(sam, READER).getText().contains("sam-assay") && "busy".equals(status(sam, READER)));
      sam.await(d -> card(sam, READER).getText().contains("1 waiting"));
      tess.await(d -> tess.driver.findElement(By.cssSelector(".device-detail .holder")).getText().contains("sam-assay"));
      assertTrue(tess.awaitVisible(By.cssSelector(".notice")).getText().contains("granted to sam-assay"));
      tess.await(d -> d.findElements(By.cssSelector("tr[data-queued='sam-assay']")).isEmpty());
      assertEquals(true, sam.script("return window.notReloaded === true"), "the board changed without a reload");

      sam.viewport(375, 812);
      card(sam, READER);
      assertFitsAPhone(sam, "the devices board");
      sam.screenshot("devices-375");
      assertEquals(List.of(), sam.accessibilityViolations(), "axe-core on the devices board at 375 px");

      // The scientist takes the low-priority entry out of the queue.
      sam.viewport(1440, 900);
      openDevice(sam, READER);
      sam.awaitVisible(By.cssSelector("button[aria-label='Cancel queue entry of night-calibration']")).click();
      sam.awaitVisible(By.cssSelector("[role=dialog]")).findElement(By.xpath(".//button[normalize-space()='Cancel queue entry']")).click();
      sam.await(d -> d.findElements(By.cssSelector("tr[data-queued]")).isEmpty());
      tess.await(d -> d.findElements(By.cssSelector("tr[data-queued]")).isEmpty());
      assertEquals(0, api.get("/api/v1/devices/" + READER, admin).json().get("queue_length").asInt());
    }
  }

  @Test
  void aBookingRefusedBecauseSomeoneWasFasterIsExplainedAndQueueingOffered() throws Exception {
    try (Browser tess = new Browser()) {
      onTheBoard(tess, "tess", "technician-password");
      card(tess, "liquid-handler-1");
      openDevice(tess, "liquid-handler-1");
      button(tess, "Book").click();
      tess.awaitVisible(By.cssSelector("[role=dialog]"));
      // Someone else books it while the dialog is open: the page is stale.
      assertEquals(200, api.post("/api/v1/devices/liquid-handler-1/book", admin, ApiClient.json(Map.of("workflow_id", "WF-0123456789ab"))).status());
      WebElement dialog = tess.awaitVisible(By.cssSelector("[role=dialog]"));
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      WebElement conflict = tess.awaitVisible(By.cssSelector("[role=dialog] .conflict"));
      assertTrue(conflict.getText().contains("busy: WF-0123456789ab booked it") && conflict.getText().contains("Nothing was booked"), conflict.getText());
      assertTrue(conflict.getText().contains("Queue for it instead?"), conflict.getText());
      assertEquals("Queue", dialog.findElement(By.cssSelector("button[type=submit]")).getText());
      assertEquals("WF-0123456789ab", api.get("/api/v1/devices/liquid-handler-1", admin).json().get("current_booking").get("workflow_id").asText());
      // The API's 400 is shown at the field it names.
      WebElement holder = dialog.findElement(By.id("f-workflow_id"));
      holder.clear();
      holder.sendKeys("not a holder!");
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      assertTrue(!tess.awaitVisible(By.id("f-workflow_id-error")).getText().isBlank());
      assertEquals("true", holder.getAttribute("aria-invalid"));
      assertEquals(List.of(), tess.accessibilityViolations(), "axe-core on the booking dialog with a conflict and a field error");
      reserve(tess, "tess-prep", "urgent");
      tess.await(d -> d.findElements(By.cssSelector("tr[data-queued='tess-prep']")).size() == 1);
      assertEquals(200, api.post("/api/v1/devices/liquid-handler-1/release", admin, ApiClient.json(Map.of("workflow_id", "WF-0123456789ab"))).status());
      tess.await(d -> d.findElement(By.cssSelector(".device-detail .holder")).getText().contains("tess-prep"));
    }
  }

  @Test
  void aViewerSeesNoWriteActionsAndOnlyAnAdminChangesTheStatus() throws Exception {
    try (Browser vera = new Browser()) {
      onTheBoard(vera, "vera", "viewer-password-1");
      assertEquals(List.of(), buttons(vera), "a viewer's board offers no action");
      openDevice(vera, "incubator-1");
      assertEquals(List.of(), buttons(vera), "a viewer's device page offers no action");
      vera.awaitVisible(By.xpath("//a[normalize-space()='Execution log']"));
    }
    try (Browser tess = new Browser()) {
      onTheBoard(tess, "tess", "technician-password");
      openDevice(tess, "incubator-1");
      List<String> offered = buttons(tess);
      assertTrue(offered.contains("Book"), offered.toString());
      assertTrue(offered.stream().noneMatch(b -> b.contains("maintenance") || b.contains("offline") || b.contains("available")),
          "a technician is not offered status changes: " + offered);
    }
    try (Browser boss = new Browser()) {
      onTheBoard(boss, "admin", TestNode.ADMIN_PASSWORD);
      openDevice(boss, "incubator-1");
      button(boss, "Put in maintenance").click();
      boss.await(d -> "maintenance".equals(d.findElement(By.cssSelector("section.device-detail")).getAttribute("data-status")));
      assertEquals("maintenance", api.get("/api/v1/devices/incubator-1", admin).json().get("status").asText());
      // In maintenance the device takes no booking, only the queue.
      assertTrue(boss.driver.findElements(By.xpath("//button[normalize-space()='Book']")).isEmpty());
      button(boss, "Queue");
      button(boss, "Take offline").click();
      WebElement confirm = boss.awaitVisible(By.cssSelector("[role=dialog]"));
      assertTrue(confirm.getText().contains("The queue waits"), confirm.getText());
      confirm.findElement(By.xpath(".//button[normalize-space()='Keep']")).click();
      button(boss, "Mark available").click();
      boss.await(d -> "available".equals(d.findElement(By.cssSelector("section.device-detail")).getAttribute("data-status")));
    }
  }

  @Test
  void theExecutionLogIsSearchedByTimeRangePagedAndDownloadedAsCsv() throws Exception {
    // 55 operations: more than one page of 50.
    assertEquals(200, api.post("/api/v1/devices/" + LOGGED + "/book", admin, ApiClient.json(Map.of("workflow_id", "calibration-run"))).status());
    for (int i = 0; i < 55; i++) {
      ApiClient.Reply run = api.post("/api/v1/devices/" + LOGGED + "/execute", admin,
          ApiClient.json(Map.of("workflow_id", "calibration-run", "operation", "read_absorbance", "parameters", Map.of("wavelength_nm", 450 + i))));
      assertEquals(200, run.status(), run.body());
    }
    node.eventually(() -> assertEquals(55, node.count("SELECT COUNT(*) FROM execution_log WHERE device_id = ?", LOGGED)));

    Path downloads = Files.createTempDirectory("lims-downloads-");
    try (Browser sam = new Browser()) {
      onTheBoard(sam, "sam", "scientist-password");
      openDevice(sam, LOGGED);
      sam.awaitVisible(By.xpath("//a[normalize-space()='Execution log']")).click();
      sam.await(d -> d.findElements(By.cssSelector("tr[data-execution]")).size() == 50);
      button(sam, "Show older operations").click();
      sam.await(d -> d.findElements(By.cssSelector("tr[data-execution]")).size() == 55);
      assertTrue(sam.driver.findElements(By.xpath("//button[normalize-space()='Show older operations']")).isEmpty(), "the last page has no cursor");
      assertTrue(sam.driver.findElement(By.cssSelector("tr[data-execution]")).getText().contains("read_absorbance"));

      // A new operation appears at the top without a reload.
      ApiClient.Reply live = api.post("/api/v1/devices/" + LOGGED + "/execute", admin,
          ApiClient.json(Map.of("workflow_id", "calibration-run", "operation", "read_fluorescence")));
      assertEquals(200, live.status(), live.body());
      String liveId = live.json().get("execution_id").asText();
      sam.await(d -> liveId.equals(d.findElement(By.cssSelector("tr[data-execution]")).getAttribute("data-execution")));
      sam.await(d -> d.findElement(By.cssSelector("tr[data-execution]")).getText().contains("succeeded"));
      // Its result is read once it has finished (the change does not carry it).
      sam.await(d -> d.findElement(By.cssSelector("tr[data-execution] .result")).getText().contains("read_fluorescence"));
      sam.script("window.scrollTo(0, 0)");
      sam.screenshot("device-logs-1440");
      assertEquals(List.of(), sam.accessibilityViolations(), "axe-core on a device's execution log");
      sam.viewport(375, 812);
      sam.awaitVisible(By.id("f-start"));
      assertFitsAPhone(sam, "a device's execution log");
      sam.viewport(1440, 900);

      // The CSV of the range lands in the download folder (fetched with the token, saved from a blob).
      sam.driver.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toAbsolutePath().toString()));
      button(sam, "Download CSV").click();
      Path csv = sam.await(d -> {
        try (var files = Files.list(downloads)) {
          return files.filter(f -> f.getFileName().toString().startsWith(LOGGED + "-executions-") && f.toString().endsWith(".csv")).findFirst().orElse(null);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      List<String> lines = sam.await(d -> {
        try {
          List<String> read = Files.readAllLines(csv);
          return read.size() == 57 ? read : null;
        } catch (java.io.IOException e) {
          return null;
        }
      });
      assertEquals(ExecutionCsv.HEADER.strip(), lines.get(0));
      assertTrue(lines.get(1).startsWith(LOGGED + ".") && lines.get(1).contains("read_absorbance"), lines.get(1));
      assertTrue(lines.get(56).contains("read_fluorescence"), "oldest first, the newest last: " + lines.get(56));

      // A range after every operation shows none; a range that ends before it starts shows the API's message at From.
      setRange(sam, "return localValue(new Date(Date.now() + 3600e3))", "return ''");
      button(sam, "Search").click();
      sam.awaitVisible(By.xpath("//p[contains(., 'No operations started on " + LOGGED + " in this range')]"));
      setRange(sam, "return '2026-01-02T00:00'", "return '2026-01-01T00:00'");
      button(sam, "Search").click();
      WebElement error = sam.awaitVisible(By.id("f-start-error"));
      assertTrue(error.getText().contains("before end"), error.getText());
      assertEquals("true", sam.driver.findElement(By.id("f-start")).getAttribute("aria-invalid"));
    } finally {
      try (var files = Files.walk(downloads)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }

  /** Sets the From and To inputs as a user would (an input event Preact hears), from script expressions in the page. */
  static void setRange(Browser browser, String from, String to) {
    browser.script("""
        const localValue = (d) => new Date(d.getTime() - d.getTimezoneOffset() * 60000).toISOString().slice(0, 16);
        const set = (id, value) => {
          const input = document.getElementById(id);
          Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set.call(input, value);
          input.dispatchEvent(new Event('input', {bubbles: true}));
        };
        set('f-start', (() => { %s })());
        set('f-end', (() => { %s })());
        """.formatted(from, to));
  }
}
