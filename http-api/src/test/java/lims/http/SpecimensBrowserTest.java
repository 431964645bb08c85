package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import lims.analysis.testing.SshServer;
import lims.kernel.testing.TestDatabase;
import lims.specimen.Barcodes;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;

/**
 * The Specimens screen in a real browser against a node started here: a specimen taken
 * through its lifecycle by its buttons, with the chain of custody growing at each step; the
 * scanner field; the filtered, live list and test batches; what each role is offered; and a
 * stale page, whose action the API refuses with 409 and the page explains. A pipeline that
 * holds its run (sleep on a local sshd) gives the analysis a time bound to count down.
 */
@Tag("browser")
class SpecimensBrowserTest {

  static TestNode node;
  static ApiClient api;
  static SshServer ssh;
  static String admin;
  static String tina;

  @BeforeAll
  static void start() throws Exception {
    Browser.assumeInstalled();
    Path dir = Files.createTempDirectory("specimens-browser-");
    ssh = SshServer.start(Files.createDirectories(dir.resolve("ssh")));
    Map<String, Object> settings = new HashMap<>(ssh.pipeline("hold", "sleep 900", Files.createDirectories(dir.resolve("results")), "12h"));
    settings.put("lims.analysis.default-pipeline", "hold");
    // The lifecycle test takes report_rendered by its button; an automatic report would race it.
    settings.put("lims.reports.automatic", false);
    node = TestNode.start(TestDatabase.h2("specimens-browser"), settings);
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "tina", "technician-password", "technician");
    api.createUser(admin, "rita", "reviewer-password", "reviewer");
    api.createUser(admin, "vera", "viewer-password-1", "viewer");
    tina = api.login("tina", "technician-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (ssh != null) ssh.close();
  }

  // --- through the API, behind the browser's back ------------------------------------------

  static String register(String clientRef) {
    ApiClient.Reply reply = api.post("/api/v1/specimens", tina,
        ApiClient.json(Map.of("client_ref", clientRef, "type", "serum", "tests_requested", List.of("CRP"))));
    assertEquals(201, reply.status(), reply.body());
    return reply.json().get("id").asText();
  }

  static void move(String id, String token, String... actions) {
    for (String action : actions) {
      ApiClient.Reply reply = api.post("/api/v1/specimens/" + id + "/transitions", token, ApiClient.json(Map.of("action", action)));
      assertEquals(200, reply.status(), action + ": " + reply.body());
    }
  }

  static JsonNode specimen(String id) {
    return api.get("/api/v1/specimens/" + id, admin).json();
  }

  static List<String> custodyActions(String id) {
    List<String> actions = new ArrayList<>();
    api.get("/api/v1/specimens/" + id + "/history", admin).json().forEach(h -> actions.add(h.get("action").asText()));
    return actions;
  }

  // --- in the browser ----------------------------------------------------------------------

  static void logIn(Browser browser, String user, String password) {
    browser.driver.get(node.node.baseUrl() + "/specimens");
    browser.awaitVisible(By.id("username")).sendKeys(user);
    browser.driver.findElement(By.id("password")).sendKeys(password);
    browser.driver.findElement(By.cssSelector("button[type=submit]")).click();
    browser.awaitVisible(By.cssSelector("nav[aria-label=Main]"));
  }

  static void logOut(Browser browser) {
    browser.driver.findElement(By.xpath("//button[normalize-space()='Log out']")).click();
    browser.awaitVisible(By.id("username"));
  }

  static void openSpecimen(Browser browser, String id) {
    browser.driver.get(node.node.baseUrl() + "/specimens/" + id);
    browser.await(d -> d.findElements(By.id("specimen-heading")).stream().anyMatch(h -> h.getText().startsWith(id)));
  }

  /** The state the stepper marks as current. */
  static String shownState(Browser browser) {
    return browser.awaitVisible(By.cssSelector(".lifecycle li[aria-current=step]")).getAttribute("data-state");
  }

  static void awaitShownState(Browser browser, String state) {
    browser.await(d -> d.findElements(By.cssSelector(".lifecycle li[aria-current=step][data-state=" + state + "]")).isEmpty() ? null : true);
  }

  static WebElement actionButton(Browser browser, String label) {
    return browser.awaitVisible(By.xpath("//div[@aria-label='Actions']//button[normalize-space()='" + label + "' and not(@disabled)]"));
  }

