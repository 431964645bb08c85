package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.stream.Stream;
import lims.kernel.Asked;
import lims.kernel.Custody;
import lims.kernel.Database;
import lims.kernel.IdempotencyStore;
import lims.kernel.testing.TestDatabase;
import lims.specimen.Specimen;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.slf4j.LoggerFactory;

/**
 * Try again must be safe (decision 0040): the Idempotency-Key of every create route, and the
 * reply-by every command carries to its entity. Real node, real database (H2, and PostgreSQL
 * in CI), real concurrent HTTP requests.
 */
@Tag("database")
class IdempotencyApiTest {

  static final String KEY = IdempotencyKeys.HEADER;
  /** Entities answer slowly on a loaded test machine; a 503 here would test the wrong thing. */
  static final Map<String, Object> PATIENT = Map.of("lims.http.ask-timeout", "30s");
  static final AtomicInteger serial = new AtomicInteger();

  static TestNode node;
  static String admin;
  static String sampleBarcode;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("idempotency"), PATIENT);
    admin = node.adminToken();
    assertEquals(201, node.api.post("/api/v1/devices", admin, "{\"id\":\"idem-reader\",\"name\":\"Reader\",\"type\":\"plate_reader\"}").status());
    ApiClient.Reply specimen = node.api.post("/api/v1/specimens", admin, "{\"client_ref\":\"idem\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}");
    sampleBarcode = specimen.json().get("barcode").asText();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  /** A create route: its path, the entity type its journal names, and its n-th distinct well-formed body. */
  record Route(String path, String entityType, Function<String, String> body) {
    @Override
    public String toString() {
      return "POST " + path;
    }
  }

  static Stream<Route> routes() {
    return Stream.of(
        new Route("/api/v1/specimens", "Specimen", n -> "{\"client_ref\":\"clinic " + n + "\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}"),
        new Route("/api/v1/lab-tests", "LabTest", n -> "{\"title\":\"nightly " + n + "\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(86_400)
            + "\"},\"action\":{\"kind\":\"http\",\"url\":\"http://127.0.0.1:9/" + n + "\"}}"),
        new Route("/api/v1/workflows", "Workflow", n -> "{\"name\":\"od " + n + "\",\"device_id\":\"idem-reader\",\"sample_barcodes\":[\""
            + sampleBarcode + "\"],\"steps\":[\"read_absorbance\"]}"),
        new Route("/api/v1/users", "UserAccount", n -> "{\"username\":\"user-" + n + "\",\"password\":\"a long password " + n
            + "\",\"roles\":[\"viewer\"]}"),
        new Route("/api/v1/devices", "Device", n -> "{\"id\":\"reader-" + n + "\",\"name\":\"Reader " + n + "\",\"type\":\"plate_reader\"}"));
  }

  static ApiClient.Reply post(TestNode on, String token, String path, String key, String body) {
    return on.api.send("POST", path, token, body, Map.of("Content-Type", "application/json", KEY, key));
  }

  /** Entities of a type in the journal: what the requests really created. */
  static long entities(TestNode on, String type) {
    if (type.equals("LabTest")) return labTestsCreated(on);
    return on.count("SELECT COUNT(DISTINCT \"persistence_id\") FROM \"event_journal\" WHERE \"persistence_id\" LIKE ?", type + "|%");
  }

  /** Lab tests created in the journal: their partitions write them in groups, so each row is read (decision 0064). */
  static long labTestsCreated(TestNode on) {
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(on.node.system());
    long created = 0;
    try (var c = lims.kernel.Database.get(on.node.system()).dataSource().getConnection();
        var s = c.prepareStatement("SELECT \"event_payload\", \"event_ser_id\", \"event_ser_manifest\" FROM \"event_journal\""
            + " WHERE \"persistence_id\" LIKE 'LabTestPartition|%'");
        var rs = s.executeQuery()) {
      while (rs.next()) {
        var batch = (lims.scheduling.LabTestPartition.Batch) serialization.deserialize(rs.getBytes(1), rs.getInt(2), rs.getString(3)).get();
        created += batch.events().stream().filter(e -> e instanceof lims.scheduling.LabTest.LabTestCreated).count();
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
    return created;
  }

  static String unique() {
    return serial.incrementAndGet() + "-" + UUID.randomUUID().toString().substring(0, 6);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void aRepeatIsAnsweredAsTheFirstRequestWasAndAnotherBodyWithTheKeyIsRefused(Route route) throws Exception {
    long before = entities(node, route.entityType());
    String key = UUID.randomUUID().toString();
    String body = route.body().apply(unique());

    ApiClient.Reply first = post(node, admin, route.path(), key, body);
    assertEquals(201, first.status(), first.body());
    assertNull(first.header(IdempotencyKeys.REPLAYED));
    ApiClient.Reply again = post(node, admin, route.path(), key, body);
    assertEquals(201, again.status(), again.body());
    assertEquals(first.body(), again.body());
    assertEquals("application/json", again.contentType());
    assertEquals("true", again.header(IdempotencyKeys.REPLAYED));
    assertEquals(before + 1, entities(node, route.entityType()));

    // The same fields in another order and spacing are the same request.
    String respaced = " " + ApiClient.json(ApiClient.JSON.convertValue(ApiClient.JSON.readTree(body), java.util.TreeMap.class)) + "\n";
    assertEquals(first.body(), post(node, admin, route.path(), key, respaced).body());

    ApiClient.Reply other = post(node, admin, route.path(), key, route.body().apply(unique()));
    assertEquals(422, other.status(), other.body());
    assertEquals("application/problem+json", other.contentType());
    assertEquals(KEY, other.json().get("errors").get(0).get("field").asText());
    assertEquals(before + 1, entities(node, route.entityType()), "a refused body creates nothing");

    // The node stopped after the entity was created and before the answer was stored: the
    // reservation is there, the answer is not. The retry creates under the reserved id and the
    // entity answers it as created (for devices and users, whose ids the client gives: not 409).
    forgetAnswer(key);
    ApiClient.Reply retried = post(node, admin, route.path(), key, body);
    assertEquals(201, retried.status(), retried.body());
    assertEquals(idOf(first), idOf(retried));
    assertEquals(before + 1, entities(node, route.entityType()));
    assertEquals(retried.body(), post(node, admin, route.path(), key, body).body(), "the retry's answer is stored in turn");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("routes")
  void twentyConcurrentRequestsWithOneKeyCreateOneEntityAndGetOneAnswer(Route route) throws Exception {
    long before = entities(node, route.entityType());
    String key = UUID.randomUUID().toString();
    String body = route.body().apply(unique());
    List<ApiClient.Reply> replies = concurrently(20, () -> post(node, admin, route.path(), key, body));
    Set<String> bodies = new HashSet<>();
    for (ApiClient.Reply r : replies) {
      assertEquals(201, r.status(), r.body());
      bodies.add(r.body());
    }
    assertEquals(1, bodies.size(), "every request got the one answer: " + bodies);
    assertEquals(before + 1, entities(node, route.entityType()));
    assertEquals(1, node.count("SELECT COUNT(*) FROM idempotency_key WHERE idem_key = ?", key));
  }

  @Test
  void aKeyBelongsToItsCallerAndItsRoute() {
    node.api.createUser(admin, "tina", "technician-password", "technician");
    String tech = node.api.login("tina", "technician-password");
    String key = "shared-key-" + unique();
    String body = "{\"client_ref\":\"scoped\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}";
    ApiClient.Reply byAdmin = post(node, admin, "/api/v1/specimens", key, body);
    ApiClient.Reply byTech = post(node, tech, "/api/v1/specimens", key, body);
    assertEquals(201, byAdmin.status());
    assertEquals(201, byTech.status());
    assertNotEquals(idOf(byAdmin), idOf(byTech), "another caller's key is another key");
    ApiClient.Reply device = post(node, admin, "/api/v1/devices", key, "{\"id\":\"scoped-" + unique() + "\",\"name\":\"R\",\"type\":\"incubator\"}");
    assertEquals(201, device.status(), "the same key on another route is another key: " + device.body());
  }

  @Test
  void aKeyThatIsEmptyTooLongRepeatedOrHoldsAControlCharacterIsRefusedNamingTheHeader() {
    String body = "{\"client_ref\":\"bad key\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}";
    long before = entities(node, "Specimen");
    List<ApiClient.Reply> refused = new ArrayList<>();
    refused.add(post(node, admin, "/api/v1/specimens", "", body));
    refused.add(post(node, admin, "/api/v1/specimens", "k".repeat(256), body));
    refused.add(post(node, admin, "/api/v1/specimens", "two words", body));
    refused.add(raw(KEY + ": a\tb", body));
    refused.add(raw(KEY + ": a\u007fb", body));
    refused.add(raw(KEY + ": one\r\n" + KEY + ": two", body));
    for (int i = 0; i < refused.size(); i++) {
      ApiClient.Reply r = refused.get(i);
      assertEquals(400, r.status(), "case " + i + ": " + r.body());
      assertEquals("application/problem+json", r.contentType());
      assertEquals(KEY, r.json().path("errors").path(0).path("field").asText(), "case " + i + ": " + r.body());
    }
    // Other control characters never reach the API: the HTTP parser refuses them in any header.
    ApiClient.Reply unparsable = raw(KEY + ": a\u0001b", body);
    assertEquals(400, unparsable.status());
    assertEquals("application/problem+json", unparsable.contentType());
    assertTrue(unparsable.json().get("detail").asText().contains("header value"), unparsable.body());
    assertEquals(before, entities(node, "Specimen"));
    assertEquals(201, post(node, admin, "/api/v1/specimens", "k".repeat(255), body).status(), "255 visible characters are a key");
    // The rule itself, for characters no HTTP parser lets through.
    for (String value : List.of("a\nb", "caf\u00e9")) {
      Call call = new Call(org.apache.pekko.http.javadsl.model.HttpRequest.POST("/api/v1/specimens")
          .addHeader(org.apache.pekko.http.javadsl.model.headers.RawHeader.create(KEY, value)), "POST /api/v1/specimens", Map.of(),
          java.util.Optional.empty(), "r", java.net.InetAddress.getLoopbackAddress(), new byte[0], ApiClient.JSON);
      ProblemException refusal = org.junit.jupiter.api.Assertions.assertThrows(ProblemException.class, () -> IdempotencyKeys.key(call));
      assertEquals(KEY, refusal.errors().get(0).field());
    }
  }

  /** A specimen registration with {@code header} as it is on the wire. */
  static ApiClient.Reply raw(String header, String body) {
    return node.api.raw("POST /api/v1/specimens HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + admin
        + "\r\nContent-Type: application/json\r\nConnection: close\r\n" + header + "\r\nContent-Length: " + body.length() + "\r\n\r\n" + body);
  }

  /** A repeat after the node restarted (another node on the same database answers alike: the key is in the database). */
  @Test
  void aKeyOutlivesItsNode() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("idempotency_restart");
    String key = UUID.randomUUID().toString();
    String specimen = "{\"client_ref\":\"restart\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}";
    String device = "{\"id\":\"restart-reader\",\"name\":\"Reader\",\"type\":\"plate_reader\"}";
    ApiClient.Reply specimenBefore;
    ApiClient.Reply deviceBefore;
    try (TestNode first = TestNode.start(database, PATIENT)) {
      String token = first.adminToken();
      specimenBefore = post(first, token, "/api/v1/specimens", key, specimen);
      deviceBefore = post(first, token, "/api/v1/devices", key, device);
      assertEquals(201, specimenBefore.status(), specimenBefore.body());
      assertEquals(201, deviceBefore.status(), deviceBefore.body());
    }
    try (TestNode second = TestNode.start(database, PATIENT)) {
      String token = second.adminToken();
      ApiClient.Reply specimenAfter = post(second, token, "/api/v1/specimens", key, specimen);
      ApiClient.Reply deviceAfter = post(second, token, "/api/v1/devices", key, device);
      assertEquals(specimenBefore.body(), specimenAfter.body());
      assertEquals(deviceBefore.body(), deviceAfter.body());
      assertEquals(201, deviceAfter.status());
      assertEquals("true", specimenAfter.header(IdempotencyKeys.REPLAYED));
      assertEquals(1, entities(second, "Specimen"));
      assertEquals(1, entities(second, "Device"));
      assertEquals(409, second.api.post("/api/v1/devices", token, device).status(), "without the key a second registration is refused as before");
    }
  }

  /**
   * A command the ShardRegion held through a failover reaches its entity after its caller gave
   * up: sent through the real sharding path with a reply-by 83 s gone, it is not applied, and
   * the entity says so in the log. The same command still awaited is applied.
   */
  @Test
  void aCommandWhoseReplyByHasPassedIsNotAppliedByItsEntity() throws Exception {
    var sharding = ClusterSharding.get(node.node.system());
    Specimen.Registration registration = new Specimen.Registration("late", "serum", List.of("crp"), null, "normal", null);
    Custody custody = new Custody("admin", "admin", Instant.now(), "127.0.0.1", "late-test", null);
    String id = "SP-2026-" + (900_000_000 + serial.incrementAndGet());
    ListAppender<ILoggingEvent> log = new ListAppender<>();
    log.start();
    Logger specimenLog = (Logger) LoggerFactory.getLogger(Specimen.class);
    specimenLog.addAppender(log);
    try {
      Clock ninetySecondsAgo = Clock.offset(Clock.systemUTC(), Duration.ofSeconds(-90));
      var late = Asked.<Specimen.Command, Specimen.Reply>ask(sharding.entityRefFor(Specimen.TYPE, id),
          r -> new Specimen.Register(registration, custody, r), Duration.ofSeconds(7), ninetySecondsAgo).toCompletableFuture();
      ExecutionException unanswered = org.junit.jupiter.api.Assertions.assertThrows(ExecutionException.class, () -> late.get(30, TimeUnit.SECONDS));
      assertTrue(unanswered.getCause() instanceof TimeoutException, String.valueOf(unanswered.getCause()));
      assertEquals(404, node.api.get("/api/v1/specimens/" + id, admin).status(), "the late command registered nothing");
      assertEquals(0, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "Specimen|" + id));
      assertTrue(log.list.stream().anyMatch(e -> e.getLevel() == Level.WARN && e.getFormattedMessage().contains("Specimen|" + id)
          && e.getFormattedMessage().contains("Register not applied")), "logged: " + log.list);

      Specimen.Reply onTime = Asked.<Specimen.Command, Specimen.Reply>ask(sharding.entityRefFor(Specimen.TYPE, id),
          r -> new Specimen.Register(registration, custody, r), Duration.ofSeconds(30)).toCompletableFuture().get(60, TimeUnit.SECONDS);
      assertTrue(onTime instanceof Specimen.Current, String.valueOf(onTime));
      assertEquals(200, node.api.get("/api/v1/specimens/" + id, admin).status());
    } finally {
      specimenLog.detachAppender(log);
    }
  }

  @Test
  void keysOlderThanTheWindowArePurged() throws Exception {
    IdempotencyStore store = new IdempotencyStore(Database.get(node.node.system()));
    var scope = new IdempotencyStore.Scope("admin", "POST /api/v1/specimens", "old-" + unique());
    Instant reserved = Instant.parse("2000-01-01T00:00:00Z");
    store.reserve(scope, "f", "SP-2026-000001", UUID.randomUUID().toString(), reserved).toCompletableFuture().get(30, TimeUnit.SECONDS);
    store.purge(reserved).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(store.find(scope).toCompletableFuture().get(30, TimeUnit.SECONDS).isPresent(), "kept until the window has passed");
    store.purge(reserved.plusMillis(1)).toCompletableFuture().get(30, TimeUnit.SECONDS);
    assertTrue(store.find(scope).toCompletableFuture().get(30, TimeUnit.SECONDS).isEmpty());
  }

  // --- helpers --------------------------------------------------------------------------

  static String idOf(ApiClient.Reply reply) {
    JsonNode json = reply.json();
    return json.has("id") ? json.get("id").asText() : json.get("username").asText();
  }

  /** What a node that stopped between the create and storing its answer leaves: the reservation without an answer. */
  static void forgetAnswer(String key) throws SQLException {
    try (Connection c = Database.get(node.node.system()).dataSource().getConnection();
        PreparedStatement s = c.prepareStatement("UPDATE idempotency_key SET status = NULL, content_type = NULL, body = NULL WHERE idem_key = ?")) {
      s.setString(1, key);
      assertEquals(1, s.executeUpdate());
    }
  }

  /** Runs {@code n} copies of {@code request} at once (released together) and returns their answers. */
  static List<ApiClient.Reply> concurrently(int n, java.util.concurrent.Callable<ApiClient.Reply> request) throws Exception {
    ExecutorService clients = Executors.newFixedThreadPool(n);
    CountDownLatch ready = new CountDownLatch(n);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<Future<ApiClient.Reply>> sent = new ArrayList<>();
      for (int i = 0; i < n; i++) {
        sent.add(clients.submit(() -> {
          ready.countDown();
          go.await(60, TimeUnit.SECONDS);
          return request.call();
        }));
      }
      assertTrue(ready.await(60, TimeUnit.SECONDS));
      go.countDown();
      List<ApiClient.Reply> replies = new ArrayList<>();
      for (Future<ApiClient.Reply> f : sent) replies.add(f.get(120, TimeUnit.SECONDS));
      return replies;
    } finally {
      clients.shutdownNow();
    }
  }
}
