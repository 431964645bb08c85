package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigValueFactory;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import lims.kernel.NodeConfig;
import lims.kernel.testing.TestDatabase;
import lims.kernel.Role;
import lims.security.TokenService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Tokens, roles and durable users, over HTTP against a real node. */
@Tag("database")
class AuthTest {

  static Map<String, Object> database;
  static TestNode node;
  static ApiClient api;
  static String admin;
  static final Config JWT = NodeConfig.load("test", Map.of()).getConfig("lims.security.jwt");

  @BeforeAll
  static void start() {
    database = TestDatabase.fresh("auth");
    node = TestNode.start(database);
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "vera", "viewer-password-1", "viewer");
    api.createUser(admin, "tom", "technician-password", "technician");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void aTokenFromTheTokenEndpointOpensApiPaths() {
    ApiClient.Reply login = api.post("/api/v1/auth/token", null, "{\"username\":\"tom\",\"password\":\"technician-password\"}");
    assertEquals(200, login.status());
    JsonNode tokens = login.json();
    assertEquals("Bearer", tokens.get("token_type").asText());
    assertTrue(tokens.get("expires_in").asLong() > 0);
    JsonNode me = api.get("/api/v1/auth/me", tokens.get("access_token").asText()).json();
    assertEquals("tom", me.get("username").asText());
    assertEquals("[\"technician\"]", me.get("roles").toString());
  }

  @Test
  void wrongPasswordAndUnknownUserAre401() {
    problem(api.post("/api/v1/auth/token", null, "{\"username\":\"tom\",\"password\":\"not-his-password\"}"), 401);
    problem(api.post("/api/v1/auth/token", null, "{\"username\":\"nobody\",\"password\":\"whatever-password\"}"), 401);
  }

  @Test
  void everyApiPathButTokenAndRefreshNeedsAToken() {
    List<String> open = new ArrayList<>();
    for (Endpoint e : node.node.endpoints()) {
      String path = e.template().replaceAll("\\{[^}]+}", "x");
      if (!path.startsWith("/api/v1/")) continue;
      ApiClient.Reply reply = api.send(e.method().name(), path, null, e.method().name().equals("GET") ? null : "{}",
          Map.of("Content-Type", "application/json"));
      if (reply.status() != 401) open.add(e.method().name() + " " + e.template() + " -> " + reply.status());
    }
    assertEquals(List.of("POST /api/v1/auth/token -> 400", "POST /api/v1/auth/refresh -> 400", "DELETE /api/v1/auth/refresh -> 400"), open);
  }

  @Test
  void missingOrMalformedAuthorizationIs401() {
    problem(api.get("/api/v1/auth/me", null), 401);
    problem(api.send("GET", "/api/v1/auth/me", null, null, Map.of("Authorization", "Basic YWRtaW46YWRtaW4=")), 401);
    problem(api.get("/api/v1/auth/me", "not-a-jwt"), 401);
    problem(api.get("/api/v1/auth/me", "a.b.c"), 401);
  }

  @Test
  void expiredTokenIs401() {
    Clock yesterday = Clock.fixed(Instant.now().minus(Duration.ofDays(1)), ZoneOffset.UTC);
    String expired = new TokenService(JWT, yesterday).issue("admin", EnumSet.of(Role.ADMIN)).accessToken();
    JsonNode body = problem(api.get("/api/v1/auth/me", expired), 401);
    assertEquals("token expired", body.get("detail").asText());
  }

  @Test
  void tokenSignedWithAnotherKeyIs401() {
    Config otherKey = JWT.withValue("secret", ConfigValueFactory.fromAnyRef("another-key-that-is-32-bytes-long!!"));
    String forged = new TokenService(otherKey, Clock.systemUTC()).issue("admin", EnumSet.of(Role.ADMIN)).accessToken();
    problem(api.get("/api/v1/auth/me", forged), 401);
    problem(api.post("/api/v1/users", forged, "{}"), 401);
  }

