package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The web UI's shell in a real browser (headless chromium) against a node started here:
 * logging in, the refresh cookie across a reload, logging out, and which screens each role is
 * shown. The lab tests screen itself is LabTestsBrowserTest. Screenshots go to
 * docs/screenshots/ (decision 0049).
 */
@Tag("browser")
class WebUiBrowserTest {

  static final String DAILY = "Daily calibration, plate reader 1";
  static TestNode node;
  static ApiClient api;
  static String admin;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    node = TestNode.start(TestDatabase.h2("web-ui-browser"));
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "sam", "scientist-password", "scientist");
    api.createUser(admin, "vera", "viewer-password-1", "viewer");
    createLabTest(Map.of("title", DAILY, "type", "calibration", "experiment", "EXP-2026-041",
        "recipients", List.of("lab.manager@example.org", "qa@example.org"),
        "schedule", Map.of("cron", "0 0 6 * * ?", "timezone", "Europe/Berlin"),
        "action", Map.of("kind", "http", "url", "http://127.0.0.1:9/calibrate")));
    // The list reads the read table, which learns of a new test a moment later.
    node.eventually(() -> assertEquals(1, api.get("/api/v1/lab-tests", admin).json().get("items").size()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static void createLabTest(Map<String, Object> definition) {
    ApiClient.Reply created = api.post("/api/v1/lab-tests", admin, ApiClient.json(definition));
    assertEquals(201, created.status(), created.body());
  }

  static void logIn(Browser browser, String user, String password) {
    logIn(browser, node, user, password);
  }

  /** Logs in on the page of that node; the landing page (its main navigation) is shown after. */
  static void logIn(Browser browser, TestNode node, String user, String password) {
    browser.logIn(node.node.baseUrl(), user, password);
  }

  static WebElement row(Browser browser, String title) {
    return browser.await(d -> d.findElements(By.cssSelector("tr[data-lab-test]")).stream()
        .filter(r -> r.getText().contains(title)).findFirst().orElse(null));
  }

  static List<String> navigation(Browser browser) {
    return browser.driver.findElements(By.cssSelector("nav[aria-label=Main] a")).stream().map(WebElement::getText).toList();
  }

  @Test
  void aScientistLogsInOnAPhoneStaysSignedInAcrossAReloadAndLogsOut() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(375, 812);
      browser.driver.get(node.node.baseUrl() + "/");
      browser.awaitVisible(By.id("username"));
      browser.screenshot("login-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the login screen");
      logIn(browser, "sam", "scientist-password");

      row(browser, DAILY);
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows", "Alarms", "Clients"), navigation(browser));
      assertEquals(1, browser.driver.findElements(By.xpath("//button[normalize-space()='Create test']")).size());
      assertEquals("/lab-tests", browser.script("return location.pathname"), "the lab tests are the landing page");
      long scrollWidth = (Long) browser.script("return document.documentElement.scrollWidth");
      assertTrue(scrollWidth <= 375, "the page scrolls sideways at 375 px: " + scrollWidth);

      browser.viewport(1440, 900);

      // A reload forgets the access token (memory only); the HttpOnly cookie signs the user in again.
      assertEquals("", browser.script("return document.cookie"), "the refresh cookie must not be readable by scripts");
      browser.driver.navigate().refresh();
      row(browser, DAILY);

      // Logging out revokes the cookie's token: a reload shows the login screen.
      browser.driver.findElement(By.xpath("//button[normalize-space()='Log out']")).click();
      browser.awaitVisible(By.id("username"));
      browser.driver.navigate().refresh();
      browser.awaitVisible(By.id("username"));
    }
  }

  @Test
  void aViewerIsShownNoWriteActionsAndOnlyAnAdminSeesAdministration() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "vera", "viewer-password-1");
      row(browser, DAILY);
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows", "Alarms", "Clients"), navigation(browser));
      assertTrue(browser.driver.findElements(By.xpath("//button[normalize-space()='Create test']")).isEmpty());
    }
    try (Browser browser = new Browser()) {
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows", "Alarms", "Clients", "Operations", "Administration"), navigation(browser));
    }
  }
}
