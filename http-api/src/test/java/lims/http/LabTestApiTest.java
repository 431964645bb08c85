package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Scheduled lab tests over HTTP, firing a real HTTP action at a receiver in this JVM that
 * records each call's Idempotency-Key and arrival instant.
 */
@Tag("database")
class LabTestApiTest {

  static TestNode node;
  static String admin;
  static HttpServer receiver;
  /** Every call, in arrival order: path, idempotency key, arrival. */
  static final List<Received> calls = new CopyOnWriteArrayList<>();
  /** Status each path answers (200 unless set). */
  static final Map<String, Integer> answers = new ConcurrentHashMap<>();
  /** Paths whose answer waits until their latch opens. */
  static final Map<String, CountDownLatch> holds = new ConcurrentHashMap<>();

  record Received(String path, String key, Instant at) {}

  static final Map<String, Object> SETTINGS = Map.of(
      "lims.scheduling.retry.min-backoff", "200ms",
      "lims.deadlines.sweep-interval", "500ms",
      "lims.deadlines.lookahead", "3s",
      "lims.scheduling.gauge-interval", "500ms");

  @BeforeAll
  static void start() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.setExecutor(Executors.newCachedThreadPool());
    receiver.createContext("/", exchange -> {
      String path = exchange.getRequestURI().getPath();
      calls.add(new Received(path, exchange.getRequestHeaders().getFirst("Idempotency-Key"), Instant.now()));
      exchange.getRequestBody().readAllBytes();
      CountDownLatch hold = holds.get(path);
      try {
        if (hold != null) hold.await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      exchange.sendResponseHeaders(answers.getOrDefault(path, 200), -1);
      exchange.close();
    });
    receiver.start();
    node = TestNode.start(TestDatabase.fresh("lab_tests"), SETTINGS);
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (receiver != null) receiver.stop(0);
  }

  static String url(String path) {
    return "http://127.0.0.1:" + receiver.getAddress().getPort() + path;
  }

  static String once(Instant at, String path, int maxRetries) {
    return "{\"title\":\"OD600 reading\",\"type\":\"measurement\",\"experiment\":\"EXP-1\",\"recipients\":[\"lab@example.org\"],"
        + "\"schedule\":{\"at\":\"" + at + "\"},\"action\":{\"kind\":\"http\",\"url\":\"" + url(path) + "\"},\"max_retries\":" + maxRetries + "}";
  }

  static List<Received> callsTo(String path) {
    return calls.stream().filter(c -> c.path().equals(path)).toList();
  }

  static JsonNode create(TestNode n, String token, String body) {
    ApiClient.Reply r = n.api.post("/api/v1/lab-tests", token, body);
    assertEquals(201, r.status(), r.body());
    return r.json();
  }

  static JsonNode executions(TestNode n, String token, String id) {
    return n.api.get("/api/v1/lab-tests/" + id + "/executions", token).json().get("items");
  }

  @Test
  void aOneTimeTestFiresAtItsInstantNeverBeforeAndIsListedWithItsLateness() {
    Instant due = Instant.now().plusSeconds(2);
    JsonNode created = create(node, admin, once(due, "/once", 0));
    assertEquals(due.toString(), created.get("next_fire_at").asText());
    assertEquals("scheduled", created.get("status").asText());
    String id = created.get("id").asText();
    node.eventually(() -> assertEquals(1, callsTo("/once").size()));
    Received call = callsTo("/once").get(0);
    assertFalse(call.at().isBefore(due), "fired before its instant: " + call.at());
    assertEquals(id + "-" + due.toEpochMilli(), call.key(), "the execution id is the idempotency key");
    node.eventually(() -> {
      JsonNode e = executions(node, admin, id).get(0);
      assertEquals("succeeded", e.get("status").asText());
      assertEquals(1, e.get("attempt").asInt());
      assertTrue(e.get("lateness_ms").asLong() >= 0);
      assertEquals("completed", node.api.get("/api/v1/lab-tests/" + id, admin).json().get("status").asText());
    });
    String metrics = node.api.get("/metrics", null).body();
    assertTrue(metrics.contains("lims_lab_test_fire_lateness_seconds_count"), "fire lateness histogram");
    assertTrue(metrics.contains("lims_lab_test_executions_total{outcome=\"succeeded\"}"), "executions by outcome");
    // The cluster-wide gauges, reported by this node as the cluster's leader, count the read tables.
    node.eventually(() -> {
      String now = node.api.get("/metrics", null).body();
      assertEquals(node.count("SELECT COUNT(*) FROM dead_letter WHERE state = 'open'"), gauge(now, "lims_lab_test_dead_letters"));
      assertTrue(gauge(now, "lims_lab_test_due_backlog") >= 0);
    });
  }

