package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The Workflows screen in a real browser: a technician creates a workflow on a registered
 * device with samples scanned by barcode, starts it, runs its steps and completes it, while a
 * viewer's page follows the progress live and offers no action; a start on a held device is
 * refused and explained, then queued, and starts by itself when the device is released.
 */
@Tag("browser")
class WorkflowsBrowserTest {

  static TestNode node;
  static String admin;
  static String tech;
  static String firstBarcode;
  static String secondBarcode;
  static String waiting;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    // The second step outlasts the execute wait (2 s): its end reaches the pages only through the live stream.
    node = TestNode.start(TestDatabase.h2("workflows-browser"), Map.of("lims.device.simulated-driver.durations.read_fluorescence", "3s"));
    admin = node.adminToken();
    node.api.createUser(admin, "tess", "technician-password", "technician");
    node.api.createUser(admin, "vera", "viewer-password-1", "viewer");
    tech = node.api.login("tess", "technician-password");
    for (String[] device : List.of(new String[] {"reader-1", "Plate reader 1", "plate_reader"}, new String[] {"incubator-2", "Incubator 2", "incubator"})) {
      assertEquals(201, node.api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", device[0], "name", device[1], "type", device[2]))).status());
    }
    firstBarcode = qcPassedSpecimen();
    secondBarcode = qcPassedSpecimen();
    waiting = workflow("Fluorescence check, batch 7", "reader-1", List.of("read_fluorescence"));
    workflow("Overnight incubation", "incubator-2", List.of(Map.of("operation", "incubate", "parameters", Map.of("minutes", 720))));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  /** A specimen walked to QC_PASSED, ready to go into an experiment; its barcode. */
  static String qcPassedSpecimen() {
    JsonNode s = node.api.post("/api/v1/specimens", tech, "{\"client_ref\":\"CLIENT-7\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}").json();
    for (String action : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc")) {
      assertEquals(200, node.api.post("/api/v1/specimens/" + s.get("id").asText() + "/transitions", tech, "{\"action\":\"" + action + "\"}").status());
    }
    return s.get("barcode").asText();
  }

  static String workflow(String name, String deviceId, List<Object> steps) {
    ApiClient.Reply reply = node.api.post("/api/v1/workflows", tech, ApiClient.json(Map.of("name", name, "device_id", deviceId,
        "sample_barcodes", List.of(), "steps", steps)));
    assertEquals(201, reply.status(), reply.body());
    return reply.json().get("id").asText();
  }

  static void logIn(Browser browser, String user, String password, String path) {
    browser.driver.get(node.node.baseUrl() + path);
    browser.awaitVisible(By.id("username")).sendKeys(user);
    browser.driver.findElement(By.id("password")).sendKeys(password);
    browser.driver.findElement(By.cssSelector("button[type=submit]")).click();
    browser.awaitVisible(By.cssSelector("nav[aria-label=Main]"));
  }

  static WebElement button(Browser browser, String text) {
    return browser.awaitVisible(By.xpath("//button[normalize-space()='" + text + "']"));
  }

  static void awaitStatus(Browser browser, String status) {
    browser.awaitVisible(By.cssSelector(".wf-detail .screen-head [data-status='" + status + "']"));
  }

  static void awaitStep(Browser browser, int index, String status) {
    browser.awaitVisible(By.cssSelector("li[data-step='" + index + "'][data-step-status='" + status + "']"));
  }

  static void checkPage(Browser browser, String screenshot, int width) throws Exception {
    if (width == 375) {
      long scrollWidth = (Long) browser.script("return document.documentElement.scrollWidth");
      assertTrue(scrollWidth <= 375, screenshot + " scrolls sideways at 375 px: " + scrollWidth);
    }
    browser.screenshot(screenshot);
    assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on " + screenshot);
  }

  @Test
  void aTechnicianCreatesStartsRunsAndCompletesAWorkflowWhileAViewerWatchesItLive() throws Exception {
    try (Browser technician = new Browser(); Browser viewer = new Browser()) {
      technician.viewport(1440, 900);
      logIn(technician, "tess", "technician-password", "/workflows");
      technician.awaitVisible(By.cssSelector("tr[data-workflow='" + waiting + "']"));
      checkPage(technician, "workflows-1440", 1440);

      // Create: the API's 400 shows at the field it names, a barcode no specimen has at the scanner field.
      button(technician, "Create workflow").click();
      technician.awaitVisible(By.cssSelector("[role=dialog]"));
      new Select(technician.driver.findElement(By.id("f-device_id"))).selectByValue("reader-1");
      WebElement scan = technician.driver.findElement(By.id("f-scan"));
      scan.sendKeys(firstBarcode + Keys.ENTER); // what a USB scanner types
      technician.awaitVisible(By.cssSelector("li[data-barcode='" + firstBarcode + "']"));
      scan.sendKeys("SP2026999999X" + Keys.ENTER);
      assertTrue(technician.awaitVisible(By.id("f-scan-error")).getText().contains("No specimen has the barcode"));
      scan.clear();
      scan.sendKeys(secondBarcode.toLowerCase() + Keys.ENTER);
      technician.awaitVisible(By.cssSelector("li[data-barcode='" + secondBarcode + "']"));
      new Select(technician.driver.findElement(By.id("f-step-0-operation"))).selectByValue("read_absorbance");
      technician.driver.findElement(By.id("f-step-0-parameters")).sendKeys("wavelength_nm=450");
      button(technician, "Add step").click();
      new Select(technician.awaitVisible(By.id("f-step-1-operation"))).selectByValue("read_fluorescence");
      technician.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      String nameError = technician.awaitVisible(By.id("f-name-error")).getText();
      assertTrue(!nameError.isBlank(), "the API's message for the empty name");
      assertEquals("true", technician.driver.findElement(By.id("f-name")).getAttribute("aria-invalid"));
      checkPage(technician, "create-workflow-1440", 1440);

      technician.driver.findElement(By.id("f-name")).sendKeys("Absorbance run, plate 12");
      technician.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      technician.await(d -> ((String) technician.script("return location.pathname")).startsWith("/workflows/WF-"));
      String id = ((String) technician.script("return location.pathname")).substring("/workflows/".length());
      awaitStatus(technician, "created");
      JsonNode created = node.api.get("/api/v1/workflows/" + id, tech).json();
      assertEquals("reader-1", created.get("device_id").asText());
      assertEquals(2, created.get("samples").size());
      assertEquals(450, created.get("steps").get(0).get("parameters").get("wavelength_nm").asInt());

      // A viewer opens the same workflow: it follows it without offering any action.
      viewer.viewport(1440, 900);
      logIn(viewer, "vera", "viewer-password-1", "/workflows/" + id);
      awaitStatus(viewer, "created");
      viewer.script("window.stillThisPage = true"); // gone if the page reloads
      assertTrue(viewer.driver.findElements(By.cssSelector(".wf-actions button")).isEmpty(), "a viewer is offered no workflow action");

      button(technician, "Start now").click();
      awaitStatus(technician, "running");
      awaitStatus(viewer, "running");

      technician.viewport(375, 812);
      button(technician, "Run step 1 of 2");
      checkPage(technician, "workflow-375", 375);
      technician.viewport(1440, 900);

      button(technician, "Run step 1 of 2").click();
      awaitStep(technician, 0, "succeeded");
      awaitStep(viewer, 0, "succeeded");
      assertTrue(viewer.awaitVisible(By.cssSelector(".wf-live")).getText().contains("1 of 2 steps"));

      // Step 2 outlasts the execute wait: it shows running, then ends by the live stream alone.
      button(technician, "Run step 2 of 2").click();
      awaitStep(viewer, 1, "running");
      awaitStep(technician, 1, "running");
      technician.awaitVisible(By.cssSelector(".wf-actions button.danger:not([disabled])")); // the 202 is in: nothing in flight
      checkPage(technician, "workflow-1440", 1440);
      awaitStep(technician, 1, "succeeded");
      awaitStep(viewer, 1, "succeeded");
      assertTrue(viewer.awaitVisible(By.cssSelector(".wf-live")).getText().contains("2 of 2 steps"));

      button(technician, "Complete").click();
      awaitStatus(technician, "completed");
      awaitStatus(viewer, "completed");
      assertEquals(true, viewer.script("return window.stillThisPage === true"), "the viewer's page followed without reloading");
      assertEquals("completed", node.api.get("/api/v1/workflows/" + id, tech).json().get("status").asText());
      node.eventually(() -> assertEquals("IN_ANALYSIS",
          node.api.get("/api/v1/specimens/" + created.get("samples").get(0).get("specimen_id").asText(), tech).json().get("state").asText()));

      // The list shows it completed, on a phone too.
      technician.driver.findElement(By.xpath("//a[normalize-space()='← All workflows']")).click();
      technician.await(d -> d.findElement(By.cssSelector("tr[data-workflow='" + id + "']")).getText().contains("completed"));
      technician.viewport(375, 812);
      technician.awaitVisible(By.cssSelector("tr[data-workflow='" + id + "']"));
      checkPage(technician, "workflows-375", 375);
      assertTrue(viewer.driver.findElements(By.xpath("//button[normalize-space()='Create workflow']")).isEmpty());
    }
  }

  @Test
  void aStartOnAHeldDeviceIsExplainedThenQueuedAndItStartsWhenTheDeviceIsReleasedOrIsCancelled() throws Exception {
    String holder = workflow("Holds the incubator", "incubator-2", List.of("heat"));
    assertEquals(200, node.api.post("/api/v1/workflows/" + holder + "/start", tech, "{}").status());
    String queued = workflow("Waits for the incubator", "incubator-2", List.of("cool"));
    try (Browser technician = new Browser()) {
      technician.viewport(1440, 900);
      logIn(technician, "tess", "technician-password", "/workflows/" + queued);
      awaitStatus(technician, "created");
      button(technician, "Start now").click();
      String notice = technician.awaitVisible(By.cssSelector(".wf-notice")).getText();
      assertTrue(notice.contains("refused") && notice.contains(holder), notice);
      awaitStatus(technician, "created"); // nothing was applied

      new Select(technician.driver.findElement(By.id("wf-priority"))).selectByValue("urgent");
      button(technician, "Queue on incubator-2").click();
      awaitStatus(technician, "queued");
      technician.await(d -> d.findElement(By.cssSelector(".wf-facts")).getText().contains("1 of 1, urgent"));
      JsonNode entry = node.api.get("/api/v1/devices/incubator-2/queue", tech).json().get(0);
      assertEquals(queued, entry.get("workflow_id").asText());
      assertEquals("urgent", entry.get("priority").asText());

      // The holder completes elsewhere: the device is granted to the queued workflow, and the page shows it running.
      assertEquals(200, node.api.post("/api/v1/workflows/" + holder + "/execute-step", tech, "{}").status());
      assertEquals(200, node.api.post("/api/v1/workflows/" + holder + "/complete", tech, "{}").status());
      awaitStatus(technician, "running");

      // Cancel asks first; keeping it changes nothing.
      button(technician, "Cancel workflow").click();
      technician.awaitVisible(By.cssSelector("[role=dialog]"));
      technician.driver.findElement(By.xpath("//*[@role='dialog']//button[normalize-space()='Keep']")).click();
      technician.await(d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      assertEquals("running", node.api.get("/api/v1/workflows/" + queued, tech).json().get("status").asText());
      button(technician, "Cancel workflow").click();
      technician.driver.findElement(By.xpath("//*[@role='dialog']//button[normalize-space()='Cancel workflow']")).click();
      awaitStatus(technician, "cancelled");
      assertTrue(technician.driver.findElements(By.cssSelector(".wf-actions button")).isEmpty());
      node.eventually(() -> assertEquals("available", node.api.get("/api/v1/devices/incubator-2", tech).json().get("status").asText()));
    }
  }
}
