package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The web UI served by a real node at / (decision 0049): from the jar, cached by name, with its security headers. */
class WebUiTest {

  static TestNode node;
  static ApiClient api;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.h2("web-ui"));
    api = node.api;
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  /** The Maven build puts ui/dist into the jar under ui/; a missing resource folder would be skipped without a word. */
  @Test
  void theBuildPackagedTheWebUi() {
    assertNotNull(WebUi.class.getClassLoader().getResource("ui/index.html"),
        "ui/index.html is not on the classpath: the UI was not built (npm ci + npm run build in ui/) or not packaged");
    assertTrue(new WebUi().packaged());
  }

  @Test
  void indexIsServedAtTheRootRevalidatedEveryTimeAndNamesItsHashedBundle() {
    ApiClient.Reply index = api.get("/", null);
    assertEquals(200, index.status());
    assertTrue(index.contentType().startsWith("text/html"), index.contentType());
    assertEquals("no-cache", index.header("Cache-Control"));
    assertTrue(index.body().contains("<div id=\"app\">"), index.body());
    assertNoInlineCode(index.body());

    String script = bundle(index.body(), "script");
    ApiClient.Reply js = api.get(script, null);
    assertEquals(200, js.status());
    assertTrue(js.contentType().startsWith("text/javascript"), js.contentType());
    assertEquals("public, max-age=31536000, immutable", js.header("Cache-Control"));
    ApiClient.Reply css = api.get(bundle(index.body(), "link"), null);
    assertEquals(200, css.status());
    assertTrue(css.contentType().startsWith("text/css"), css.contentType());
  }

  @Test
  void everyAnswerCarriesAContentSecurityPolicyWithoutInlineOrEvalOrOtherOrigins() {
    for (String path : new String[] {"/", "/lab-tests", "/api/v1/auth/me", "/health"}) {
      ApiClient.Reply reply = api.get(path, null);
      String csp = reply.header("Content-Security-Policy");
      assertNotNull(csp, path);
      assertTrue(csp.contains("default-src 'self'") && csp.contains("frame-ancestors 'none'") && csp.contains("object-src 'none'"), csp);
      assertFalse(csp.contains("unsafe-inline") || csp.contains("unsafe-eval") || csp.contains("http") || csp.contains("*"), csp);
      assertEquals("nosniff", reply.header("X-Content-Type-Options"), path);
      assertEquals("no-referrer", reply.header("Referrer-Policy"), path);
      assertEquals("DENY", reply.header("X-Frame-Options"), path);
    }
  }

  @Test
  void aPageOfTheAppAnswersIndexSoAReloadKeepsItsPlace() {
    String index = api.get("/", null).body();
    for (String page : new String[] {"/lab-tests", "/specimens/SP-1234", "/admin/users/"}) {
      ApiClient.Reply reply = api.get(page, null);
      assertEquals(200, reply.status(), page);
      assertEquals(index, reply.body(), page);
      assertEquals("no-cache", reply.header("Cache-Control"), page);
    }
  }

  @Test
  void aMissingFileUnknownApiPathOrWriteIsAProblemNotThePage() {
    problem(api.get("/assets/app-MISSING.js", null), 404);
    problem(api.get("/robots.txt", null), 404);
    problem(api.get("/api/v1/no-such-thing", null), 404);
    problem(api.get("/api", null), 404);
    problem(api.post("/lab-tests", null, "{}"), 404);
  }

  @Test
  void nothingOutsideTheUiFolderCanBeReached() {
    for (String path : new String[] {"/..%2Fopenapi.yaml", "/%2e%2e/openapi.yaml", "/assets/..%2F..%2Flogback.xml", "/openapi.yaml",
        "/.hidden.js", "/assets/%00.js"}) {
      ApiClient.Reply reply = api.get(path, null);
      assertTrue(reply.status() == 404 || reply.status() == 400, path + " answered " + reply.status() + ": " + reply.body());
    }
  }

  @Test
  void filesGoGzippedToBrowsersThatAcceptItAndAnUnchangedFileIs304() {
    String script = bundle(api.get("/", null).body(), "script");
    ApiClient.Reply plain = api.get(script, null);
    ApiClient.Reply gzipped = api.send("GET", script, null, null, Map.of("Accept-Encoding", "gzip"));
    assertEquals("gzip", gzipped.header("Content-Encoding"));
    assertTrue(gzipped.body().length() < plain.body().length());
    ApiClient.Reply again = api.send("GET", script, null, null, Map.of("If-None-Match", plain.header("ETag")));
    assertEquals(304, again.status());
  }

  private static String bundle(String index, String tag) {
    Matcher m = Pattern.compile("<" + tag + "[^>]+(?:src|href)=\"(/assets/[A-Za-z0-9._-]+)\"").matcher(index);
    assertTrue(m.find(), "index.html names no " + tag + " bundle: " + index);
    return m.group(1);
  }

  /** The policy forbids inline code: the page must not need any. */
  private static void assertNoInlineCode(String html) {
    assertFalse(Pattern.compile("<script(?![^>]*\\ssrc=)[^>]*>").matcher(html).find(), "inline script in " + html);
    assertFalse(html.contains("<style") || html.contains(" style=") || html.contains(" onload="), "inline style or handler in " + html);
  }
}