  /** A gauge's value in Prometheus text; fails when the gauge is absent. */
  static long gauge(String metrics, String name) {
    return metrics.lines().filter(l -> l.startsWith(name + " ")).findFirst().map(l -> (long) Double.parseDouble(l.substring(name.length() + 1)))
        .orElseThrow(() -> new AssertionError(name + " not reported"));
  }

  @Test
  void badInputIsRefusedNamingTheFieldAndNothingIsStored() {
    long before = node.count("SELECT COUNT(*) FROM lab_test");
    String action = "\"action\":{\"kind\":\"http\",\"url\":\"" + url("/bad") + "\"}";
    Map<String, String> cases = Map.of(
        "{\"title\":\"t\",\"schedule\":{\"cron\":\"61 * * * * ?\",\"timezone\":\"Europe/Berlin\"}," + action + "}", "schedule.cron",
        "{\"title\":\"t\",\"schedule\":{\"cron\":\"0 0 6 * * ?\",\"timezone\":\"Mars/Olympus\"}," + action + "}", "schedule.timezone",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"2020-01-01T00:00:00Z\"}," + action + "}", "schedule.at",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"+1000000000-01-01T00:00:00Z\"}," + action + "}", "schedule.at",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"},\"action\":{\"kind\":\"teleport\"}}", "action.kind",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"},\"action\":{\"kind\":\"http\",\"url\":\"file:///etc/passwd\"}}", "action",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"}," + action + ",\"misfire_policy\":\"twice\"}", "misfire_policy",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"}," + action + ",\"max_retries\":-1}", "max_retries",
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"},\"action\":{\"kind\":\"http\",\"url\":\"" + url("/bad")
            + "\",\"method\":null}}", "action.method",
        // Longer than an attempt may last (the action time-out, 30 s): such a call could never succeed.
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"},\"action\":{\"kind\":\"http\",\"url\":\"" + url("/bad")
            + "\",\"timeout_ms\":60000}}", "action");
    cases.forEach((body, field) -> {
      ApiClient.Reply r = node.api.post("/api/v1/lab-tests", admin, body);
      assertEquals(400, r.status(), body + " -> " + r.body());
      assertEquals(List.of(field), fieldsNamed(r.json()), r.body());
    });
    ApiClient.Reply policy = node.api.post("/api/v1/lab-tests", admin,
        "{\"title\":\"t\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(60) + "\"}," + action + ",\"misfire_policy\":\"all\"}");
    assertTrue(policy.body().contains("must be one of fire_once, fire_all, skip"), policy.body());
    assertEquals(before, node.count("SELECT COUNT(*) FROM lab_test"));
    ApiClient.Reply unknown = node.api.get("/api/v1/lab-tests/LT-0123456789abcdef0/executions", admin);
    assertEquals(404, unknown.status(), "the executions of a test that does not exist: " + unknown.body());
  }

