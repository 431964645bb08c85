package lims.http;

import java.io.File;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Assumptions;
import org.openqa.selenium.By;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebDriver;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;
import org.openqa.selenium.support.ui.WebDriverWait;

/**
 * Debian's headless chromium driven through Debian's chromedriver: both paths are given, so
 * Selenium never looks for (or downloads) a browser or a driver. Each browser has a fresh
 * profile of its own, so two of them are two users' sessions.
 */
final class Browser implements AutoCloseable {

  static final Path CHROMIUM = Path.of("/usr/bin/chromium");
  static final Path CHROMEDRIVER = Path.of("/usr/bin/chromedriver");
  static final Path SCREENSHOTS = Path.of("..", "docs", "screenshots");
  static final Duration WAIT = Duration.ofSeconds(20);

  final ChromeDriver driver;
  private final ChromeDriverService service;
  private final Path profile;

  /**
   * Skips the calling test only on a developer's machine without chromium; under CI (the
   * variable CI set) a missing browser fails, since a skipped test would pass. ./lims test
   * installs chromium and chromium-driver first.
   */
  static void assumeInstalled() {
    boolean installed = Files.isExecutable(CHROMIUM) && Files.isExecutable(CHROMEDRIVER);
    if (!installed && System.getenv("CI") != null) {
      throw new AssertionError("CI is set but " + CHROMIUM + " or " + CHROMEDRIVER + " is missing: apt-get install chromium chromium-driver");
    }
    Assumptions.assumeTrue(installed, "chromium and chromium-driver are not installed (./lims test installs them)");
  }

  Browser() throws IOException {
    profile = Files.createTempDirectory("lims-chromium-");
    service = new ChromeDriverService.Builder().usingDriverExecutable(CHROMEDRIVER.toFile()).usingAnyFreePort()
        .withLogFile(new File("target/chromedriver.log")).build();
    ChromeOptions options = new ChromeOptions();
    options.setBinary(CHROMIUM.toFile());
    options.addArguments("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-quic", "--no-first-run", "--disable-extensions",
        "--window-size=1440,900", "--user-data-dir=" + profile);
    driver = new ChromeDriver(service, options);
    driver.manage().timeouts().pageLoadTimeout(WAIT).scriptTimeout(WAIT);
  }

  /** The page's viewport exactly (CSS pixels, scale 1), as a phone or a desktop shows it. */
  void viewport(int width, int height) {
    driver.executeCdpCommand("Emulation.setDeviceMetricsOverride",
        Map.of("width", width, "height", height, "deviceScaleFactor", 1, "mobile", width < 600));
  }

  /** Logs in on the node's login page as a user would, and waits for the signed-in page's navigation. */
  void logIn(String baseUrl, String user, String password) {
    driver.get(baseUrl + "/");
    awaitVisible(By.id("username")).sendKeys(user);
    driver.findElement(By.id("password")).sendKeys(password);
    driver.findElement(By.cssSelector("button[type=submit]")).click();
    awaitVisible(By.cssSelector("nav[aria-label=Main]"));
  }

  <T> T await(Function<WebDriver, T> condition) {
    return new WebDriverWait(driver, WAIT).until(condition);
  }

  WebElement awaitVisible(By by) {
    return await(d -> d.findElements(by).stream().filter(WebElement::isDisplayed).findFirst().orElse(null));
  }

  Object script(String js, Object... args) {
    return driver.executeScript(js, args);
  }

  /** axe-core from the UI's own npm dependencies (pinned in ui/package-lock.json): nothing is fetched. */
  static final Path AXE = Path.of("..", "ui", "node_modules", "axe-core", "axe.min.js");

  /**
   * Runs axe-core on the page as it is now and answers its serious and critical violations,
   * one line each (rule, impact, the first elements): an empty list is a pass.
   */
  @SuppressWarnings("unchecked")
  java.util.List<String> accessibilityViolations() throws IOException {
    if (!Files.isReadable(AXE)) throw new AssertionError(AXE + " is missing: the UI's npm dependencies are installed by the Maven build (npm ci)");
    driver.executeScript(Files.readString(AXE));
    Object result = driver.executeAsyncScript(
        "const done = arguments[arguments.length - 1];"
            + "axe.run(document, {resultTypes: ['violations']}).then(r => done(r.violations"
            + "  .filter(v => v.impact === 'serious' || v.impact === 'critical')"
            + "  .map(v => v.id + ' (' + v.impact + '): ' + v.help + ' at ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))"
            + ".catch(e => done(['axe failed: ' + e]));");
    return (java.util.List<String>) result;
  }

  /** Saves what the viewport shows to docs/screenshots/{name}.png (committed, shown in the README). */
  void screenshot(String name) throws IOException {
    Files.createDirectories(SCREENSHOTS);
    Files.write(SCREENSHOTS.resolve(name + ".png"), driver.getScreenshotAs(OutputType.BYTES));
  }

  @Override
  public void close() throws IOException {
    try {
      driver.quit();
    } finally {
      service.stop();
      try (var files = Files.walk(profile)) {
        files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
      }
    }
  }
}
