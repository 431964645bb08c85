package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Collectors;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Devices over HTTP against a real node: booking, queue, operations, execution logs. */
@Tag("database")
class DeviceApiTest {

  /** Incubating outlasts the execute wait, so its HTTP call answers 202 while it runs. */
  static final Map<String, Object> SETTINGS = Map.of(
      "lims.device.simulated-driver.durations.incubate", "1500ms", "lims.device.execute-wait", "300ms");

  static Map<String, Object> database;
  static TestNode node;
  static ApiClient api;
  static String admin;
  static String tech;

  @BeforeAll
  static void start() {
    database = TestDatabase.fresh("devices");
    node = TestNode.start(database, SETTINGS);
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "tess", "technician-password", "technician");
    api.createUser(admin, "vic", "viewer-password-1", "viewer");
    tech = api.login("tess", "technician-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static void register(String id, String type) {
    ApiClient.Reply reply = api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", id, "name", "Device " + id, "type", type)));
    assertEquals(201, reply.status(), reply.body());
  }

  static ApiClient.Reply post(String path, Map<String, Object> body) {
    return api.post(path, tech, ApiClient.json(body));
  }

  @Test
  void twoHundredConcurrentBookersGetExactlyOneBooking() throws Exception {
    register("contended-reader", "plate_reader");
    HttpClient client = HttpClient.newBuilder().executor(java.util.concurrent.Executors.newFixedThreadPool(32)).build();
    List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      HttpRequest request = HttpRequest.newBuilder(URI.create(node.node.baseUrl() + "/api/v1/devices/contended-reader/book"))
          .header("Authorization", "Bearer " + tech).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"workflow_id\":\"wf-" + i + "\"}")).build();
      replies.add(client.sendAsync(request, HttpResponse.BodyHandlers.ofString()));
    }
    List<HttpResponse<String>> done = replies.stream().map(CompletableFuture::join).toList();
    Map<Integer, Long> statuses = done.stream().collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting()));
    assertEquals(Map.of(200, 1L, 409, 199L), statuses);
    String winner = done.stream().filter(r -> r.statusCode() == 200).findFirst().orElseThrow().body()
        .replaceAll(".*\"workflow_id\":\"([^\"]+)\".*", "$1");
    done.stream().filter(r -> r.statusCode() == 409)
        .forEach(r -> assertTrue(r.body().contains("\"holder\":\"" + winner + "\""), "every loser is told the winner holds it: " + r.body()));

    long granted = node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" LIKE ?",
        "Device|contended-reader", "%BookingGranted");
    assertEquals(1, granted, "BookingGranted events in the journal");
    node.eventually(() -> assertEquals(1, node.count("SELECT COUNT(*) FROM device WHERE id = ? AND holder_workflow_id = ?", "contended-reader", winner)));
    JsonNode conflict = api.post("/api/v1/devices/contended-reader/book", tech, "{\"workflow_id\":\"late\"}").json();
    assertTrue(conflict.has("holder") && conflict.has("booked_at"), conflict.toString());
  }

  @Test
  void releaseGrantsTheNextUrgentBeforeAnEarlierNormalAndCancelRemovesAnEntry() {
    register("queue-handler", "liquid_handler");
    assertEquals(200, post("/api/v1/devices/queue-handler/book", Map.of("workflow_id", "holder")).status());
    ApiClient.Reply normal = post("/api/v1/devices/queue-handler/queue", Map.of("workflow_id", "normal-1", "priority", "normal"));
    assertEquals(202, normal.status(), normal.body());
    assertEquals(1, normal.json().get("position").asInt());
    post("/api/v1/devices/queue-handler/queue", Map.of("workflow_id", "low-1", "priority", "low"));
    ApiClient.Reply urgent = post("/api/v1/devices/queue-handler/queue", Map.of("workflow_id", "urgent-1", "priority", "urgent"));
    assertEquals(1, urgent.json().get("position").asInt());

    List<String> order = new ArrayList<>();
    api.get("/api/v1/devices/queue-handler/queue", tech).json().forEach(e -> order.add(e.get("workflow_id").asText()));
    assertEquals(List.of("urgent-1", "normal-1", "low-1"), order);

    assertEquals(204, api.send("DELETE", "/api/v1/devices/queue-handler/queue/low-1", tech, null, Map.of()).status());
    problem(api.send("DELETE", "/api/v1/devices/queue-handler/queue/low-1", tech, null, Map.of()), 404);

    problem(post("/api/v1/devices/queue-handler/release", Map.of("workflow_id", "normal-1")), 403);
    JsonNode released = post("/api/v1/devices/queue-handler/release", Map.of("workflow_id", "holder")).json();
    assertEquals("urgent-1", released.get("next_booking").get("workflow_id").asText());
    JsonNode device = api.get("/api/v1/devices/queue-handler", tech).json();
    assertEquals("urgent-1", device.get("current_booking").get("workflow_id").asText());
    assertEquals(1, device.get("queue_length").asInt());
    assertEquals(1, api.get("/api/v1/devices/queue-handler/wait-time?workflow_id=normal-1", tech).json().get("position").asInt());
  }

  @Test
  void onlyTheHolderExecutesSupportedOperationsAndLogsAreSearchableByTimeRange() {
    register("exec-reader", "plate_reader");
    Instant before = Instant.now();
    post("/api/v1/devices/exec-reader/book", Map.of("workflow_id", "wf-exec"));
    problem(post("/api/v1/devices/exec-reader/execute", Map.of("workflow_id", "intruder", "operation", "read_absorbance")), 403);
    JsonNode unsupported = problem(post("/api/v1/devices/exec-reader/execute", Map.of("workflow_id", "wf-exec", "operation", "incubate")), 400);
    assertTrue(unsupported.get("detail").asText().contains("read_absorbance"));

    ApiClient.Reply ran = post("/api/v1/devices/exec-reader/execute",
        Map.of("workflow_id", "wf-exec", "operation", "read_absorbance", "parameters", Map.of("wavelength_nm", 600)));
    assertEquals(200, ran.status(), ran.body());
    JsonNode entry = ran.json();
    assertEquals("succeeded", entry.get("status").asText());
    assertEquals(600, entry.get("parameters").get("wavelength_nm").asInt());
    assertTrue(entry.get("duration_ms").asLong() >= 0);
    String id = entry.get("execution_id").asText();
    assertEquals("succeeded", api.get("/api/v1/executions/" + id, tech).json().get("status").asText());

    String range = "start=" + before + "&end=" + Instant.now().plusSeconds(1);
    node.eventually(() -> {
      JsonNode page = api.get("/api/v1/execution-logs/search?" + range + "&device_id=exec-reader", tech).json();
      assertEquals(1, page.get("items").size(), page.toString());
      assertEquals(id, page.get("items").get(0).get("execution_id").asText());
      assertEquals("succeeded", page.get("items").get(0).get("status").asText());
    });
    JsonNode empty = api.get("/api/v1/execution-logs/search?start=2001-01-01T00:00:00Z&end=2001-01-02T00:00:00Z", tech).json();
    assertEquals(0, empty.get("items").size());
    assertEquals(1, api.get("/api/v1/execution-logs/exec-reader", tech).json().get("items").size());
  }

  @Test
  void executionLogsPageWithCursorsAndExportEveryRow() {
    register("paging-reader", "plate_reader");
    post("/api/v1/devices/paging-reader/book", Map.of("workflow_id", "wf-page"));
    for (int i = 0; i < 5; i++) {
      assertEquals(200, post("/api/v1/devices/paging-reader/execute", Map.of("workflow_id", "wf-page", "operation", "read_fluorescence")).status());
    }
    node.eventually(() -> assertEquals(5, api.get("/api/v1/execution-logs/paging-reader", tech).json().get("items").size()));
    List<String> seen = new ArrayList<>();
    String path = "/api/v1/execution-logs/paging-reader?limit=2";
    for (int pages = 0; pages < 5; pages++) {
      JsonNode page = api.get(path, tech).json();
      page.get("items").forEach(x -> seen.add(x.get("execution_id").asText()));
      if (page.get("next_cursor").isNull()) break;
      path = "/api/v1/execution-logs/paging-reader?limit=2&after=" + page.get("next_cursor").asText();
    }
    assertEquals(List.of("paging-reader.5", "paging-reader.4", "paging-reader.3", "paging-reader.2", "paging-reader.1"), seen);

    ApiClient.Reply ndjson = api.get("/api/v1/execution-logs/export?device_id=paging-reader", tech);
    assertTrue(ndjson.contentType().startsWith("application/x-ndjson"), ndjson.contentType());
    assertEquals(5, ndjson.body().lines().count());
    ApiClient.Reply csv = api.send("GET", "/api/v1/execution-logs/export?device_id=paging-reader", tech, null, Map.of("Accept", "text/csv"));
    assertEquals(6, csv.body().lines().count(), "header and five rows");
  }

  @Test
  void theLargestAcceptedRegistrationStillReachesTheList() {
    List<String> capabilities = new ArrayList<>();
    for (int i = 0; i < 16; i++) capabilities.add(i + "c".repeat(47 - Integer.toString(i).length()) + "x");
    assertEquals(201, api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", "zz-largest", "name", "N".repeat(200),
        "type", "incubator", "capabilities", capabilities))).status());
    node.eventually(() -> {
      JsonNode page = api.get("/api/v1/devices?limit=500", tech).json();
      boolean listed = false;
      for (JsonNode d : page.get("items")) {
        listed |= d.get("id").asText().equals("zz-largest") && d.get("capabilities").size() == 16 && d.get("operations").toString().contains("incubate");
      }
      assertTrue(listed, "the projection stored it");
    });
  }

  @Test
  void aLongOperationAnswers202AndCanBeFollowedToItsEnd() {
    register("slow-incubator", "incubator");
    post("/api/v1/devices/slow-incubator/book", Map.of("workflow_id", "wf-slow"));
    ApiClient.Reply accepted = post("/api/v1/devices/slow-incubator/execute", Map.of("workflow_id", "wf-slow", "operation", "incubate"));
    assertEquals(202, accepted.status(), accepted.body());
    assertEquals("running", accepted.json().get("status").asText());
    String id = accepted.json().get("execution_id").asText();
    node.eventually(() -> assertEquals("succeeded", api.get("/api/v1/executions/" + id, tech).json().get("status").asText()));
  }

  @Test
  void waitEstimatesUseTheMeanDurationOfPastRunsOfTheSameOperation() {
    register("estimating-handler", "liquid_handler");
    post("/api/v1/devices/estimating-handler/book", Map.of("workflow_id", "wf-run"));
    for (int i = 0; i < 3; i++) post("/api/v1/devices/estimating-handler/execute", Map.of("workflow_id", "wf-run", "operation", "mix"));
    post("/api/v1/devices/estimating-handler/release", Map.of("workflow_id", "wf-run"));
    // mix has run (about 200 ms each); aspirate never has, so it counts at the 2 min default.
    post("/api/v1/devices/estimating-handler/book", Map.of("workflow_id", "wf-mixing", "operations", List.of("mix", "mix")));
    post("/api/v1/devices/estimating-handler/queue", Map.of("workflow_id", "wf-a", "priority", "normal", "operations", List.of("aspirate")));
    post("/api/v1/devices/estimating-handler/queue", Map.of("workflow_id", "wf-b", "priority", "normal"));
    node.eventually(() -> {
      JsonNode a = api.get("/api/v1/devices/estimating-handler/wait-time?workflow_id=wf-a", tech).json();
      assertEquals(1, a.get("position").asInt());
      assertEquals(0, a.get("estimated_wait_s").asLong(), "behind two mixes of about 200 ms: " + a);
      JsonNode b = api.get("/api/v1/devices/estimating-handler/wait-time?workflow_id=wf-b", tech).json();
      assertEquals(2, b.get("position").asInt());
      long waitB = b.get("estimated_wait_s").asLong();
      assertTrue(waitB >= 118 && waitB <= 120, "behind one aspirate at the default: " + b);
    });
  }

  @Test
  void theHolderIsStillTheHolderAfterTheNodeRestarts() throws Exception {
    register("restart-incubator", "incubator");
    post("/api/v1/devices/restart-incubator/book", Map.of("workflow_id", "wf-before"));
    post("/api/v1/devices/restart-incubator/queue", Map.of("workflow_id", "wf-next", "priority", "low"));
    post("/api/v1/devices/restart-incubator/release", Map.of("workflow_id", "wf-before"));
    node.close();
    node = TestNode.start(database, SETTINGS);
    api = node.api;
    admin = node.adminToken();
    tech = api.login("tess", "technician-password");
    JsonNode device = api.get("/api/v1/devices/restart-incubator", tech).json();
    assertEquals("wf-next", device.get("current_booking").get("workflow_id").asText());
    assertEquals("busy", device.get("status").asText());
  }

  @Test
  void maintenanceKeepsTheQueueUntilTheDeviceIsAvailableAgain() {
    register("maint-reader", "plate_reader");
    assertEquals(200, api.send("PUT", "/api/v1/devices/maint-reader/status", admin, "{\"status\":\"maintenance\"}", Map.of("Content-Type", "application/json")).status());
    problem(post("/api/v1/devices/maint-reader/book", Map.of("workflow_id", "wf-m")), 409);
    assertEquals(202, post("/api/v1/devices/maint-reader/queue", Map.of("workflow_id", "wf-m", "priority", "normal")).status());
    problem(api.send("PUT", "/api/v1/devices/maint-reader/status", tech, "{\"status\":\"available\"}", Map.of("Content-Type", "application/json")), 403);
    JsonNode available = api.send("PUT", "/api/v1/devices/maint-reader/status", admin, "{\"status\":\"available\"}", Map.of("Content-Type", "application/json")).json();
    assertEquals("busy", available.get("status").asText());
    assertEquals("wf-m", available.get("current_booking").get("workflow_id").asText());
  }

  @Test
  void badInputIsRefusedByFieldAndChangesNothing() {
    register("strict-reader", "plate_reader");
    post("/api/v1/devices/strict-reader/book", Map.of("workflow_id", "wf-keep"));
    problem(api.get("/api/v1/devices/no-such-device", tech), 404);
    problem(post("/api/v1/devices/no-such-device/book", Map.of("workflow_id", "wf-x")), 404);
    problem(api.get("/api/v1/devices/Bad_Id!", tech), 400);
    assertEquals(List.of("priority"), fieldsNamed(problem(post("/api/v1/devices/strict-reader/queue", Map.of("workflow_id", "wf-q", "priority", "asap")), 400)));
    assertEquals(List.of("workflow_id"), fieldsNamed(problem(post("/api/v1/devices/strict-reader/queue", Map.of("priority", "urgent")), 400)));
    assertEquals(List.of("workflow_id"), fieldsNamed(problem(post("/api/v1/devices/strict-reader/release", Map.of()), 400)));
    assertEquals(List.of("start"), fieldsNamed(problem(api.get("/api/v1/execution-logs/search?start=2026-02-02T00:00:00Z&end=2026-01-01T00:00:00Z", tech), 400)));
    assertEquals(List.of("end"), fieldsNamed(problem(api.get("/api/v1/execution-logs/search?end=yesterday", tech), 400)));
    assertEquals(List.of("limit"), fieldsNamed(problem(api.get("/api/v1/execution-logs?limit=100000", tech), 400)));
    assertEquals(List.of("after"), fieldsNamed(problem(api.get("/api/v1/execution-logs?after=garbage", tech), 400)));
    String beyond = java.util.Base64.getUrlEncoder().encodeToString("+1000000000-01-01T00:00:00Z|x".getBytes());
    assertEquals(List.of("after"), fieldsNamed(problem(api.get("/api/v1/execution-logs?after=" + beyond, tech), 400)));
    assertEquals(List.of("start"), fieldsNamed(problem(api.get("/api/v1/execution-logs/search?start=%2B1000000000-01-01T00:00:00Z", tech), 400)));
    assertEquals(List.of("type"), fieldsNamed(problem(api.post("/api/v1/devices", admin, "{\"id\":\"x1\",\"name\":\"X\",\"type\":\"centrifuge\"}"), 400)));
    assertEquals(List.of("capabilities[0]"), fieldsNamed(problem(api.post("/api/v1/devices", admin,
        ApiClient.json(Map.of("id", "x1", "name", "X", "type", "incubator", "capabilities", List.of("c".repeat(49))))), 400)));
    assertEquals(List.of("capabilities"), fieldsNamed(problem(api.post("/api/v1/devices", admin,
        ApiClient.json(Map.of("id", "x1", "name", "X", "type", "incubator", "capabilities", java.util.Collections.nCopies(17, "co2")))), 400)));
    // Valid JSON that PostgreSQL text cannot hold: refused by path, anywhere in a body, before it reaches the journal.
    assertEquals(List.of("name"), fieldsNamed(problem(api.post("/api/v1/devices", admin, "{\"id\":\"x1\",\"name\":\"A\\u0000B\",\"type\":\"incubator\"}"), 400)));
    assertEquals(List.of("capabilities[1]"), fieldsNamed(problem(api.post("/api/v1/devices", admin,
        "{\"id\":\"x1\",\"name\":\"X\",\"type\":\"incubator\",\"capabilities\":[\"co2\",\"o\\u0000\"]}"), 400)));
    // Ids the execution-log paths use for themselves: such a device's log could not be asked for.
    for (String reserved : List.of("search", "export")) {
      assertEquals(List.of("id"), fieldsNamed(problem(api.post("/api/v1/devices", admin, "{\"id\":\"" + reserved + "\",\"name\":\"X\",\"type\":\"incubator\"}"), 400)));
    }
    // An id refused already is not checked again as a reserved one (these answered 500, issue 18).
    assertEquals(List.of("id", "name", "type"), fieldsNamed(problem(api.post("/api/v1/devices", admin, "{}"), 400)));
    assertEquals(List.of("id", "type"), fieldsNamed(problem(api.post("/api/v1/devices", admin, "{\"name\":\"x\"}"), 400)));
    assertEquals(List.of("id", "name", "type", "workflow_id", "priority"),
        fieldsNamed(problem(api.post("/api/v1/devices", admin, "{\"workflow_id\":null,\"priority\":7}"), 400)));
    problem(api.post("/api/v1/devices/strict-reader/book", api.login("vic", "viewer-password-1"), "{\"workflow_id\":\"wf-v\"}"), 403);
    problem(api.post("/api/v1/devices", admin, "{\"id\":\"strict-reader\",\"name\":\"Again\",\"type\":\"incubator\"}"), 409);

    JsonNode device = api.get("/api/v1/devices/strict-reader", tech).json();
    assertEquals("wf-keep", device.get("current_booking").get("workflow_id").asText());
    assertEquals("plate_reader", device.get("type").asText());
    assertEquals(0, device.get("queue_length").asInt());
    assertEquals("[\"read_absorbance\",\"read_fluorescence\"]", device.get("operations").toString(), "what a step on it may name");
    assertNull(api.get("/api/v1/devices/x1", tech).json().get("id"));
  }
}