  /**
   * misfire_policy fire_all: the instants of a test every second that pass while its action
   * is held still fire afterwards, in order, each an execution of its own (decision 0041).
   */
  @Test
  void underFireAllTheInstantsThatPassDuringALongRunFireAfterItInOrder() {
    CountDownLatch held = new CountDownLatch(1);
    holds.put("/every-second", held);
    JsonNode created = create(node, admin, "{\"title\":\"OD600 every second\",\"schedule\":{\"cron\":\"* * * * * ?\",\"timezone\":\"UTC\"},"
        + "\"action\":{\"kind\":\"http\",\"url\":\"" + url("/every-second") + "\"},\"max_retries\":0,\"misfire_policy\":\"fire_all\"}");
    assertEquals("fire_all", created.get("misfire_policy").asText());
    String id = created.get("id").asText();
    node.eventually(() -> assertEquals(1, callsTo("/every-second").size()));
    Instant first = callsTo("/every-second").get(0).at();
    node.eventually(() -> assertTrue(Instant.now().isAfter(first.plusSeconds(3)), "three more instants have passed"));
    held.countDown();
    node.eventually(() -> assertTrue(callsTo("/every-second").size() >= 6));
    assertEquals(200, node.api.send("DELETE", "/api/v1/lab-tests/" + id, admin, null, Map.of()).status());
    List<Long> due = callsTo("/every-second").stream().map(c -> Long.parseLong(c.key().substring(id.length() + 1))).toList();
    for (int i = 1; i < due.size(); i++) assertEquals(due.get(i - 1) + 1000, due.get(i), "every second, in order: " + due);

    // Newest first, a page at a time: the due order reversed, each execution once.
    node.eventually(() -> {
      List<String> inDueOrder = executions(node, admin, id).findValuesAsText("execution_id");
      List<String> newestFirst = new java.util.ArrayList<>();
      String cursor = null;
      do {
        JsonNode page = node.api.get("/api/v1/lab-tests/" + id + "/executions?order=newest_first&limit=2" + (cursor == null ? "" : "&after=" + cursor),
            admin).json();
        newestFirst.addAll(page.get("items").findValuesAsText("execution_id"));
        cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
      } while (cursor != null);
      List<String> reversed = new java.util.ArrayList<>(inDueOrder);
      java.util.Collections.reverse(reversed);
      assertTrue(reversed.size() >= 6, reversed.toString());
      assertEquals(reversed, newestFirst);
    });
    ApiClient.Reply wrongOrder = node.api.get("/api/v1/lab-tests/" + id + "/executions?order=oldest", admin);
    assertEquals(400, wrongOrder.status());
    assertTrue(wrongOrder.body().contains("order"), wrongOrder.body());
  }

  @Test
  void failuresAreRetriedThenDeadLetteredListedAndRetriedByHand() {
    answers.put("/flaky", 503);
    String id = create(node, admin, once(Instant.now().plusSeconds(1), "/flaky", 1)).get("id").asText();
    node.eventually(() -> {
      JsonNode letters = node.api.get("/api/v1/dead-letters", admin).json().get("items");
      assertTrue(letters.findValuesAsText("lab_test_id").contains(id), letters.toString());
    });
    assertEquals(2, callsTo("/flaky").size(), "the first attempt and one retry");
    assertEquals(1, callsTo("/flaky").stream().map(Received::key).distinct().count(), "one execution id for both");
    assertEquals("dead_lettered", node.api.get("/api/v1/lab-tests/" + id, admin).json().get("status").asText());

    answers.put("/flaky", 200);
    String letter = callsTo("/flaky").get(0).key();
    ApiClient.Reply retried = node.api.post("/api/v1/dead-letters/" + letter + "/retry", admin, "");
    assertEquals(200, retried.status(), retried.body());
    node.eventually(() -> assertEquals("completed", node.api.get("/api/v1/lab-tests/" + id, admin).json().get("status").asText()));
    assertEquals(letter, callsTo("/flaky").get(2).key(), "the same execution, by hand");
    node.eventually(() -> assertFalse(node.api.get("/api/v1/dead-letters", admin).json().get("items").findValuesAsText("id").contains(letter)));
  }