  @Test
  void unsignedAlgNoneTokenIs401() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString("{\"alg\":\"none\",\"typ\":\"JWT\"}".getBytes(StandardCharsets.UTF_8));
    long exp = Instant.now().plusSeconds(600).getEpochSecond();
    String claims = b64.encodeToString(("{\"iss\":\"lims\",\"sub\":\"admin\",\"kind\":\"access\",\"roles\":[\"admin\"],\"exp\":" + exp + "}")
        .getBytes(StandardCharsets.UTF_8));
    problem(api.get("/api/v1/auth/me", header + "." + claims + "."), 401);
    problem(api.get("/api/v1/users/admin", header + "." + claims + "."), 401);
  }

  @Test
  void refreshAndAccessTokensAreNotInterchangeable() {
    JsonNode pair = api.post("/api/v1/auth/token", null, "{\"username\":\"vera\",\"password\":\"viewer-password-1\"}").json();
    problem(api.get("/api/v1/auth/me", pair.get("refresh_token").asText()), 401);
    problem(api.post("/api/v1/auth/refresh", null, ApiClient.json(Map.of("refresh_token", pair.get("access_token").asText()))), 401);
  }

  @Test
  void refreshIssuesANewWorkingPair() {
    JsonNode pair = api.post("/api/v1/auth/token", null, "{\"username\":\"vera\",\"password\":\"viewer-password-1\"}").json();
    ApiClient.Reply refreshed = api.post("/api/v1/auth/refresh", null, ApiClient.json(Map.of("refresh_token", pair.get("refresh_token").asText())));
    assertEquals(200, refreshed.status(), refreshed.body());
    String access = refreshed.json().get("access_token").asText();
    assertNotEquals(pair.get("access_token").asText(), access);
    assertEquals("vera", api.get("/api/v1/auth/me", access).json().get("username").asText());
    problem(api.post("/api/v1/auth/refresh", null, "{\"refresh_token\":\"garbage\"}"), 401);
  }

  // --- the browser's refresh cookie (decision 0049) ---------------------------------

  /** Logs vera in as the web UI does; returns the Set-Cookie header. */
  static String browserLogin(String user, String password) {
    ApiClient.Reply login = api.post("/api/v1/auth/token", null,
        ApiClient.json(Map.of("username", user, "password", password, "refresh_cookie", true)));
    assertEquals(200, login.status(), login.body());
    assertTrue(login.json().has("access_token"));
    assertFalse(login.json().has("refresh_token"), "the refresh token must not reach a script: " + login.body());
    return login.header("Set-Cookie");
  }

  static String cookieValue(String setCookie) {
    return setCookie.substring(0, setCookie.indexOf(';'));
  }

  static ApiClient.Reply withCookie(String method, String cookie) {
    return api.send(method, "/api/v1/auth/refresh", null, null, Map.of("Cookie", "theme=dark; " + cookie));
  }

  @Test
  void aBrowserGetsItsRefreshTokenAsAnHttpOnlyStrictCookieOnTheRefreshPathOnly() {
    String setCookie = browserLogin("vera", "viewer-password-1");
    assertTrue(setCookie.startsWith("lims_refresh=ey"), setCookie);
    List<String> attributes = List.of(setCookie.split(";\\s*"));
    assertTrue(attributes.containsAll(List.of("Path=/api/v1/auth/refresh", "HttpOnly", "Secure", "SameSite=Strict",
        "Max-Age=" + JWT.getDuration("refresh-token-ttl").toSeconds())),
        setCookie);
  }

  @Test
  void theCookieAloneRefreshesAndLogoutRevokesIt() {
    String cookie = cookieValue(browserLogin("vera", "viewer-password-1"));
    ApiClient.Reply refreshed = withCookie("POST", cookie);
    assertEquals(200, refreshed.status(), refreshed.body());
    assertFalse(refreshed.json().has("refresh_token"));
    assertEquals("no-store", refreshed.header("Cache-Control"), "tokens are never kept by a cache");
    assertEquals("vera", api.get("/api/v1/auth/me", refreshed.json().get("access_token").asText()).json().get("username").asText());

    ApiClient.Reply logout = withCookie("DELETE", cookie);
    assertEquals(204, logout.status(), logout.body());
    assertTrue(logout.header("Set-Cookie").startsWith("lims_refresh=;"), logout.header("Set-Cookie"));
    assertTrue(logout.header("Set-Cookie").contains("Max-Age=0"), logout.header("Set-Cookie"));
    JsonNode refused = problem(withCookie("POST", cookie), 401);
    assertTrue(refused.get("detail").asText().contains("revoked"), refused.toString());
  }

  @Test
  void withoutACookieThereIsNothingToRefreshOrRevoke() {
    problem(api.send("POST", "/api/v1/auth/refresh", null, null, Map.of()), 401);
    assertEquals(204, api.send("DELETE", "/api/v1/auth/refresh", null, null, Map.of()).status());
    assertEquals(204, withCookie("DELETE", "lims_refresh=not-a-token").status()); // a stale cookie is only cleared
  }

  @Test
  void otherClientsLogOutWithTheTokenInTheBody() {
    ApiClient.Reply login = api.post("/api/v1/auth/token", null, "{\"username\":\"tom\",\"password\":\"technician-password\"}");
    assertEquals("no-store", login.header("Cache-Control"), "tokens are never kept by a cache");
    JsonNode pair = login.json();
    String body = ApiClient.json(Map.of("refresh_token", pair.get("refresh_token").asText()));
    assertEquals(200, api.post("/api/v1/auth/refresh", null, body).status());
    // The body's token is revoked; a browser's cookie sent along is left as it is, not cleared while still valid.
    String browserCookie = cookieValue(browserLogin("tom", "technician-password"));
    ApiClient.Reply logout = api.send("DELETE", "/api/v1/auth/refresh", null, body, Map.of("Content-Type", "application/json", "Cookie", browserCookie));
    assertEquals(204, logout.status());
    assertEquals(null, logout.header("Set-Cookie"));
    assertEquals(200, withCookie("POST", browserCookie).status(), "the browser session goes on");
    problem(api.post("/api/v1/auth/refresh", null, body), 401);
    problem(api.send("DELETE", "/api/v1/auth/refresh", null, "{\"refresh_token\":\"garbage\"}", Map.of("Content-Type", "application/json")), 401);
    problem(api.send("DELETE", "/api/v1/auth/refresh", null, "{}", Map.of("Content-Type", "application/json")), 400);
  }

  @Test
  void concurrentLogoutsAndRefreshesOfOneSessionEndRevoked() throws Exception {
    String cookie = cookieValue(browserLogin("tom", "technician-password"));
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(8);
    try {
      List<java.util.concurrent.Future<Integer>> replies = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        String method = i % 2 == 0 ? "DELETE" : "POST";
        replies.add(pool.submit(() -> withCookie(method, cookie).status()));
      }
      for (int i = 0; i < replies.size(); i++) {
        int status = replies.get(i).get(30, java.util.concurrent.TimeUnit.SECONDS);
        // A logout always succeeds; a refresh racing it is answered either way, never with a server error.
        assertTrue(i % 2 == 0 ? status == 204 : status == 200 || status == 401, "request " + i + " answered " + status);
      }
    } finally {
      pool.shutdownNow();
    }
    problem(withCookie("POST", cookie), 401);
  }

  @Test
  void aRoleCannotDoAnotherRolesWork() {
    String viewer = api.login("vera", "viewer-password-1");
    String technician = api.login("tom", "technician-password");
    String newUser = "{\"username\":\"mallory\",\"password\":\"mallory-password\",\"roles\":[\"admin\"]}";
    problem(api.post("/api/v1/users", viewer, newUser), 403);
    problem(api.post("/api/v1/users", technician, newUser), 403);
    problem(api.get("/api/v1/users/admin", technician), 403);
    problem(api.get("/api/v1/users/mallory", admin), 404);
    assertEquals(200, api.get("/api/v1/users/admin", admin).status());
  }

  @Test
  void usersAndLogoutsSurviveARestart() throws Exception {
    api.createUser(admin, "rita", "reviewer-password", "reviewer");
    String loggedOut = cookieValue(browserLogin("rita", "reviewer-password"));
    assertEquals(204, withCookie("DELETE", loggedOut).status());
    if (node != null) node.close();
    // A new node on the same database: the users come back from the journal.
    node = TestNode.start(database);
    api = node.api;
    admin = node.adminToken();
    String rita = api.login("rita", "reviewer-password");
    assertEquals("[\"reviewer\"]", api.get("/api/v1/auth/me", rita).json().get("roles").toString());
    assertEquals("admin", api.get("/api/v1/users/rita", admin).json().get("created_by").asText());
    problem(withCookie("POST", loggedOut), 401);
  }
}