  /** Presses an action's button, as a user would, and waits for the page to show where it led. */
  static void press(Browser browser, String label, String expectedState) {
    actionButton(browser, label).click();
    awaitShownState(browser, expectedState);
    browser.awaitVisible(By.cssSelector(".notice-ok"));
  }

  static List<String> actionsOffered(Browser browser) {
    return attributes(browser, "div[aria-label=Actions] button", "data-action");
  }

  static List<String> custodyShown(Browser browser) {
    return attributes(browser, "table.custody tr[data-custody]", "data-custody");
  }

  static void assertNoSidewaysScroll(Browser browser, String where) {
    long width = (Long) browser.script("return document.documentElement.scrollWidth");
    assertTrue(width <= 375, where + " scrolls sideways at 375 px: " + width);
  }

  /** Waits until the first element matching shows this text, and answers all its text (read in one script, never stale). */
  static String awaitText(Browser browser, String selector, String text) {
    return browser.await(d -> {
      String shown = String.valueOf(browser.script("const e = document.querySelector(arguments[0]); return e ? e.innerText : ''", selector));
      return shown.contains(text) ? shown : null;
    });
  }

  static List<String> listed(Browser browser) {
    return attributes(browser, "tr[data-specimen]", "data-specimen");
  }

  /** One attribute of every element matching, read in one script: a live re-render cannot make an element stale halfway. */
  @SuppressWarnings("unchecked")
  static List<String> attributes(Browser browser, String selector, String attribute) {
    return (List<String>) browser.script("return [...document.querySelectorAll(arguments[0])].map(e => e.getAttribute(arguments[1]))", selector, attribute);
  }