  @Test
  void aPausedTestIsNotRunByHandAndADeletedTestsDeadLettersLeaveTheList() {
    answers.put("/broken", 503);
    String id = create(node, admin, once(Instant.now().plusSeconds(1), "/broken", 0)).get("id").asText();
    node.eventually(() -> assertTrue(node.api.get("/api/v1/dead-letters", admin).json().get("items").findValuesAsText("lab_test_id").contains(id)));
    String letter = callsTo("/broken").get(0).key();
    JsonNode own = node.api.get("/api/v1/dead-letters?lab_test_id=" + id, admin).json().get("items");
    assertEquals(List.of(letter), own.findValuesAsText("id"), "one test's letters: " + own);
    assertFalse(node.api.get("/api/v1/dead-letters?lab_test_id=LT-000000000000", admin).json().get("items").findValuesAsText("id").contains(letter),
        "another test's letters leave this one's out");
    ApiClient.Reply wrongId = node.api.get("/api/v1/dead-letters?lab_test_id=SP-1", admin);
    assertEquals(400, wrongId.status());
    assertTrue(wrongId.body().contains("lab_test_id"), wrongId.body());
    assertEquals(200, node.api.post("/api/v1/lab-tests/" + id + "/pause", admin, "").status());
    for (String path : List.of("/api/v1/lab-tests/" + id + "/trigger", "/api/v1/dead-letters/" + letter + "/retry")) {
      ApiClient.Reply refused = node.api.post(path, admin, "");
      assertEquals(409, refused.status(), path + " -> " + refused.body());
      assertTrue(refused.body().contains("paused"), refused.body());
    }
    assertEquals(1, callsTo("/broken").size(), "nothing ran");

    assertEquals(200, node.api.send("DELETE", "/api/v1/lab-tests/" + id, admin, null, Map.of()).status());
    node.eventually(() -> assertFalse(node.api.get("/api/v1/dead-letters", admin).json().get("items").findValuesAsText("id").contains(letter),
        "a deleted test's letters cannot be retried, so they are not listed"));
  }

  @Test
  void pauseResumeTriggerAndDelete() {
    String id = create(node, admin, "{\"title\":\"hourly\",\"schedule\":{\"cron\":\"0 0 * * * ?\",\"timezone\":\"Europe/Berlin\"},"
        + "\"action\":{\"kind\":\"http\",\"url\":\"" + url("/hourly") + "\"}}").get("id").asText();
    JsonNode paused = node.api.post("/api/v1/lab-tests/" + id + "/pause", admin, "").json();
    assertEquals("paused", paused.get("status").asText());
    assertTrue(paused.get("next_fire_at").isNull());
    JsonNode resumed = node.api.post("/api/v1/lab-tests/" + id + "/resume", admin, "").json();
    assertEquals("scheduled", resumed.get("status").asText());
    assertTrue(Instant.parse(resumed.get("next_fire_at").asText()).isAfter(Instant.now()));

    assertEquals(200, node.api.post("/api/v1/lab-tests/" + id + "/trigger", admin, "").status());
    node.eventually(() -> assertEquals(1, callsTo("/hourly").size()));
    node.eventually(() -> assertEquals(resumed.get("next_fire_at").asText(),
        node.api.get("/api/v1/lab-tests/" + id, admin).json().get("next_fire_at").asText(), "a trigger leaves the schedule as it was"));
    node.eventually(() -> {
      JsonNode upcoming = node.api.get("/api/v1/lab-tests?upcoming=true&limit=500", admin).json().get("items");
      assertTrue(upcoming.findValuesAsText("id").contains(id));
    });

    assertEquals(200, node.api.send("DELETE", "/api/v1/lab-tests/" + id, admin, null, Map.of()).status());
    assertEquals(404, node.api.get("/api/v1/lab-tests/" + id, admin).status());
    node.eventually(() -> assertFalse(node.api.get("/api/v1/lab-tests?limit=500", admin).json().get("items").findValuesAsText("id").contains(id)));
  }

