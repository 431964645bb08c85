package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.Select;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Clients and reports in a real browser: an admin creates a client with contacts (a bad
 * email refused at its row), registers a specimen for it with one more recipient, and, once
 * the specimen is approved behind the page's back, sees the report the node renders by itself
 * appear on the specimen's page without a reload, downloads its PDF (the bytes the API's
 * SHA-256 names) and renders it again as version 2. The Operations page lists a failed render
 * job and a failed delivery with their reasons and queues one again. Screenshots at 390 and
 * 1280 px go to docs/screenshots/.
 */
@Tag("browser")
class ReportsBrowserTest {

  static final String CLIENT = "ACME-LABS";
  /** The first render of a node loads fonts and templates: longer than Browser.WAIT on a busy machine. */
  static final Duration RENDER_WAIT = Duration.ofSeconds(90);

  static TestNode node;
  static ApiClient api;
  static String admin;
  static String tina;
  static String sam;
  static String rita;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    node = TestNode.start(TestDatabase.h2("reports-browser"));
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "tina", "technician-password", "technician");
    api.createUser(admin, "sam", "scientist-password", "scientist");
    api.createUser(admin, "rita", "reviewer-password", "reviewer");
    tina = api.login("tina", "technician-password");
    sam = api.login("sam", "scientist-password");
    rita = api.login("rita", "reviewer-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static void act(String id, String token, String... actions) {
    for (String action : actions) {
      ApiClient.Reply reply = api.post("/api/v1/specimens/" + id + "/transitions", token, ApiClient.json(Map.of("action", action)));
      assertEquals(200, reply.status(), action + ": " + reply.body());
    }
  }

  static void open(Browser browser, String path) {
    browser.driver.get(node.node.baseUrl() + path);
    browser.awaitVisible(By.cssSelector("main h2"));
  }

  static WebElement button(Browser browser, String label) {
    return browser.awaitVisible(By.xpath("//button[normalize-space()='" + label + "' and not(@disabled)]"));
  }

  /**
   * A screenshot at phone and desktop width, each checked by axe-core, and the phone for sideways
   * scrolling. {@code settled} waits for what the picture is of (and may scroll to it).
   */
  static void both(Browser browser, String name, Runnable settled) throws Exception {
    browser.viewport(390, 844);
    browser.script("window.scrollTo(0, 0)");
    settled.run();
    long width = (Long) browser.script("return document.documentElement.scrollWidth");
    assertTrue(width <= 390, name + " scrolls sideways at 390 px: " + width);
    browser.screenshot(name + "-390");
    assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on " + name + " at 390 px");
    browser.viewport(1280, 900);
    browser.script("window.scrollTo(0, 0)");
    settled.run();
    browser.screenshot(name + "-1280");
    assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on " + name + " at 1280 px");
  }

  static String sha256(Path file) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(file)));
  }

  @Test
  void aClientsSpecimenIsApprovedAndItsReportAppearsOnItsPageToDownload() throws Exception {
    Path downloads = Files.createTempDirectory("lims-report-downloads-");
    try (Browser browser = new Browser()) {
      browser.viewport(1280, 900);
      browser.logIn(node.node.baseUrl(), "admin", TestNode.ADMIN_PASSWORD);
      browser.driver.findElement(By.xpath("//nav//a[normalize-space()='Clients']")).click();
      assertTrue(browser.awaitVisible(By.cssSelector(".clients .empty")).getText().contains("No client"));

      // Create: a contact's bad email is refused at that contact's row; nothing is created.
      button(browser, "Create client").click();
      browser.awaitVisible(By.id("client-code")).sendKeys(CLIENT.toLowerCase());
      browser.driver.findElement(By.id("client-name")).sendKeys("Acme Laboratories");
      browser.driver.findElement(By.id("client-address")).sendKeys("1 Main Street\nSpringfield");
      List<WebElement> row = browser.driver.findElements(By.cssSelector(".contact-row input"));
      row.get(0).sendKeys("Ada Lovelace");
      row.get(1).sendKeys("ada@acme.example");
      button(browser, "Add contact").click();
      List<WebElement> second = browser.driver.findElements(By.cssSelector(".contact-row:nth-child(2) input"));
      browser.await(d -> second.get(0).equals(d.switchTo().activeElement()) ? true : null); // the new row takes focus
      second.get(0).sendKeys("Charles Babbage");
      second.get(1).sendKeys("charles-at-acme");
      second.get(2).click(); // not a report recipient
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      WebElement emailError = browser.awaitVisible(By.cssSelector(".contact-row:nth-child(2) .field-error"));
      assertFalse(emailError.getText().isBlank());
      assertEquals("true", second.get(1).getAttribute("aria-invalid"));
      assertEquals(404, api.get("/api/v1/clients/" + CLIENT, admin).status());
      both(browser, "client-form", () -> browser.awaitVisible(By.cssSelector("[role=dialog]")));
      second.get(1).clear();
      second.get(1).sendKeys("charles@acme.example");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();

      // The client's page: its contacts, and who gets its reports.
      browser.await(d -> ("/clients/" + CLIENT).equals(browser.script("return location.pathname")) ? true : null);
      browser.awaitVisible(By.cssSelector("tr[data-contact='charles@acme.example']"));
      assertTrue(browser.driver.findElement(By.cssSelector("tr[data-contact='ada@acme.example']")).getText().contains("yes"));
      assertTrue(browser.driver.findElement(By.cssSelector("tr[data-contact='charles@acme.example']")).getText().contains("no"));
      JsonNode client = api.get("/api/v1/clients/" + CLIENT, tina).json();
      assertEquals("1 Main Street\nSpringfield", client.get("address").asText());
      assertEquals(2, client.get("contacts").size());
      both(browser, "client", () -> browser.awaitVisible(By.cssSelector("tr[data-contact]")));
      open(browser, "/clients");
      both(browser, "clients", () -> browser.awaitVisible(By.cssSelector("tr[data-client='" + CLIENT + "']")));

      // Registered through the page for the client, with one more recipient.
      open(browser, "/specimens");
      button(browser, "Register specimen").click();
      WebElement choice = browser.awaitVisible(By.id("register-client-id"));
      browser.await(d -> choice.findElements(By.cssSelector("option[value='" + CLIENT + "']")).isEmpty() ? null : true);
      new Select(choice).selectByValue(CLIENT);
      assertTrue(browser.awaitVisible(By.id("register-client-id-hint")).getText().contains("ada@acme.example"));
      browser.driver.findElement(By.id("register-client-ref")).sendKeys("ACME-ORDER-77");
      browser.driver.findElement(By.id("register-type")).sendKeys("serum");
      browser.driver.findElement(By.id("register-tests-requested")).sendKeys("CRP");
      browser.driver.findElement(By.id("register-report-recipients")).sendKeys("archive@acme.example");
      both(browser, "register-for-client", () -> browser.awaitVisible(By.cssSelector("[role=dialog]")));
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      browser.await(d -> ((String) browser.script("return location.pathname")).matches("/specimens/SP-\\d{4}-\\d{6}") ? true : null);
      String id = ((String) browser.script("return location.pathname")).substring("/specimens/".length());
      JsonNode specimen = api.get("/api/v1/specimens/" + id, admin).json();
      assertEquals(CLIENT, specimen.get("client_id").asText());
      assertEquals("archive@acme.example", specimen.get("report_recipients").get(0).asText());
      String recipientsShown = SpecimensBrowserTest.awaitText(browser, "[data-fact=recipients]", "archive@acme.example");
      assertTrue(recipientsShown.contains("ada@acme.example") && !recipientsShown.contains("charles@"), recipientsShown);
      SpecimensBrowserTest.awaitText(browser, "[data-fact=client]", "Acme Laboratories");
      assertTrue(browser.driver.findElement(By.cssSelector(".reports-card")).getText().contains("rendered when the specimen is approved"));
      browser.screenshot("specimen-client-1280");

      // Approved behind the page's back: the report the node renders shows up on this page, without a reload.
      browser.script("window.stillThisPage = true");
      act(id, tina, "assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc");
      act(id, sam, "start_experiment", "finish_experiment");
      act(id, admin, "analysis_succeeded");
      act(id, rita, "approve");
      WebDriverWait render = new WebDriverWait(browser.driver, RENDER_WAIT);
      WebElement first = render.until(d -> d.findElements(By.cssSelector(".reports-card tr[data-version='1']")).stream().findFirst().orElse(null));
      assertEquals(true, browser.script("return window.stillThisPage === true"), "the report appeared without a reload");
      JsonNode stored = api.get("/api/v1/specimens/" + id + "/reports", admin).json().get("reports").get(0);
      String pdfHash = stored.get("pdf_sha256").asText();
      assertEquals(pdfHash, first.findElement(By.cssSelector("code[data-sha256]")).getAttribute("title"), "the full hash on hover");
      assertTrue(first.getText().contains(pdfHash.substring(0, 12)), first.getText());
      assertTrue(first.getText().contains("ada@acme.example") && first.getText().contains("archive@acme.example"), first.getText());
      SpecimensBrowserTest.awaitShownState(browser, "REPORTED");

      // The PDF, fetched with the token and saved: the bytes the stored SHA-256 names.
      browser.driver.executeCdpCommand("Browser.setDownloadBehavior", Map.of("behavior", "allow", "downloadPath", downloads.toAbsolutePath().toString()));
      String reportId = stored.get("report_id").asText();
      first.findElement(By.xpath(".//button[normalize-space()='PDF']")).click();
      Path pdf = browser.await(d -> {
        try (var files = Files.list(downloads)) {
          return files.filter(f -> f.getFileName().toString().equals(reportId + "-v1.pdf")).findFirst().orElse(null);
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
      browser.await(d -> {
        try {
          return pdfHash.equals(sha256(pdf)) ? true : null;
        } catch (Exception e) {
          return null; // still being written
        }
      });

      // Rendered again: version 2 joins, newest first, and version 1 stays.
      button(browser, "Render again").click();
      browser.awaitVisible(By.xpath("//*[@role='dialog']//button[normalize-space()='Render again']")).click();
      render.until(d -> d.findElements(By.cssSelector(".reports-card tr[data-version='2']")).isEmpty() ? null : true);
      SpecimensBrowserTest.awaitText(browser, ".reports-card .notice-ok", reportId + " version 2 is stored.");
      assertEquals(List.of("2", "1"), SpecimensBrowserTest.attributes(browser, ".reports-card tr[data-version]", "data-version"));
      both(browser, "specimen-reports", () -> browser.script("document.querySelector('.reports-card').scrollIntoView()"));
    }
    try (var files = Files.walk(downloads)) {
      files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void failedRenderJobsAndDeliveriesAreListedWithTheirReasonsAndQueuedAgain() throws Exception {
    // Reaching these for real takes every try and its back-off: the rows the node writes then are written here.
    long now = System.currentTimeMillis();
    node.update("INSERT INTO report_job (job_id, trigger_key, report_id, specimen_ids, requested_by, requested_at, status, attempts,"
        + " next_attempt_at, last_error, updated_at) VALUES (900001, 'browser-test', 'RP-2026-900001', 'SP-2026-900001', 'system', ?,"
        + " 'failed', 1, ?, 'the report needs 612 pages, over the cap of 500 (lims.reports.limits.max-pages)', ?)", now, now, now);
    node.update("INSERT INTO report_delivery (id, report_id, version, recipient, client_id, specimen_ids, message_id, status, attempts,"
        + " queued_at, next_attempt_at, last_error, failed_at, custody_recorded) VALUES ('DL-00000000000000000001', 'RP-2026-900002', 1,"
        + " 'results@clinic.example', 'CLINIC', 'SP-2026-900002', '<RP-2026-900002.v1.1@lab.example>', 'failed', 3, ?, ?,"
        + " '550 5.1.1 <results@clinic.example>: mailbox unavailable', ?, FALSE)", now, now, now);
    try (Browser browser = new Browser()) {
      browser.viewport(1280, 900);
      browser.logIn(node.node.baseUrl(), "tina", "technician-password");
      browser.driver.findElement(By.xpath("//nav//a[normalize-space()='Operations']")).click();
      WebElement job = browser.awaitVisible(By.cssSelector("tr[data-job='900001']"));
      assertTrue(job.getText().contains("612 pages"), job.getText());
      WebElement delivery = browser.awaitVisible(By.cssSelector("tr[data-delivery='DL-00000000000000000001']"));
      assertTrue(delivery.getText().contains("mailbox unavailable"), delivery.getText());
      both(browser, "operations", () -> browser.awaitVisible(By.cssSelector("tr[data-delivery]")));

      delivery.findElement(By.xpath(".//button[starts-with(normalize-space(), 'Try again')]")).click();
      browser.awaitVisible(By.cssSelector(".notice-ok"));
      browser.await(d -> d.findElements(By.cssSelector("tr[data-delivery]")).isEmpty() ? true : null);
      assertEquals("queued", api.get("/api/v1/deliveries?status=queued", tina).json().get("items").get(0).get("status").asText());
      assertEquals(0, api.get("/api/v1/deliveries?status=failed", tina).json().get("items").size());
    }
    try (Browser browser = new Browser()) {
      // A scientist may do neither: no Operations in the navigation, Clients there (every person reads clients).
      browser.viewport(1280, 900);
      browser.logIn(node.node.baseUrl(), "sam", "scientist-password");
      List<String> nav = browser.driver.findElements(By.cssSelector("nav[aria-label=Main] a")).stream().map(WebElement::getText).toList();
      assertTrue(nav.contains("Clients") && !nav.contains("Operations"), nav.toString());
    }
  }
}