  @Test
  void aSpecimenGoesThroughItsLifecycleByButtonsAndTheCustodyTableShowsEachStep() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);

      // Registration: the API's 400 is shown at the field it names, and nothing is registered.
      browser.awaitVisible(By.xpath("//button[normalize-space()='Register specimen']")).click();
      browser.awaitVisible(By.id("register-client-ref")).sendKeys("clinic-browser-1");
      browser.driver.findElement(By.id("register-type")).sendKeys("serum");
      WebElement tests = browser.driver.findElement(By.id("register-tests-requested"));
      tests.sendKeys("CBC bad!code");
      new Select(browser.driver.findElement(By.id("register-priority"))).selectByValue("urgent");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      String message = browser.awaitVisible(By.id("register-tests-requested-error")).getText();
      assertTrue(message.contains("test code"), message);
      assertEquals("true", tests.getAttribute("aria-invalid"));
      browser.screenshot("register-specimen-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the registration form showing a field error");
      assertEquals(0, api.get("/api/v1/specimens?client_ref=clinic-browser-1", admin).json().get("items").size());

      tests.clear();
      tests.sendKeys("CBC, CRP");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      browser.await(d -> ((String) browser.script("return location.pathname")).matches("/specimens/SP-\\d{4}-\\d{6}") ? true : null);
      String id = ((String) browser.script("return location.pathname")).substring("/specimens/".length());
      assertEquals("REGISTERED", shownState(browser));
      assertEquals(List.of("CBC", "CRP"), List.of(specimen(id).get("tests_requested").get(0).asText(), specimen(id).get("tests_requested").get(1).asText()));

      press(browser, "Assign barcode", "BARCODED");
      press(browser, "Receive", "RECEIVED");
      press(browser, "Start preparation", "IN_PREPARATION");
      press(browser, "Finish preparation", "QC_PENDING");
      press(browser, "Pass QC", "QC_PASSED");
      press(browser, "Start experiment", "IN_EXPERIMENT");
      press(browser, "Finish experiment", "IN_ANALYSIS");

      // The run the experiment started: running on the pipeline host, its 12 h bound counting down, shown live.
      String run = "AN-" + id + "-1";
      String runRow = awaitText(browser, "tr[data-analysis='" + run + "']", "running");
      // Just under 12 h: shown as "11 h 59 min" or, rounded up to the minute on a quick machine, "12 h 0 min".
      assertTrue(runRow.matches("(?s).*(1[01] h \\d+|12 h 0) min left.*"), runRow);

      // The location: a bad well is refused at the field; a good one is marked on the plate.
      WebElement plate = browser.driver.findElement(By.id("locate-plate"));
      plate.sendKeys("P-7");
      WebElement well = browser.driver.findElement(By.id("locate-well"));
      well.sendKeys("Z9");
      browser.driver.findElement(By.xpath("//button[normalize-space()='Set location']")).click();
      assertFalse(browser.awaitVisible(By.id("locate-well-error")).getText().isBlank());
      well.clear();
      well.sendKeys("C7");
      browser.driver.findElement(By.xpath("//button[normalize-space()='Set location']")).click();
      browser.awaitVisible(By.cssSelector(".well.here[data-well=C7]"));
      assertEquals("Plate P-7, well C7", browser.driver.findElement(By.cssSelector(".plate figcaption")).getText());
      browser.await(d -> "ready".equals(d.findElement(By.cssSelector(".tube-label")).getAttribute("data-label-state")) ? true : null);
      assertTrue((Long) browser.script("return document.querySelector('.tube-label canvas').width") > 100, "the label PNG is drawn");
      // Printed, the page keeps the specimen and its label and drops the navigation and the controls.
      browser.driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("media", "print"));
      assertFalse(browser.driver.findElement(By.cssSelector("header.bar")).isDisplayed());
      assertFalse(browser.driver.findElement(By.cssSelector("div[aria-label=Actions]")).isDisplayed());
      assertTrue(browser.driver.findElement(By.cssSelector(".tube-label canvas")).isDisplayed());
      browser.driver.executeCdpCommand("Emulation.setEmulatedMedia", Map.of("media", ""));
      browser.script("window.scrollTo(0, 0)");
      browser.screenshot("specimen-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on a specimen's page");

      press(browser, "Record analysis succeeded", "IN_REVIEW");
      // An outcome reported by hand cancels the run under way: its row follows live.
      awaitText(browser, "tr[data-analysis='" + run + "']", "cancelled");
      assertFalse(actionsOffered(browser).contains("approve"), "an admin may do everything but approve");

      // A reason is required for a re-experiment: the prompt does not send an empty one.
      actionButton(browser, "Request re-experiment").click();
      WebElement dialog = browser.awaitVisible(By.cssSelector("[role=dialog]"));
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      assertEquals("A reason is required.", browser.awaitVisible(By.id("f-reason-error")).getText());
      assertEquals("IN_REVIEW", specimen(id).get("state").asText());
      browser.driver.findElement(By.id("f-reason")).sendKeys("Control well out of range");
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      awaitShownState(browser, "IN_EXPERIMENT");
      press(browser, "Finish experiment", "IN_ANALYSIS");
      press(browser, "Record analysis succeeded", "IN_REVIEW");

      // Four eyes: the reviewer, who took no part in the experiment, approves.
      logOut(browser);
      logIn(browser, "rita", "reviewer-password");
      openSpecimen(browser, id);
      press(browser, "Approve", "APPROVED");
      logOut(browser);
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      openSpecimen(browser, id);
      press(browser, "Record report rendered", "REPORTED");
      press(browser, "Deliver", "DELIVERED");
      assertEquals(List.of(), actionsOffered(browser), "a delivered specimen is final");

      // The chain of custody: every step, who, in which role, from where and why.
      List<String> expected = List.of("register", "assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc",
          "start_experiment", "finish_experiment", "set_location", "analysis_succeeded", "request_reexperiment", "finish_experiment",
          "analysis_succeeded", "approve", "report_rendered", "deliver");
      assertEquals(expected, custodyActions(id));
      browser.await(d -> custodyShown(browser).equals(expected) ? true : null);
      List<WebElement> rows = browser.driver.findElements(By.cssSelector("table.custody tr[data-custody]"));
      String reexperiment = rows.get(10).getText();
      assertTrue(reexperiment.contains("Control well out of range") && reexperiment.contains("admin") && reexperiment.contains("In review → In experiment"),
          reexperiment);
      String approval = rows.get(13).getText();
      assertTrue(approval.contains("rita") && approval.contains("reviewer") && approval.contains("127.0.0.1"), approval);
      assertTrue(rows.get(8).getText().contains("P-7 · C7"), rows.get(8).getText());
    }
  }

  @Test
  void theListFiltersAndFollowsChangesLiveAndTheScannerOpensASpecimen() throws Exception {
    String client = "ward-" + System.nanoTime();
    String first = register(client + "-a");
    String second = register(client + "-b");
    String third = register(client + "-c");
    move(second, tina, "assign_barcode", "receive");
    api.send("PUT", "/api/v1/specimens/" + second + "/location", tina, "{\"plate\":\"P-2\",\"well\":\"B3\"}", Map.of("Content-Type", "application/json"));
    String barcode = specimen(third).get("barcode").asText();
    node.eventually(() -> assertEquals(200, api.get("/api/v1/samples/" + barcode, tina).status()));

    try (Browser browser = new Browser()) {
      browser.viewport(375, 812);
      logIn(browser, "tina", "technician-password");
      WebElement filter = browser.awaitVisible(By.id("filter-client"));
      filter.sendKeys(client);
      browser.await(d -> listed(browser).equals(List.of(first, second, third)) ? true : null);
      awaitText(browser, "tr[data-specimen='" + second + "']", "P-2 · B3");
      browser.script("window.scrollTo(0, 0)");
      browser.screenshot("specimens-375");
      assertNoSidewaysScroll(browser, "the specimens list");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the specimens list at 375 px");

      new Select(browser.driver.findElement(By.id("filter-state"))).selectByValue("RECEIVED");
      browser.await(d -> listed(browser).equals(List.of(second)) ? true : null);
      new Select(browser.driver.findElement(By.id("filter-state"))).selectByValue("");
      browser.await(d -> listed(browser).size() == 3 ? true : null);

      // Live: a specimen registered elsewhere is added; a transition elsewhere changes its row.
      String fourth = register(client + "-d");
      browser.await(d -> listed(browser).contains(fourth) ? true : null);
      move(first, admin, "assign_barcode");
      browser.await(d -> attributes(browser, "tr[data-specimen='" + first + "'] [data-state]", "data-state").equals(List.of("BARCODED")) ? true : null);

      browser.viewport(1440, 900);
      browser.script("window.scrollTo(0, 0)");
      browser.screenshot("specimens-1440");

      // A test batch of the specimens ticked in the list.
      for (String id : List.of(first, second)) {
        browser.driver.findElement(By.cssSelector("tr[data-specimen='" + id + "'] input[type=checkbox]")).click();
      }
      browser.driver.findElement(By.xpath("//button[normalize-space()='Create test batch (2)']")).click();
      browser.awaitVisible(By.id("batch-test_code")).sendKeys("CBC");
      String batchKey = browser.driver.findElement(By.id("batch-batch_key")).getAttribute("value");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      String recorded = browser.awaitVisible(By.cssSelector("[role=dialog] [role=status]")).getText();
      assertTrue(recorded.contains("2 analysis requests") && recorded.contains(batchKey), recorded);
      assertEquals(1, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "TestBatch|" + batchKey));
      browser.driver.findElement(By.xpath("//button[normalize-space()='Done']")).click();

      // The scanner types the code and Enter: the specimen opens.
      browser.driver.findElement(By.id("scan-barcode")).sendKeys(barcode + Keys.ENTER);
      browser.await(d -> ("/specimens/" + third).equals(browser.script("return location.pathname")) ? true : null);
      assertEquals("REGISTERED", shownState(browser));
      assertTrue(browser.driver.findElement(By.id("specimen-heading")).getText().startsWith(third));

      String unknown = Barcodes.forSpecimen("SP-2026-999999");
      browser.driver.findElement(By.id("scan-barcode")).sendKeys(unknown + Keys.ENTER);
      assertEquals("No specimen has the barcode " + unknown + ".", browser.awaitVisible(By.id("scan-barcode-error")).getText());
      assertEquals("/specimens/" + third, browser.script("return location.pathname"), "a barcode not found opens nothing");
      WebElement scan = browser.driver.findElement(By.id("scan-barcode"));
      String misread = unknown.substring(0, unknown.length() - 1) + (unknown.endsWith("0") ? "1" : "0"); // a wrong check character
      scan.sendKeys(Keys.chord(Keys.CONTROL, "a"), misread + Keys.ENTER);
      awaitText(browser, "#scan-barcode-error", "not a specimen barcode");

      browser.viewport(375, 812);
      browser.script("window.scrollTo(0, 0)");
      shownState(browser);
      browser.screenshot("specimen-375");
      assertNoSidewaysScroll(browser, "a specimen's page");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on a specimen's page at 375 px");
    }
  }

  @Test
  void aTechnicianCannotApproveAndAViewerIsOfferedNoWriteAction() throws Exception {
    String id = register("clinic-roles");
    move(id, admin, "assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc", "start_experiment",
        "finish_experiment", "analysis_succeeded");
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "tina", "technician-password");
      openSpecimen(browser, id);
      assertEquals("IN_REVIEW", shownState(browser));
      assertEquals(List.of("request_resample", "cancel"), actionsOffered(browser), "a technician may not approve (nor re-experiment)");
      assertTrue(specimen(id).get("allowed_actions").toString().contains("approve"), "approve is legal here: only the role keeps it away");
      logOut(browser);

      logIn(browser, "rita", "reviewer-password");
      openSpecimen(browser, id);
      assertTrue(actionsOffered(browser).contains("approve"), "the reviewer is offered approve");
      logOut(browser);

      logIn(browser, "vera", "viewer-password-1");
      browser.awaitVisible(By.id("scan-barcode"));
      browser.await(d -> listed(browser).contains(id) || !d.findElements(By.cssSelector(".more button")).isEmpty() ? true : null);
      assertTrue(browser.driver.findElements(By.xpath("//button[normalize-space()='Register specimen']")).isEmpty());
      assertTrue(browser.driver.findElements(By.xpath("//button[starts-with(normalize-space(), 'Create test batch')]")).isEmpty());
      assertTrue(browser.driver.findElements(By.cssSelector("tr[data-specimen] input[type=checkbox]")).isEmpty());
      openSpecimen(browser, id);
      assertEquals(List.of(), actionsOffered(browser), "a viewer is offered no action");
      assertTrue(browser.driver.findElements(By.cssSelector("form.locate")).isEmpty(), "nor the location form");
      assertEquals("In review", browser.driver.findElement(By.cssSelector("#specimen-heading .status")).getText());
    }
  }

  @Test
  void aStalePageHasItsActionRefusedExplainedAndNothingApplied() throws Exception {
    // A live page, the user deciding in the reason prompt while someone else moves the specimen on.
    String id = register("clinic-stale-1");
    move(id, tina, "assign_barcode");
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      openSpecimen(browser, id);
      assertEquals("BARCODED", shownState(browser));
      actionButton(browser, "Cancel specimen").click();
      browser.awaitVisible(By.id("f-reason")).sendKeys("Tube cracked");
      move(id, tina, "receive");
      awaitShownState(browser, "RECEIVED"); // the page behind the prompt follows live
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      String notice = browser.awaitVisible(By.cssSelector(".notice-warn")).getText();
      assertTrue(notice.contains("Not applied") && notice.contains("Barcoded") && notice.contains("now Received") && notice.contains("tina"), notice);
      assertEquals("RECEIVED", specimen(id).get("state").asText(), "cancel is legal from RECEIVED too, but the user chose it for BARCODED");
      assertEquals(List.of("register", "assign_barcode", "receive"), custodyActions(id));
    }

    // A page whose live stream is down: it still shows the state the user saw when they press.
    String other = register("clinic-stale-2");
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      browser.driver.executeCdpCommand("Network.enable", Map.of());
      browser.driver.executeCdpCommand("Network.setBlockedURLs", Map.of("urls", List.of("*/api/v1/events*")));
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      openSpecimen(browser, other);
      assertEquals("REGISTERED", shownState(browser));
      move(other, tina, "assign_barcode", "receive");
      assertEquals("REGISTERED", shownState(browser), "no live change reaches this page");
      actionButton(browser, "Assign barcode").click();
      String notice = browser.awaitVisible(By.cssSelector(".notice-warn")).getText();
      assertTrue(notice.contains("Not applied") && notice.contains("Registered") && notice.contains("now Received"), notice);
      awaitShownState(browser, "RECEIVED"); // the page shows the specimen as it is now
      assertTrue(actionsOffered(browser).contains("start_preparation"));
      assertEquals(List.of("register", "assign_barcode", "receive"), custodyActions(other), "nothing was applied");
    }
  }
}
