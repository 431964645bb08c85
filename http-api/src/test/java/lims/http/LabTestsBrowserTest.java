package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * The lab tests screen in a real browser (headless chromium) against a node started here, whose
 * HTTP actions call a receiver started here: the list, the create and edit modal with the
 * server's schedule preview, a one-time test that fires and shows in its logs live, the row
 * menu (pause, resume, run now, delete), dead letters retried by hand, and what a viewer is
 * shown. Screenshots go to docs/screenshots/ (ordered, so they show the same lab each run).
 */
@Tag("browser")
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LabTestsBrowserTest {

  static final String DAILY = "Daily calibration, plate reader 1";
  static final String STABILITY = "Stability check, batch 7";
  static final String BROKEN = "Nightly export to the archive";
  /** Long enough for a test scheduled by typing in the modal to be shown before it fires. */
  static final int FIRES_IN_SECONDS = 30;

  static TestNode node;
  static ApiClient api;
  static String admin;
  static HttpServer receiver;
  /** Each call the receiver got: path and Idempotency-Key (the execution id). */
  static final List<String[]> calls = new CopyOnWriteArrayList<>();
  /** The status the receiver answers on a path (200 when not set). */
  static final Map<String, Integer> answers = new ConcurrentHashMap<>();

  @BeforeAll
  static void start() throws IOException {
    Browser.assumeInstalled();
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext("/", exchange -> {
      exchange.getRequestBody().readAllBytes();
      String path = exchange.getRequestURI().getPath();
      calls.add(new String[] {path, exchange.getRequestHeaders().getFirst("Idempotency-Key")});
      exchange.sendResponseHeaders(answers.getOrDefault(path, 200), -1);
      exchange.close();
    });
    receiver.setExecutor(Executors.newFixedThreadPool(2));
    receiver.start();

    node = TestNode.start(TestDatabase.h2("lab-tests-browser"));
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "sam", "scientist-password", "scientist");
    api.createUser(admin, "vera", "viewer-password-1", "viewer");
    create(Map.of("title", DAILY, "type", "calibration", "experiment", "EXP-2026-041",
        "recipients", List.of("lab.manager@example.org", "qa@example.org"),
        "schedule", Map.of("cron", "0 0 6 * * ?", "timezone", "Europe/Berlin"),
        "action", Map.of("kind", "http", "url", receiverUrl("/calibrate"))));
    create(Map.of("title", STABILITY, "type", "stability", "experiment", "EXP-2026-017",
        "schedule", Map.of("at", Instant.now().plus(3, ChronoUnit.DAYS).truncatedTo(ChronoUnit.MINUTES).toString()),
        "action", Map.of("kind", "http", "url", receiverUrl("/stability"))));
    // A test whose only run fails every attempt: an open dead letter that stays (no one retries it).
    answers.put("/archive", 503);
    String broken = create(Map.of("title", BROKEN, "type", "export", "schedule", Map.of("at", Instant.now().plusSeconds(1).toString()),
        "action", Map.of("kind", "http", "url", receiverUrl("/archive")), "max_retries", 0));
    node.eventually(() -> assertEquals(1, api.get("/api/v1/dead-letters?lab_test_id=" + broken, admin).json().get("items").size()));
    node.eventually(() -> assertEquals(3, api.get("/api/v1/lab-tests", admin).json().get("items").size()));
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (receiver != null) receiver.stop(0);
  }

  static String receiverUrl(String path) {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
  }

  static String create(Map<String, Object> definition) {
    ApiClient.Reply created = api.post("/api/v1/lab-tests", admin, ApiClient.json(definition));
    assertEquals(201, created.status(), created.body());
    return created.json().get("id").asText();
  }

  static JsonNode labTest(String id) {
    return api.get("/api/v1/lab-tests/" + id, admin).json();
  }

  static List<String[]> callsTo(String path) {
    return calls.stream().filter(c -> c[0].equals(path)).toList();
  }

  // --- the browser ----------------------------------------------------------------------

  static void logIn(Browser browser, String user, String password) {
    WebUiBrowserTest.logIn(browser, node, user, password);
  }

  static WebElement row(Browser browser, String title) {
    return await(browser, d -> d.findElements(By.cssSelector("tr[data-lab-test]")).stream()
        .filter(r -> r.findElement(By.cssSelector("td.title")).getText().startsWith(title)).findFirst().orElse(null));
  }

  static boolean listed(WebDriver driver, String title) {
    return driver.findElements(By.cssSelector("tr[data-lab-test] td.title")).stream().anyMatch(t -> t.getText().startsWith(title));
  }

  /** Opens a row's action menu and answers the labels of its items. */
  static List<String> openMenu(Browser browser, String title) {
    WebElement button = row(browser, title).findElement(By.cssSelector(".menu-button"));
    button.click();
    return await(browser, d -> {
      List<WebElement> items = row(browser, title).findElements(By.cssSelector(".menu-list li"));
      return items.isEmpty() ? null : items.stream().map(WebElement::getText).toList();
    });
  }

  static void choose(Browser browser, String title, String item) {
    openMenu(browser, title);
    row(browser, title).findElement(By.xpath(".//ul[contains(@class,'menu-list')]//*[normalize-space()='" + item + "']")).click();
  }

  static String status(Browser browser, String title) {
    return row(browser, title).findElement(By.cssSelector("td[data-label=Status]")).getText();
  }

  /** Types into an input the way a user does: the value, then the input event the page listens to (for a date-time picker). */
  static void setValue(Browser browser, WebElement input, String value) {
    browser.script("const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
        + "set.call(arguments[0], arguments[1]); arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", input, value);
  }

  static void assertNoSidewaysScroll(Browser browser, int width) {
    long scrollWidth = (Long) browser.script("return document.documentElement.scrollWidth");
    assertTrue(scrollWidth <= width, "the page scrolls sideways at " + width + " px: " + scrollWidth);
  }

  /** Awaits a condition on a page that changes live: an element replaced while it is read is read again. */
  static <T> T await(Browser browser, java.util.function.Function<WebDriver, T> condition) {
    return new WebDriverWait(browser.driver, Browser.WAIT).ignoring(StaleElementReferenceException.class).until(condition);
  }

  static <T> T awaitLong(Browser browser, java.util.function.Function<WebDriver, T> condition) {
    return new WebDriverWait(browser.driver, Duration.ofSeconds(FIRES_IN_SECONDS + 60)).ignoring(StaleElementReferenceException.class).until(condition);
  }

  // --- the tests ------------------------------------------------------------------------

  @Test
  @Order(1)
  void theListShowsEachTestsScheduleInWordsNextRunRecipientsAndStatusOnAPhoneAndADesktop() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "sam", "scientist-password");
      String daily = row(browser, DAILY).getText();
      assertTrue(daily.contains("calibration") && daily.contains("EXP-2026-041"), daily);
      assertTrue(daily.contains("every day at 06:00 Europe/Berlin"), "the server's words: " + daily);
      assertTrue(daily.contains("lab.manager@example.org, qa@example.org"), daily);
      assertTrue(daily.contains("scheduled"), daily);
      assertTrue(row(browser, STABILITY).getText().contains("once"));
      // The dead letter of the failed export, with the test's name and a retry for a scientist.
      WebElement letter = browser.awaitVisible(By.cssSelector("tr[data-dead-letter]"));
      assertTrue(letter.getText().contains("503"), letter.getText());
      assertEquals(1, letter.findElements(By.xpath(".//button[normalize-space()='Retry']")).size());
      browser.screenshot("lab-tests-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the lab tests list at 1440 px");

      browser.viewport(375, 812);
      row(browser, DAILY);
      assertNoSidewaysScroll(browser, 375);
      browser.screenshot("lab-tests-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the lab tests list at 375 px");

      // The views: paused tests are listed apart (an upcoming list has no next run for them).
      new org.openqa.selenium.support.ui.Select(browser.driver.findElement(By.cssSelector(".head-tools select"))).selectByValue("dead_lettered");
      row(browser, BROKEN);
      assertFalse(listed(browser.driver, DAILY));
    }
  }

  @Test
  @Order(2)
  void anInvalidCronShowsTheApisMessageAtTheCronFieldAndCreatesNothingAndAValidOneShowsItsNextFiveRuns() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD);
      row(browser, DAILY);
      int before = api.get("/api/v1/lab-tests", admin).json().get("items").size();
      WebElement create = browser.driver.findElement(By.xpath("//button[normalize-space()='Create test']"));
      create.click();
      WebElement dialog = browser.awaitVisible(By.cssSelector("[role=dialog]"));
      assertEquals(browser.driver.findElement(By.id("f-title")), browser.driver.switchTo().activeElement(), "focus starts in the dialog");

      browser.driver.findElement(By.id("f-title")).sendKeys("Nightly blank run");
      dialog.findElement(By.xpath(".//label[contains(., 'Repeating')]/input")).click();
      WebElement cron = browser.awaitVisible(By.id("f-schedule-cron"));
      WebElement zone = browser.driver.findElement(By.id("f-schedule-timezone"));
      zone.clear();
      zone.sendKeys("Europe/Berlin");
      cron.clear();
      cron.sendKeys("0 0 25 * * ?");
      browser.driver.findElement(By.id("f-action-url")).sendKeys(receiverUrl("/blank"));
      // The preview reads the cron as the user types: the API's own message, at the cron field, before anything is sent.
      String expected = api.post("/api/v1/lab-tests/preview", admin, ApiClient.json(Map.of("schedule", Map.of("cron", "0 0 25 * * ?", "timezone",
          "Europe/Berlin")))).json().get("errors").get(0).get("message").asText();
      assertEquals(expected, browser.awaitVisible(By.id("f-schedule-cron-error")).getText());
      assertEquals("true", cron.getAttribute("aria-invalid"));
      dialog.findElement(By.cssSelector("button[type=submit]")).click();
      await(browser, d -> d.switchTo().activeElement().getAttribute("id").equals("f-schedule-cron") ? true : null);
      assertEquals(expected, browser.awaitVisible(By.id("f-schedule-cron-error")).getText(), "the create's 400, at the cron field");
      assertEquals(before, api.get("/api/v1/lab-tests", admin).json().get("items").size(), "an invalid cron created nothing");

      // A valid cron: the server's words and the next five runs, as the scheduler computes them.
      cron.clear();
      cron.sendKeys("0 30 6 ? * MON-FRI");
      JsonNode preview = api.post("/api/v1/lab-tests/preview", admin, ApiClient.json(Map.of("schedule", Map.of("cron", "0 30 6 ? * MON-FRI",
          "timezone", "Europe/Berlin")))).json();
      String words = preview.get("schedule").get("description").asText();
      WebElement reading = new WebDriverWait(browser.driver, Browser.WAIT).ignoring(StaleElementReferenceException.class)
          .withMessage(() -> "the preview of " + cron.getAttribute("value") + " shows: " + browser.script("return document.querySelector('[data-preview]').innerText"))
          .until(d -> d.findElements(By.cssSelector("[data-preview] .reading")).stream().filter(r -> r.getText().contains(words)).findFirst().orElse(null));
      assertNotNull(reading);
      List<WebElement> fires = browser.driver.findElements(By.cssSelector("[data-preview] .fires li"));
      assertEquals(5, fires.size());
      for (int i = 0; i < 5; i++) {
        assertEquals(preview.get("next_fires").get(i).get("at").asText(), fires.get(i).findElement(By.tagName("time")).getAttribute("datetime"));
        assertTrue(fires.get(i).getText().contains("06:30:00 (UTC+0"), fires.get(i).getText());
      }
      assertTrue(browser.driver.findElements(By.id("f-schedule-cron-error")).isEmpty(), "the message went with the invalid cron");
      browser.screenshot("create-lab-test-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the create modal");

      browser.viewport(375, 812);
      browser.awaitVisible(By.cssSelector("[data-preview] .fires"));
      assertNoSidewaysScroll(browser, 375);
      browser.screenshot("create-lab-test-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the create modal at 375 px");
      browser.viewport(1440, 900);

      // Tab from the last control comes back to the first: focus stays in the dialog.
      WebElement submit = dialog.findElement(By.cssSelector("button[type=submit]"));
      browser.script("arguments[0].focus()", submit);
      submit.sendKeys(Keys.TAB);
      assertTrue((Boolean) browser.script("return arguments[0].contains(document.activeElement)", dialog));

      browser.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
      await(browser, d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      assertEquals(create, browser.driver.switchTo().activeElement(), "focus goes back to the button that opened the dialog");
      assertEquals(before, api.get("/api/v1/lab-tests", admin).json().get("items").size(), "closing created nothing");
    }
  }

  @Test
  @Order(3)
  void aOneTimeTestCreatedInTheModalIsListedAndItsExecutionAppearsInItsLogsLiveWhenItFires() throws Exception {
    String title = "Blank run, plate 3";
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "sam", "scientist-password");
      row(browser, DAILY);
      browser.driver.findElement(By.xpath("//button[normalize-space()='Create test']")).click();
      browser.awaitVisible(By.id("f-title")).sendKeys(title);
      browser.driver.findElement(By.id("f-type")).sendKeys("blank");
      browser.driver.findElement(By.id("f-experiment")).sendKeys("EXP-2026-050");
      // "Once" is the default; the date and time are in the zone shown (the browser's own).
      WebElement at = browser.driver.findElement(By.id("f-schedule-at"));
      browser.script("const d = new Date(Date.now() + arguments[1] * 1000), p = (n) => String(n).padStart(2, '0');"
          + "const v = d.getFullYear() + '-' + p(d.getMonth() + 1) + '-' + p(d.getDate()) + 'T' + p(d.getHours()) + ':' + p(d.getMinutes()) + ':' + p(d.getSeconds());"
          + "const set = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value').set;"
          + "set.call(arguments[0], v); arguments[0].dispatchEvent(new Event('input', {bubbles: true}));", at, FIRES_IN_SECONDS);
      browser.driver.findElement(By.id("f-action-url")).sendKeys(receiverUrl("/blank-run"));
      browser.driver.findElement(By.id("f-recipients")).sendKeys("lab.manager@example.org");
      int fires = await(browser, d -> {
        List<WebElement> shown = d.findElements(By.cssSelector("[data-preview] .fires li"));
        return shown.isEmpty() ? null : shown.size();
      });
      assertEquals(1, fires, "a one-time test runs once");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      await(browser, d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());

      // Listed at once, without a reload; the marker would be gone after one.
      browser.script("window.sameDocument = true");
      String id = row(browser, title).getAttribute("data-lab-test");
      JsonNode stored = labTest(id);
      assertEquals("blank", stored.get("type").asText());
      assertEquals(receiverUrl("/blank-run"), stored.get("action").get("url").asText());
      assertEquals("lab.manager@example.org", stored.get("recipients").get(0).asText());

      choose(browser, title, "Show logs");
      await(browser, d -> ("/lab-tests/" + id).equals(browser.script("return location.pathname")) ? true : null);
      browser.awaitVisible(By.xpath("//p[contains(., 'No executions yet')]"));
      assertTrue(callsTo("/blank-run").isEmpty(), "the test fired before its logs were shown; raise FIRES_IN_SECONDS");

      WebElement execution = awaitLong(browser, d -> d.findElements(By.cssSelector("tr[data-execution]")).stream()
          .filter(r -> r.getText().contains("succeeded")).findFirst().orElse(null));
      String text = execution.getText();
      assertTrue(text.contains("POST " + receiverUrl("/blank-run") + " answered 200"), "its log lines: " + text);
      assertTrue(text.contains("on schedule"), text);
      assertEquals(Boolean.TRUE, browser.script("return window.sameDocument === true"), "shown live, not by reloading the page");
      assertEquals(1, callsTo("/blank-run").size());
      assertEquals(execution.getAttribute("data-execution"), callsTo("/blank-run").get(0)[1], "the call carried the execution id");
      await(browser, d -> d.findElement(By.id("lab-test-heading")).getText().contains("completed") ? true : null);
      browser.screenshot("lab-test-logs-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on a lab test's logs");

      browser.viewport(375, 812);
      browser.script("arguments[0].scrollIntoView()", browser.awaitVisible(By.id("executions-heading")));
      browser.awaitVisible(By.cssSelector("tr[data-execution]"));
      assertNoSidewaysScroll(browser, 375);
      browser.screenshot("lab-test-logs-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on a lab test's logs at 375 px");
    }
  }

  @Test
  @Order(4)
  void theRowMenuEditsPausesResumesRunsNowAndDeletesByKeyboardAndPointer() throws Exception {
    String title = "Hourly OD600 read";
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "sam", "scientist-password");
      row(browser, DAILY);
      browser.script("window.sameDocument = true");
      // Created elsewhere (here through the API): listed live.
      String id = create(Map.of("title", title, "schedule", Map.of("cron", "0 0 * * * ?", "timezone", "UTC"),
          "action", Map.of("kind", "http", "url", receiverUrl("/od600"))));
      assertTrue(row(browser, title).getText().contains("every hour"), row(browser, title).getText());

      // By keyboard: Enter opens the menu on its first item, Escape closes it and gives focus back.
      WebElement button = row(browser, title).findElement(By.cssSelector(".menu-button"));
      browser.script("arguments[0].focus()", button);
      button.sendKeys(Keys.ENTER);
      await(browser, d -> "Edit".equals(d.switchTo().activeElement().getText()) ? true : null);
      assertEquals(List.of("Edit", "Show logs", "Run now", "Pause", "Delete…"),
          row(browser, title).findElements(By.cssSelector(".menu-list li")).stream().map(WebElement::getText).toList());
      browser.driver.switchTo().activeElement().sendKeys(Keys.ESCAPE);
      await(browser, d -> row(browser, title).findElements(By.cssSelector(".menu-list")).isEmpty());
      assertEquals("false", button.getAttribute("aria-expanded"));
      assertEquals(button, browser.driver.switchTo().activeElement(), "focus back on the menu's button");

      // Edit: the same form, filled with the test as it is; PUT.
      choose(browser, title, "Edit");
      WebElement titleField = browser.awaitVisible(By.id("f-title"));
      assertEquals(title, titleField.getAttribute("value"));
      assertEquals("0 0 * * * ?", browser.driver.findElement(By.id("f-schedule-cron")).getAttribute("value"));
      browser.driver.findElement(By.id("f-experiment")).sendKeys("EXP-2026-061");
      browser.driver.findElement(By.xpath("//button[normalize-space()='Save']")).click();
      await(browser, d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      await(browser, d -> row(browser, title).getText().contains("EXP-2026-061") ? true : null);
      assertEquals("EXP-2026-061", labTest(id).get("experiment").asText());

      choose(browser, title, "Pause");
      await(browser, d -> status(browser, title).equals("paused") ? true : null);
      assertEquals("paused", labTest(id).get("status").asText());
      assertEquals("—", row(browser, title).findElement(By.cssSelector("td[data-label='Next run']")).getText());
      assertEquals(List.of("Edit", "Show logs", "Resume", "Delete…"), openMenu(browser, title), "a paused test offers resume");
      row(browser, title).findElement(By.xpath(".//button[normalize-space()='Resume']")).click();
      await(browser, d -> status(browser, title).equals("scheduled") ? true : null);
      assertEquals("scheduled", labTest(id).get("status").asText());

      // Paused and resumed by someone else: shown live.
      assertEquals(200, api.post("/api/v1/lab-tests/" + id + "/pause", admin, "").status());
      await(browser, d -> status(browser, title).equals("paused") ? true : null);
      assertEquals(200, api.post("/api/v1/lab-tests/" + id + "/resume", admin, "").status());
      await(browser, d -> status(browser, title).equals("scheduled") ? true : null);

      choose(browser, title, "Run now");
      awaitLong(browser, d -> callsTo("/od600").size() == 1 ? true : null);
      await(browser, d -> status(browser, title).equals("scheduled") ? true : null);

      choose(browser, title, "Delete…");
      WebElement confirm = browser.awaitVisible(By.cssSelector("[role=dialog]"));
      assertTrue(confirm.getText().contains(title), confirm.getText());
      confirm.findElement(By.xpath(".//button[normalize-space()='Delete lab test']")).click();
      await(browser, d -> listed(d, title) ? null : true);
      assertEquals(404, api.get("/api/v1/lab-tests/" + id, admin).status());

      // Deleted by someone else: gone live.
      String weekly = "Weekly balance check";
      String other = create(Map.of("title", weekly, "schedule", Map.of("cron", "0 0 7 ? * MON", "timezone", "UTC"),
          "action", Map.of("kind", "http", "url", receiverUrl("/balance"))));
      row(browser, weekly);
      assertEquals(200, api.send("DELETE", "/api/v1/lab-tests/" + other, admin, null, Map.of()).status());
      await(browser, d -> listed(d, weekly) ? null : true);
      assertEquals(Boolean.TRUE, browser.script("return window.sameDocument === true"), "all of it live, without a reload");
    }
  }

  @Test
  @Order(5)
  void aDeadLetterIsRetriedByHandAndLeavesTheListWhenTheRetrySucceeds() throws Exception {
    String title = "Flaky balance check";
    answers.put("/flaky", 503);
    String id = create(Map.of("title", title, "schedule", Map.of("at", Instant.now().plusSeconds(1).toString()),
        "action", Map.of("kind", "http", "url", receiverUrl("/flaky")), "max_retries", 0));
    node.eventually(() -> assertEquals(1, api.get("/api/v1/dead-letters?lab_test_id=" + id, admin).json().get("items").size()));
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "sam", "scientist-password");
      browser.driver.get(node.node.baseUrl() + "/lab-tests/" + id);
      WebElement letter = browser.awaitVisible(By.cssSelector("tr[data-dead-letter]"));
      assertTrue(letter.getText().contains("503"), letter.getText());
      answers.put("/flaky", 200);
      letter.findElement(By.xpath(".//button[normalize-space()='Retry']")).click();
      await(browser, d -> d.findElements(By.cssSelector("tr[data-dead-letter]")).isEmpty() ? true : null);
      browser.awaitVisible(By.xpath("//p[contains(., 'No open dead letters')]"));
      await(browser, d -> d.findElements(By.cssSelector("tr[data-execution]")).stream().anyMatch(r -> r.getText().contains("succeeded")) ? true : null);
      assertTrue(browser.driver.findElement(By.cssSelector("tr[data-execution]")).getText().contains("retried by sam"));
      assertEquals("completed", labTest(id).get("status").asText());
      assertEquals(2, callsTo("/flaky").size());
    }
  }

  @Test
  @Order(6)
  void aViewerIsShownNoWriteActions() throws Exception {
    try (Browser browser = new Browser()) {
      browser.viewport(1440, 900);
      logIn(browser, "vera", "viewer-password-1");
      row(browser, DAILY);
      assertTrue(browser.driver.findElements(By.xpath("//button[normalize-space()='Create test']")).isEmpty());
      assertEquals(List.of("Show logs"), openMenu(browser, DAILY), "a viewer reads the logs, nothing more");
      WebElement letter = browser.awaitVisible(By.cssSelector("tr[data-dead-letter]"));
      assertTrue(letter.getText().contains(BROKEN), letter.getText());
      assertTrue(browser.driver.findElements(By.xpath("//button[normalize-space()='Retry']")).isEmpty());

      row(browser, DAILY).findElement(By.xpath(".//a[normalize-space()='Show logs']")).click();
      browser.awaitVisible(By.id("executions-heading"));
      await(browser, d -> d.findElement(By.id("lab-test-heading")).getText().contains(DAILY) ? true : null);
      assertTrue(browser.driver.findElements(By.cssSelector(".menu-button")).isEmpty(), "no actions on the test's page");
      assertTrue(browser.driver.findElements(By.cssSelector("main button")).stream().noneMatch(b -> b.getText().matches("Retry|Edit|Pause|Resume|Run now|Delete.*")));
    }
  }
}