  @Test
  void testsMonthsAheadAreScheduledAndStayScheduled() {
    // Beyond what one actor timer can wait (about 24 days with the node's 1 ms tick).
    String once = create(node, admin, once(Instant.now().plus(Duration.ofDays(400)), "/next-year", 0)).get("id").asText();
    String yearly = create(node, admin, "{\"title\":\"annual calibration\",\"schedule\":{\"cron\":\"0 0 6 1 1 ?\",\"timezone\":\"Europe/Berlin\"},"
        + "\"action\":{\"kind\":\"http\",\"url\":\"" + url("/yearly") + "\"}}").get("id").asText();
    for (String id : List.of(once, yearly)) {
      JsonNode t = node.api.get("/api/v1/lab-tests/" + id, admin).json();
      assertEquals("scheduled", t.get("status").asText(), t.toString());
      assertEquals(200, node.api.post("/api/v1/lab-tests/" + id + "/pause", admin, "").status(), "the entity still answers");
    }
  }

  @Test
  void passivatedTestsAreWokenInTimeByTheDeadlineIndexAllOfThemWhenManyAreDueTogether() {
    Map<String, Object> settings = new java.util.HashMap<>(SETTINGS);
    // Idle entities stop after 1 s, and their timers with them.
    settings.put("pekko.cluster.sharding.passivation.default-idle-strategy.idle-entity.timeout", "1s");
    // Pages of 2: eight tests due together need four pages in one sweep.
    settings.put("lims.deadlines.page-size", 2);
    try (TestNode quick = TestNode.start(TestDatabase.fresh("lab_test_passivation"), settings)) {
      Instant due = Instant.now().plusSeconds(10);
      String token = quick.adminToken();
      for (int i = 0; i < 8; i++) create(quick, token, once(due, "/passivated", 0));
      quick.eventually(() -> assertEquals(8, callsTo("/passivated").size()));
      for (Received call : callsTo("/passivated")) {
        assertFalse(call.at().isBefore(due), "early: " + call.at());
        // Waking only the first page would leave the others to fire sweeps later, one page per sweep.
        assertTrue(call.at().isBefore(due.plusMillis(1000)), "late: " + call.at() + " for " + due);
      }
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aTestWhoseNodeStoppedLongBeforeItsInstantStillFiresOnTime() {
    Map<String, Object> database = TestDatabase.fresh("lab_test_restart");
    Instant due = Instant.now().plusSeconds(12);
    String id;
    try (TestNode first = TestNode.start(database, SETTINGS)) {
      id = create(first, first.adminToken(), once(due, "/restart", 0)).get("id").asText();
      first.eventually(() -> assertEquals(1, first.count("SELECT COUNT(*) FROM lab_test WHERE id = ?", id)));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
    // Nothing on the new node asks for this test: only the keeper, which starts every partition, can wake it.
    try (TestNode second = TestNode.start(database, SETTINGS)) {
      second.eventually(() -> assertEquals(1, callsTo("/restart").size()));
      assertFalse(callsTo("/restart").get(0).at().isBefore(due));
      String token = second.adminToken();
      second.eventually(() -> assertEquals("succeeded", executions(second, token, id).get(0).get("status").asText()));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void aNodeThatStopsMidActionIsFollowedByAResumeOfTheSameExecution() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("lab_test_crash");
    CountDownLatch release = new CountDownLatch(1);
    holds.put("/crash", release);
    String id;
    try (TestNode first = TestNode.start(database, SETTINGS)) {
      id = create(first, first.adminToken(), once(Instant.now().plusSeconds(1), "/crash", 0)).get("id").asText();
      first.eventually(() -> assertEquals(1, callsTo("/crash").size()));
      // The action is under way (the receiver holds its answer) when the node stops.
    }
    try (TestNode second = TestNode.start(database, SETTINGS)) {
      second.eventually(() -> assertEquals(2, callsTo("/crash").size()));
      release.countDown();
      String token = second.adminToken();
      second.eventually(() -> assertEquals("completed", second.api.get("/api/v1/lab-tests/" + id, token).json().get("status").asText()));
      assertEquals(1, callsTo("/crash").stream().map(Received::key).distinct().count(),
          "the receiver sees one execution id for the due instant, however often it is called");
      second.eventually(() -> assertEquals("succeeded", executions(second, token, id).get(0).get("status").asText()));
      assertEquals(1, second.count("SELECT COUNT(*) FROM lab_test_execution WHERE lab_test_id = ?", id), "one execution, resumed");
    }
  }

  @Test
  void aWorkflowActionStartsAMeasurementOnTheDeviceOncePerExecution() {
    WorkflowApiTest.device(node, admin, "lt-reader", "plate_reader");
    String id = create(node, admin, "{\"title\":\"absorbance\",\"schedule\":{\"at\":\"" + Instant.now().plusSeconds(1) + "\"},"
        + "\"action\":{\"kind\":\"workflow\",\"device_id\":\"lt-reader\",\"steps\":[{\"operation\":\"read_absorbance\"}]}}")
        .get("id").asText();
    node.eventually(() -> assertEquals("succeeded", executions(node, admin, id).get(0).get("status").asText()));
    String log = executions(node, admin, id).get(0).get("log").get(0).asText();
    String workflowId = log.split(" ")[1];
    assertTrue(log.endsWith("running on lt-reader"), log);
    assertEquals("running", node.api.get("/api/v1/workflows/" + workflowId, admin).json().get("status").asText());
    assertEquals(workflowId, node.api.get("/api/v1/devices/lt-reader", admin).json().get("current_booking").get("workflow_id").asText());

    ApiClient.Reply unsupported = node.api.post("/api/v1/lab-tests", admin, "{\"title\":\"t\",\"schedule\":{\"at\":\""
        + Instant.now().plusSeconds(60) + "\"},\"action\":{\"kind\":\"workflow\",\"device_id\":\"lt-reader\",\"steps\":[]}}");
    assertEquals(List.of("action"), fieldsNamed(unsupported.json()));
  }

  @Test
  void upcomingTestsArePagedInFireOrder() {
    List<String> mine = new java.util.ArrayList<>();
    for (int i = 3; i >= 1; i--) {
      mine.add(create(node, admin, once(Instant.now().plusSeconds(3600L * i), "/later-" + i, 0)).get("id").asText());
    }
    node.eventually(() -> {
      List<String> seen = new java.util.ArrayList<>();
      Instant previous = Instant.MIN;
      String cursor = null;
      do {
        JsonNode page = node.api.get("/api/v1/lab-tests?upcoming=true&limit=2" + (cursor == null ? "" : "&after=" + cursor), admin).json();
        for (JsonNode t : page.get("items")) {
          Instant next = Instant.parse(t.get("next_fire_at").asText());
          assertFalse(next.isBefore(previous), "ordered by next fire instant");
          previous = next;
          seen.add(t.get("id").asText());
        }
        cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
      } while (cursor != null);
      assertEquals(seen.size(), new java.util.HashSet<>(seen).size(), "no test on two pages");
      List<String> order = seen.stream().filter(mine::contains).toList();
      assertEquals(List.of(mine.get(2), mine.get(1), mine.get(0)), order, "soonest first");
    });
    // Forged cursors are refused, naming the parameter: not one of ours, and one beyond any instant a table holds.
    String beyond = java.util.Base64.getUrlEncoder().encodeToString("+1000000000-01-01T00:00:00Z|LT-000000000000".getBytes());
    for (String forged : List.of("9999999999999999999.000000000_LT-000000000000", beyond)) {
      ApiClient.Reply reply = node.api.get("/api/v1/lab-tests?upcoming=true&after=" + forged, admin);
      assertEquals(400, reply.status(), reply.body());
      assertEquals(List.of("after"), fieldsNamed(reply.json()));
    }
  }

  static JsonNode preview(String token, String schedule) {
    ApiClient.Reply r = node.api.post("/api/v1/lab-tests/preview", token, "{\"schedule\":" + schedule + "}");
    assertEquals(200, r.status(), r.body());
    return r.json();
  }

  static List<String> fireField(JsonNode preview, String field) {
    List<String> values = new java.util.ArrayList<>();
    preview.get("next_fires").forEach(f -> values.add(f.get(field).asText()));
    return values;
  }

  /**
   * The preview answers in words and with the next five fires as the scheduler computes them:
   * Berlin moves its clocks forward on Sunday 29 March 2099, 06:00 stays 06:00 local (an hour
   * earlier in UTC), and 02:30, which does not exist that night, fires at 03:30 (decision 0028).
   */
  @Test
  void aSchedulesPreviewIsItsWordsAndItsNextFiveFiresAcrossADaylightSavingChange() {
    // Lab tests in the journal, written before a create answers (the read table follows later).
    String labTests = "SELECT COUNT(DISTINCT \"persistence_id\") FROM \"event_journal\" WHERE \"persistence_id\" LIKE 'LabTest|%'";
    long before = node.count(labTests);
    JsonNode daily = preview(admin, "{\"cron\":\"0 0 6 26-31 3 ? 2099\",\"timezone\":\"Europe/Berlin\"}");
    assertEquals("on days 26 to 31 of March in 2099 at 06:00 Europe/Berlin", daily.at("/schedule/description").asText());
    assertEquals("0 0 6 26-31 3 ? 2099", daily.at("/schedule/cron").asText());
    assertEquals(List.of("2099-03-26T05:00:00Z", "2099-03-27T05:00:00Z", "2099-03-28T05:00:00Z", "2099-03-29T04:00:00Z", "2099-03-30T04:00:00Z"),
        fireField(daily, "at"));
    assertEquals(List.of("2099-03-26T06:00:00+01:00", "2099-03-27T06:00:00+01:00", "2099-03-28T06:00:00+01:00", "2099-03-29T06:00:00+02:00",
        "2099-03-30T06:00:00+02:00"), fireField(daily, "local_time"));
    JsonNode gap = preview(admin, "{\"cron\":\"0 30 2 27-31 3 ? 2099\",\"timezone\":\"Europe/Berlin\"}");
    assertEquals(List.of("2099-03-27T01:30:00Z", "2099-03-28T01:30:00Z", "2099-03-29T01:30:00Z", "2099-03-30T00:30:00Z", "2099-03-31T00:30:00Z"),
        fireField(gap, "at"));
    assertEquals("2099-03-29T03:30:00+02:00", fireField(gap, "local_time").get(2));

    // From now: every day at 06:00 in Berlin, five days in a row, each after this request.
    Instant asked = Instant.now();
    JsonNode everyDay = preview(admin, "{\"cron\":\"0 0 6 * * ?\",\"timezone\":\"Europe/Berlin\"}");
    assertEquals("every day at 06:00 Europe/Berlin", everyDay.at("/schedule/description").asText());
    List<String> at = fireField(everyDay, "at");
    assertEquals(5, at.size());
    assertTrue(Instant.parse(at.get(0)).isAfter(asked), at.toString());
    assertTrue(Instant.parse(at.get(0)).isBefore(asked.plus(Duration.ofHours(25))), at.toString());
    fireField(everyDay, "local_time").forEach(local -> assertTrue(local.contains("T06:00:00+0"), local));

    // A one-off: once, in UTC.
    Instant once = Instant.now().plus(Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.MINUTES);
    JsonNode oneOff = preview(admin, "{\"at\":\"" + once + "\"}");
    assertEquals("once at " + once.toString().substring(0, 16).replace('T', ' ') + " UTC", oneOff.at("/schedule/description").asText());
    assertEquals(List.of(once.toString()), fireField(oneOff, "at"));

    // Refused as create refuses it: the same field, the same reason.
    String action = "\"action\":{\"kind\":\"http\",\"url\":\"" + url("/never") + "\"}";
    Map<String, String> refused = Map.of(
        "{\"cron\":\"61 * * * * ?\",\"timezone\":\"Europe/Berlin\"}", "schedule.cron",
        "{\"cron\":\"not cron\",\"timezone\":\"Europe/Berlin\"}", "schedule.cron",
        "{\"cron\":\"0 0 6 * * ?\",\"timezone\":\"Mars/Olympus\"}", "schedule.timezone",
        "{\"at\":\"2020-01-01T00:00:00Z\"}", "schedule.at",
        "{\"at\":\"" + Instant.now().minusSeconds(1) + "\"}", "schedule.at",
        "{\"cron\":\"0 0 6 * * ?\"}", "schedule.timezone",
        "{}", "schedule");
    refused.forEach((schedule, field) -> {
      ApiClient.Reply previewed = node.api.post("/api/v1/lab-tests/preview", admin, "{\"schedule\":" + schedule + "}");
      assertEquals(400, previewed.status(), schedule + " -> " + previewed.body());
      assertEquals("application/problem+json", previewed.contentType());
      assertEquals(List.of(field), fieldsNamed(previewed.json()), previewed.body());
      ApiClient.Reply created = node.api.post("/api/v1/lab-tests", admin, "{\"title\":\"t\",\"schedule\":" + schedule + "," + action + "}");
      assertEquals(created.json().get("errors"), previewed.json().get("errors"), "preview and create refuse " + schedule + " alike");
    });
    ApiClient.Reply unknown = node.api.post("/api/v1/lab-tests/preview", admin, "{\"schedule\":{\"at\":\"" + once + "\"},\"title\":\"t\"}");
    assertEquals(List.of("title"), fieldsNamed(unknown.json()), unknown.body());
    assertEquals(before, node.count(labTests), "a preview stores nothing");
  }

  /** The words are in a test's answer and in the list the UI shows. */
  @Test
  void aTestsScheduleInWordsIsInItsAnswerAndInTheList() {
    String body = "{\"title\":\"Morning OD600\",\"schedule\":{\"cron\":\"0 0 6 ? * MON-FRI\",\"timezone\":\"Europe/Berlin\"},"
        + "\"action\":{\"kind\":\"http\",\"url\":\"" + url("/words") + "\"}}";
    JsonNode created = create(node, admin, body);
    String id = created.get("id").asText();
    String words = "every Monday to Friday at 06:00 Europe/Berlin";
    assertEquals(words, created.at("/schedule/description").asText());
    assertEquals(words, node.api.get("/api/v1/lab-tests/" + id, admin).json().at("/schedule/description").asText());
    node.eventually(() -> {
      JsonNode row = null;
      String cursor = null;
      do {
        JsonNode page = node.api.get("/api/v1/lab-tests?limit=100" + (cursor == null ? "" : "&after=" + cursor), admin).json();
        for (JsonNode t : page.get("items")) if (t.get("id").asText().equals(id)) row = t;
        cursor = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
      } while (cursor != null && row == null);
      assertTrue(row != null, "listed");
      assertEquals(words, row.at("/schedule/description").asText());
      assertEquals("0 0 6 ? * MON-FRI", row.at("/schedule/cron").asText());
    });
    JsonNode once = create(node, admin, once(Instant.parse("2099-12-01T08:00:00Z"), "/words-once", 0));
    assertEquals("once at 2099-12-01 08:00 UTC", once.at("/schedule/description").asText());
    node.api.send("DELETE", "/api/v1/lab-tests/" + id, admin, null, Map.of());
  }
}
