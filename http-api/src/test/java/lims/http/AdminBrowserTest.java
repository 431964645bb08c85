package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.WebElement;

/**
 * The Administration screen in a real browser: an admin lists the users, creates one with a
 * role (the API's 400 at the fields, a taken name explained), another admin's page shows the
 * new user live, and the new user logs in and is shown the screens of that role only.
 */
@Tag("browser")
class AdminBrowserTest {

  static TestNode node;

  @BeforeAll
  static void start() {
    Browser.assumeInstalled();
    node = TestNode.start(TestDatabase.h2("admin-browser"));
    String admin = node.adminToken();
    node.api.createUser(admin, "tess", "technician-password", "technician");
    node.api.createUser(admin, "rhea", "reviewer-password", "reviewer", "scientist");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static void logIn(Browser browser, String user, String password, String path) {
    browser.driver.get(node.node.baseUrl() + path);
    browser.awaitVisible(By.id("username")).sendKeys(user);
    browser.driver.findElement(By.id("password")).sendKeys(password);
    browser.driver.findElement(By.cssSelector("button[type=submit]")).click();
    browser.awaitVisible(By.cssSelector("nav[aria-label=Main]"));
  }

  static WebElement userRow(Browser browser, String username) {
    return browser.awaitVisible(By.cssSelector("tr[data-user='" + username + "']"));
  }

  static List<String> navigation(Browser browser) {
    return browser.driver.findElements(By.cssSelector("nav[aria-label=Main] a")).stream().map(WebElement::getText).toList();
  }

  @Test
  void anAdminCreatesAUserWhoThenLogsInWithThatRole() throws Exception {
    try (Browser browser = new Browser(); Browser other = new Browser()) {
      browser.viewport(375, 812);
      logIn(browser, "admin", TestNode.ADMIN_PASSWORD, "/lab-tests");
      browser.driver.findElement(By.xpath("//nav//a[normalize-space()='Administration']")).click();
      assertTrue(userRow(browser, "rhea").getText().contains("reviewer"));
      assertTrue(userRow(browser, "rhea").getText().contains("scientist"));
      userRow(browser, "admin");
      long scrollWidth = (Long) browser.script("return document.documentElement.scrollWidth");
      assertTrue(scrollWidth <= 375, "the page scrolls sideways at 375 px: " + scrollWidth);
      browser.screenshot("admin-375");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on administration at 375 px");
      browser.viewport(1440, 900);
      userRow(browser, "tess");
      browser.screenshot("admin-1440");
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on administration at 1440 px");

      // Another admin's page, open meanwhile, is told of the new user by the live stream.
      other.viewport(1440, 900);
      logIn(other, "admin", TestNode.ADMIN_PASSWORD, "/admin");
      userRow(other, "tess");
      other.script("window.stillThisPage = true");

      browser.driver.findElement(By.xpath("//button[normalize-space()='Create user']")).click();
      browser.awaitVisible(By.cssSelector("[role=dialog]"));
      browser.driver.findElement(By.id("f-username")).sendKeys("Lab Newbie");
      browser.driver.findElement(By.id("f-password")).sendKeys("short");
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      assertFalse(browser.awaitVisible(By.id("f-username-error")).getText().isBlank());
      assertFalse(browser.awaitVisible(By.id("f-password-error")).getText().isBlank());
      assertFalse(browser.awaitVisible(By.id("f-roles-error")).getText().isBlank());
      assertEquals("true", browser.driver.findElement(By.id("f-username")).getAttribute("aria-invalid"));
      assertEquals(List.of(), browser.accessibilityViolations(), "axe-core on the create-user modal with field errors");

      browser.driver.findElement(By.id("f-username")).clear();
      browser.driver.findElement(By.id("f-username")).sendKeys("lab.newbie");
      browser.driver.findElement(By.id("f-password")).clear();
      browser.driver.findElement(By.id("f-password")).sendKeys("a-long-first-password");
      browser.driver.findElement(By.cssSelector("input[name=roles][value=technician]")).click();
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      browser.await(d -> d.findElements(By.cssSelector("[role=dialog]")).isEmpty());
      assertTrue(userRow(browser, "lab.newbie").getText().contains("technician"));
      assertTrue(userRow(other, "lab.newbie").getText().contains("technician"), "shown live on the other admin's page");
      assertEquals(true, other.script("return window.stillThisPage === true"), "without a reload");

      // The same name again: the conflict is explained at the name, nothing is created.
      browser.driver.findElement(By.xpath("//button[normalize-space()='Create user']")).click();
      browser.awaitVisible(By.id("f-username")).sendKeys("lab.newbie");
      browser.driver.findElement(By.id("f-password")).sendKeys("another-long-password");
      browser.driver.findElement(By.cssSelector("input[name=roles][value=viewer]")).click();
      browser.driver.findElement(By.cssSelector("[role=dialog] button[type=submit]")).click();
      assertTrue(browser.awaitVisible(By.id("f-username-error")).getText().contains("already exists"));
      browser.driver.findElement(By.xpath("//*[@role='dialog']//button[normalize-space()='Cancel']")).click();
    }
    try (Browser newbie = new Browser()) {
      newbie.viewport(1440, 900);
      logIn(newbie, "lab.newbie", "a-long-first-password", "/admin");
      assertEquals(List.of("Lab tests", "Specimens", "Devices", "Workflows", "Alarms", "Clients", "Operations"), navigation(newbie));
      newbie.await(d -> !"/admin".equals(newbie.script("return location.pathname")));
      assertTrue(newbie.driver.findElements(By.cssSelector("tr[data-user]")).isEmpty(), "a technician sees no users");
    }
  }
}
