package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The HTTP conventions (docs/api.md): problem+json for every failure, request ids, access log, metrics. */
@Tag("database")
class HttpConventionsTest {

  static TestNode node;
  static ApiClient api;
  static String admin;

  @BeforeAll
  static void start() {
    // Drained bodies up to 20 MiB (not the default 8, which is also Pekko's own parser limit, so
    // that the tests below fail if the node does not set the parser's limit from this), and a
    // short body-read time-out for the slow-upload test.
    node = TestNode.start(TestDatabase.fresh("conventions"), Map.of("lims.http.drained-body-size", "20m", "lims.http.body-read-timeout", "2s"));
    api = node.api;
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static JsonNode problem(ApiClient.Reply reply, int status) {
    assertEquals(status, reply.status(), reply.body());
    assertTrue(reply.contentType().startsWith("application/problem+json"), reply.contentType());
    JsonNode body = reply.json();
    assertEquals(status, body.get("status").asInt());
    assertTrue(body.get("type").asText().startsWith("urn:lims:problem:"));
    assertNotNull(body.get("title"));
    assertNotNull(body.get("detail"));
    assertTrue(!reply.body().contains("Exception") && !reply.body().contains("\tat "), "no stack trace: " + reply.body());
    return body;
  }

  static List<String> fieldsNamed(JsonNode problem) {
    return problem.path("errors").findValuesAsText("field");
  }

  @Test
  void healthAndReadinessAnswerOnAnUpNode() {
    assertEquals("healthy", api.get("/health", null).json().get("status").asText());
    assertEquals(200, api.get("/ready", null).status());
  }

  @Test
  void malformedJsonIs400() {
    JsonNode body = problem(api.post("/api/v1/users", admin, "{\"username\": "), 400);
    assertTrue(body.get("detail").asText().contains("not valid JSON"));
  }

  @Test
  void aBodyNestedPastTheLimitIsRefusedNamingTheField() {
    String deep = "[".repeat(10_000) + "]".repeat(10_000);
    assertEquals(List.of("roles"), fieldsNamed(problem(api.post("/api/v1/users", admin, "{\"username\":\"lab.tech\",\"roles\":" + deep + "}"), 400)));
    String overLimit = "{\"a\":".repeat(JsonBody.MAX_NESTING) + "1" + "}".repeat(JsonBody.MAX_NESTING);
    JsonNode over = problem(api.post("/api/v1/users", admin, "{\"username\":\"lab.tech\",\"roles\":" + overLimit + "}"), 400);
    assertEquals(List.of("roles"), fieldsNamed(over));
    assertTrue(over.get("detail").asText().contains("nests deeper than " + JsonBody.MAX_NESTING), over.toString());
    // At the limit (the body's object and 31 levels inside it) the body is read: roles is refused for its type, not its depth.
    String atLimit = "[".repeat(JsonBody.MAX_NESTING - 1) + "]".repeat(JsonBody.MAX_NESTING - 1);
    JsonNode at = problem(api.post("/api/v1/users", admin, "{\"username\":\"lab.tech\",\"roles\":" + atLimit + "}"), 400);
    assertFalse(at.toString().contains("nests deeper") || at.toString().contains("malformed-json"), at.toString());
  }

  @Test
  void aSecondValueAfterTheBodyIsRefusedNotDropped() {
    JsonNode body = problem(api.post("/api/v1/users", admin,
        "{\"username\":\"lab.tech\",\"password\":\"long-enough-password\",\"roles\":[\"viewer\"]}{\"username\":\"lab.boss\"}"), 400);
    assertTrue(body.get("detail").asText().contains("more after its JSON value"), body.toString());
    assertEquals(404, api.get("/api/v1/users/lab.tech", admin).status(), "nothing was created");
  }

  @Test
  void aFieldGivenTwiceIsRefusedNotOverwritten() {
    assertEquals(List.of("username"), fieldsNamed(problem(api.post("/api/v1/users", admin,
        "{\"username\":\"lab.tech\",\"password\":\"long-enough-password\",\"username\":\"lab.boss\",\"roles\":[\"viewer\"]}"), 400)));
  }

  @Test
  void halfASurrogatePairIsRefusedByPathLikeNul() {
    JsonNode body = problem(api.post("/api/v1/users", admin,
        "{\"username\":\"lab.tech\",\"password\":\"long enough \\ud800 password\",\"roles\":[\"viewer\"]}"), 400);
    assertEquals(List.of("password"), fieldsNamed(body));
  }

  @Test
  void aRequestTheServerCannotParseIsAProblemToo() {
    problem(api.raw("GET /api/v1/users/%ZZ HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"), 400);
    ApiClient.Reply tooLong = api.get("/api/v1/users/" + "a".repeat(5_000), admin);
    problem(tooLong, 414);
    assertTrue(tooLong.header("Content-Security-Policy").contains("default-src 'self'"), "an answer before routing has the security headers too");
  }

  @Test
  void aBodyThatIsNotAnObjectIs400() {
    problem(api.post("/api/v1/auth/token", null, "[1,2]"), 400);
  }

  @Test
  void wrongTypesAreNamedByField() {
    JsonNode body = problem(
        api.post("/api/v1/users", admin, "{\"username\": 42, \"password\": \"long-enough-password\", \"roles\": \"admin\"}"), 400);
    assertEquals(List.of("username", "roles"), fieldsNamed(body));
  }

  @Test
  void missingFieldsAreNamed() {
    JsonNode body = problem(api.post("/api/v1/auth/token", null, "{\"username\": \"admin\"}"), 400);
    assertEquals(List.of("password"), fieldsNamed(body));
  }

  @Test
  void unknownEnumValuesAndFieldsAndOverlongStringsAreNamed() {
    String longName = "a".repeat(65);
    JsonNode body = problem(api.post("/api/v1/users", admin,
        ApiClient.json(Map.of("username", longName, "password", "long-enough-password", "roles", List.of("viewer", "wizard"), "colour", "red"))), 400);
    assertEquals(List.of("username", "roles[1]", "colour"), fieldsNamed(body));
  }

  @Test
  void unknownPathIs404() {
    problem(api.get("/api/v1/no-such-thing", admin), 404);
    problem(api.get("/nothing-here.js", null), 404);
    // A path outside /api/ without a file name is a page of the web UI (decision 0049).
    assertTrue(api.get("/nothing-here", null).contentType().startsWith("text/html"));
  }

  @Test
  void wrongMethodIs405WithAllow() {
    ApiClient.Reply reply = api.send("DELETE", "/api/v1/users", admin, null, Map.of());
    problem(reply, 405);
    assertEquals("POST, GET", reply.header("Allow"));
  }

  @Test
  void bodyOverOneMebibyteIs413() {
    String big = "{\"username\": \"" + "x".repeat(1024 * 1024 + 10) + "\"}";
    // Asking first (Expect: 100-continue): refused before the body is sent.
    problem(api.postExpectingContinue("/api/v1/auth/token", null, big), 413);
    problem(api.postExpectingContinue("/api/v1/users", admin, big), 413);
    problem(api.firstAnswerToExpectation("/api/v1/users", admin, 2 * 1024 * 1024), 413); // not 100: nothing to upload
    // Sent at once, with its length or in chunks: read to its end and refused, so a client
    // that reads only once it has sent everything gets the 413 instead of a broken pipe.
    // 16 MiB: more than loopback's socket buffers hold, so the client is still sending when
    // the server has its answer. A valid user, padded with spaces past the limit: not created.
    String valid = paddedUser("drained-1");
    problem(api.postWhole("/api/v1/users", admin, valid, false), 413);
    problem(api.postWhole("/api/v1/users", admin, valid, true), 413);
    problem(api.post("/api/v1/users", admin, valid), 413); // Java's HttpClient
    problem(api.postChunked("/api/v1/users", admin, valid), 413);
    problem(api.get("/api/v1/users/drained-1", admin), 404);
  }

  /** A valid new user, padded with spaces to 16 MiB: more than loopback's socket buffers hold. */
  static String paddedUser(String username) {
    return "{\"username\": \"" + username + "\", \"password\": \"long-enough-password\", \"roles\": [\"viewer\"]"
        + " ".repeat(16 * 1024 * 1024) + "}";
  }

  @Test
  void aRefusalBeforeTheBodyIsReadIsStillReadByAnUploadingClient() {
    String valid = paddedUser("drained-2");
    problem(api.postWhole("/api/v1/users", "not-a-token", valid, false), 401);
    problem(api.postWhole("/api/v1/users", null, valid, true), 401);
    problem(api.postWhole("/api/v1/nothing-here", admin, valid, false), 404);
    // A client that asks first is refused without the 100, so it uploads nothing.
    problem(api.firstAnswerToExpectation("/api/v1/users", "not-a-token", 1024), 401);
    problem(api.get("/api/v1/users/drained-2", admin), 404);
  }

  @Test
  void aMalformedChunkedBodyIs400() {
    problem(api.raw("POST /api/v1/users HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
        + "Authorization: Bearer " + admin + "\r\nConnection: close\r\n\r\n5\r\n{\"use\r\nzz\r\n"), 400);
  }

  @Test
  void aBodyNotSentWithinTheReadTimeOutIs503() {
    problem(api.postStalled("/api/v1/users", admin, 100, "{\"username\""), 503);
  }

  @Test
  void aBodyOfAnotherMediaTypeIs415() {
    problem(api.send("POST", "/api/v1/auth/token", null, "username=admin", Map.of("Content-Type", "application/x-www-form-urlencoded")), 415);
  }

  @Test
  void badInputChangesNothingStored() {
    problem(api.post("/api/v1/users", admin, "{\"username\": \"ghost\", \"password\": \"short\", \"roles\": [\"viewer\"]}"), 400);
    problem(api.get("/api/v1/users/ghost", admin), 404);
    api.createUser(admin, "kept", "kept-user-password", "viewer");
    problem(api.post("/api/v1/users", admin, "{\"username\": \"kept\", \"password\": \"other-password-1\", \"roles\": [\"admin\"]}"), 409);
    JsonNode kept = api.get("/api/v1/users/kept", admin).json();
    assertEquals("[\"viewer\"]", kept.get("roles").toString());
    api.login("kept", "kept-user-password");
  }

  @Test
  void requestIdIsEchoedOrGenerated() {
    ApiClient.Reply given = api.send("GET", "/health", null, null, Map.of("X-Request-Id", "lab-42.req"));
    assertEquals("lab-42.req", given.header("X-Request-Id"));
    String generated = api.get("/health", null).header("X-Request-Id");
    assertTrue(generated.matches("[0-9a-f-]{36}"), generated);
    ApiClient.Reply forged = api.send("GET", "/health", null, null, Map.of("X-Request-Id", "bad id with spaces"));
    assertNotEquals("bad id with spaces", forged.header("X-Request-Id"));
    JsonNode problem = problem(api.send("GET", "/api/v1/nope", null, null, Map.of("X-Request-Id", "trace-me")), 404);
    assertEquals("trace-me", problem.get("request_id").asText());
  }

  @Test
  void eachRequestWritesOneStructuredAccessLogLine() {
    Logger access = (Logger) LoggerFactory.getLogger("lims.access");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    access.addAppender(lines);
    try {
      api.send("GET", "/api/v1/auth/me", admin, null, Map.of("X-Request-Id", "access-log-check"));
      List<Map<String, Object>> mine = lines.list.stream()
          .map(HttpConventionsTest::keyValues)
          .filter(kv -> "access-log-check".equals(kv.get("request_id")))
          .toList();
      assertEquals(1, mine.size());
      Map<String, Object> line = mine.get(0);
      assertEquals("GET", line.get("method"));
      assertEquals("/api/v1/auth/me", line.get("path"));
      assertEquals(200, line.get("status"));
      assertEquals("admin", line.get("user"));
      assertTrue(((Number) line.get("latency_ms")).doubleValue() >= 0);
    } finally {
      access.detachAppender(lines);
    }
  }

  private static Map<String, Object> keyValues(ILoggingEvent event) {
    Map<String, Object> kv = new HashMap<>();
    if (event.getKeyValuePairs() != null) event.getKeyValuePairs().forEach(p -> kv.put(p.key, p.value));
    return kv;
  }

  @Test
  void metricsCountRequestsByRouteTemplateAndStatus() {
    api.get("/api/v1/users/somebody-" + System.nanoTime(), admin);
    api.get("/api/v1/users/somebody-" + System.nanoTime(), admin);
    String metrics = api.get("/metrics", null).body();
    Map<String, String> counts = metrics.lines()
        .filter(l -> l.startsWith("http_server_requests_seconds_count{"))
        .collect(Collectors.toMap(l -> l.substring(0, l.lastIndexOf(' ')), l -> l.substring(l.lastIndexOf(' ') + 1)));
    String key = "http_server_requests_seconds_count{method=\"GET\",route=\"/api/v1/users/{username}\",status=\"404\"}";
    assertTrue(Double.parseDouble(counts.getOrDefault(key, "0")) >= 2, counts.toString());
    assertTrue(metrics.contains("http_server_requests_seconds_bucket{"), "latency histogram");
    assertTrue(metrics.contains("jvm_memory_used_bytes"), "JVM memory");
    assertTrue(metrics.contains("jvm_gc_"), "JVM GC");
  }

  @Test
  void aRequestThatOutlivesTheServersLimitGetsAProblemToo() throws Exception {
    try (TestNode slow = TestNode.start(TestDatabase.h2("timeout"), Map.of("pekko.http.server.request-timeout", "300ms",
        "lims.device.execute-wait", "5s", "lims.device.simulated-driver.durations.incubate", "1500ms"))) {
      String token = slow.adminToken();
      slow.api.post("/api/v1/devices", token, "{\"id\":\"slow-incubator\",\"name\":\"Slow\",\"type\":\"incubator\"}");
      slow.api.post("/api/v1/devices/slow-incubator/book", token, "{\"workflow_id\":\"wf-slow\"}");
      ApiClient.Reply reply = slow.api.post("/api/v1/devices/slow-incubator/execute", token, "{\"workflow_id\":\"wf-slow\",\"operation\":\"incubate\"}");
      JsonNode body = problem(reply, 503);
      assertEquals("urn:lims:problem:timeout", body.get("type").asText());
      assertNotNull(reply.header("X-Request-Id"));
    }
  }

  @Test
  void openApiDocumentIsServedToAuthenticatedUsers() {
    ApiClient.Reply reply = api.get("/api/v1/openapi.yaml", admin);
    assertEquals(200, reply.status());
    assertTrue(reply.body().startsWith("openapi: 3"));
  }
}
