package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.time.temporal.ChronoUnit;
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

/**
 * The web UI in a real browser (headless chromium) against a node started here: logging in,
 * the lab tests list, the create modal, what each role is shown, phone and desktop viewports.
 * Screenshots go to docs/screenshots/ (decision 0049).
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
    createLabTest(Map.of("title", "Stability check, batch 7", "type", "stability", "experiment", "EXP-2026-017",
        "schedule", Map.of("at", Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MINUTES).toString()),
        "action", Map.of("kind", "http", "url", "http://127.0.0.1:9/stability")));
    // The list reads the read table, which learns of a new test a moment later.
    node.eventually(() -> assertEquals(2, api.get("/api/v1/lab-tests", admin).json().get("items").size()));
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
  void aScientistLogsInAndSeesUpcomingLabTestsOnAPhoneAndADesktop() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(375, 812);
      browser.driver.get(node.node.baseUrl() + "/");
      browser.awaitVisible(By.id("username"));
      browser.screenshot("login-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the login screen");
      logIn(browser, "sam", "scientist-password");

      WebElement daily = row(browser, DAILY);
      String text = daily.getText();
      assertTrue(text.contains("calibration") && text.contains("EXP-2026-041"), text);
      assertTrue(text.contains("every day at 06:00 Europe/Berlin"), text);
      assertTrue(text.contains("lab.manager@example.org, qa@example.org"), text);
      assertTrue(text.contains("scheduled"), text);
      assertTrue(row(browser, "Stability check, batch 7").getText().contains("once"));
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows"), navigation(browser));
      assertEquals(1, browser.driver.findElements(By.xpath("//button[normalize-space()='Create test']")).size());
      assertEquals("/lab-tests", browser.script("return location.pathname"));
      long scrollWidth = (Long) browser.script("return document.documentElement.scrollWidth");
      assertTrue(scrollWidth <= 375, "the page scrolls sideways at 375 px: " + scrollWidth);
      browser.screenshot("lab-tests-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the lab tests list at 375 px");

      browser.viewport(1440, 900);
      row(browser, DAILY);
      browser.screenshot("lab-tests-1440");

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
  void theCreateModalShowsTheApisMessageAtTheCronFieldTrapsFocusAndClosesOnEscape() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      row(browser, DAILY);
      WebElement create = browser.driver.findElement(By.xpath("//button[normalize-space()='Create test']"));
      create.click();
      WebElement dialog = browser.awaitVisible(By.cssSelector("[role=dialog]"));
      assertEquals(browser.driver.findElement(By.id("f-title")), browser.driver.switchTo().activeElement(), "focus starts in the dialog");

      browser.driver.findElement(By.id("f-title")).sendKeys("Nightly blank run");
      dialog.findElement(By.xpath(".//label[contains(., 'Repeating')]/input")).click();
      WebElement cron = browser.awaitVisible(By.id("f-schedule-cron"));
      cron.clear();
      cron.sendKeys("0 0 25 * * ?");
      browser.driver.findElement(By.id("f-action-url")).sendKeys("http://127.0.0.1:9/blank");
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      String message = browser.awaitVisible(By.id("f-schedule-cron-error")).getText();
      assertFalse(message.isBlank());
      assertEquals("true", cron.getAttribute("aria-invalid"));
      browser.screenshot("create-lab-test-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the create modal showing a field error");
      assertEquals(2, api.get("/api/v1/lab-tests", admin).json().get("items").size(), "an invalid cron created nothing");

      // Tab from the last control comes back to the first: focus stays in the dialog.
      WebElement submit = dialog.findElement(By.cssSelector("button[type=submit]"));
      browser.script("arguments[0].focus()", submit);
      submit.sendKeys(Keys.TAB);
      assertTrue((Boolean) browser.script("return arguments[0].contains(document.activeElement)", dialog));

      browser.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
      browser.await(d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      assertEquals(create, browser.driver.switchTo().activeElement(), "focus goes back to the button that opened the dialog");

      // A valid one is created and listed.
      create.click();
      browser.awaitVisible(By.id("f-title")).sendKeys("Nightly blank run");
      browser.driver.findElement(By.xpath("//label[contains(., 'Repeating')]/input")).click();
      WebElement validCron = browser.awaitVisible(By.id("f-schedule-cron"));
      validCron.clear();
      validCron.sendKeys("0 30 2 * * ?");
      browser.driver.findElement(By.id("f-action-url")).sendKeys("http://127.0.0.1:9/blank");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      browser.await(d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      // The list reloads from the read table, which may learn of the test a moment later: reload until it shows.
      browser.await(d -> {
        if (d.findElements(By.cssSelector("tr[data-lab-test]")).stream().anyMatch(r -> r.getText().contains("Nightly blank run"))) return true;
        d.navigate().refresh();
        return null;
      });
    }
  }

  @Test
  void aViewerIsShownNoWriteActionsAndOnlyAnAdminSeesAdministration() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "vera", "viewer-password-1");
      row(browser, DAILY);
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows"), navigation(browser));
      assertTrue(browser.driver.findElements(By.xpath("//button[normalize-space()='Create test']")).isEmpty());
    }
    try (Browser browser = new Browser()) {
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows", "Administration"), navigation(browser));
    }
  }
}
