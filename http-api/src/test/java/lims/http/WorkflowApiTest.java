package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.stream.Collectors;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Workflows that book devices, over HTTP: validation, contention, queue order, reliable grant delivery. */
@Tag("database")
class WorkflowApiTest {

  static TestNode node;
  static String admin;
  static String tech;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("workflows"));
    admin = node.adminToken();
    node.api.createUser(admin, "tess", "technician-password", "technician");
    tech = node.api.login("tess", "technician-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static void device(TestNode on, String token, String id, String type) {
    assertEquals(201, on.api.post("/api/v1/devices", token, ApiClient.json(Map.of("id", id, "name", id, "type", type))).status());
  }

  /** The admin sets a device's operational status. */
  static ApiClient.Reply setStatus(String deviceId, String status) {
    return node.api.send("PUT", "/api/v1/devices/" + deviceId + "/status", admin, "{\"status\":\"" + status + "\"}",
        Map.of("Content-Type", "application/json"));
  }

  static String workflow(TestNode on, String token, String deviceId, List<String> barcodes, String... steps) {
    ApiClient.Reply reply = on.api.post("/api/v1/workflows", token, ApiClient.json(Map.of(
        "name", "measure " + deviceId, "device_id", deviceId, "sample_barcodes", barcodes, "steps", List.of(steps))));
    assertEquals(201, reply.status(), reply.body());
    assertEquals("created", reply.json().get("status").asText());
    return reply.json().get("id").asText();
  }

  static String status(TestNode on, String token, String workflowId) {
    return on.api.get("/api/v1/workflows/" + workflowId, token).json().get("status").asText();
  }

  /** A specimen walked to QC_PASSED; returns its barcode. */
  static String qcPassedSample() {
    JsonNode s = node.api.post("/api/v1/specimens", tech, "{\"client_ref\":\"c1\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}").json();
    for (String a : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc")) {
      assertEquals(200, node.api.post("/api/v1/specimens/" + s.get("id").asText() + "/transitions", tech, "{\"action\":\"" + a + "\"}").status());
    }
    return s.get("barcode").asText();
  }

  static List<HttpResponse<String>> concurrently(List<String> paths, List<String> bodies) {
    HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
    List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
    for (int i = 0; i < paths.size(); i++) {
      replies.add(client.sendAsync(HttpRequest.newBuilder(URI.create(node.node.baseUrl() + paths.get(i)))
          .header("Authorization", "Bearer " + tech).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(bodies.get(i))).build(), HttpResponse.BodyHandlers.ofString()));
    }
    return replies.stream().map(CompletableFuture::join).toList();
  }

  @Test
  void createNamesWhatIsWrong() {
    device(node, admin, "wf-check-reader", "plate_reader");
    String sample = qcPassedSample();
    problem(node.api.post("/api/v1/workflows", tech, ApiClient.json(Map.of("name", "n", "device_id", "no-such-device",
        "sample_barcodes", List.of(sample), "steps", List.of("read_absorbance")))), 404);
    JsonNode unknownSample = problem(node.api.post("/api/v1/workflows", tech, ApiClient.json(Map.of("name", "n", "device_id", "wf-check-reader",
        "sample_barcodes", List.of("SP2026999999" + checkOf("SP2026999999")), "steps", List.of("read_absorbance")))), 404);
    assertTrue(unknownSample.get("detail").asText().contains("SP2026999999"));
    assertEquals(List.of("sample_barcodes[0]"), fieldsNamed(problem(node.api.post("/api/v1/workflows", tech, ApiClient.json(Map.of("name", "n",
        "device_id", "wf-check-reader", "sample_barcodes", List.of("SP20260000010"), "steps", List.of("read_absorbance")))), 400)));
    assertEquals(List.of("steps[1]"), fieldsNamed(problem(node.api.post("/api/v1/workflows", tech, ApiClient.json(Map.of("name", "n",
        "device_id", "wf-check-reader", "sample_barcodes", List.of(sample),
        "steps", List.of("read_absorbance", Map.of("operation", "incubate", "parameters", Map.of("minutes", 30)))))), 400)));
    // More steps than a workflow holds is refused, not cut short.
    assertEquals(List.of("steps"), fieldsNamed(problem(node.api.post("/api/v1/workflows", tech, ApiClient.json(Map.of("name", "n",
        "device_id", "wf-check-reader", "sample_barcodes", List.of(sample), "steps", java.util.Collections.nCopies(201, "read_absorbance")))), 400)));
  }

  static char checkOf(String payload) {
    for (char c : "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ".toCharArray()) {
      if (lims.specimen.Barcodes.validFormat(payload + c)) return c;
    }
    throw new AssertionError();
  }

  @Test
  void fiveConcurrentStartsOnOneDeviceGiveOneRunningAndFourConflicts() {
    device(node, admin, "wf-contended", "liquid_handler");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) ids.add(workflow(node, tech, "wf-contended", List.of(), "mix"));
    List<HttpResponse<String>> replies = concurrently(ids.stream().map(id -> "/api/v1/workflows/" + id + "/start").toList(),
        java.util.Collections.nCopies(5, "{}"));
    assertEquals(Map.of(200, 1L, 409, 4L), replies.stream().collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting())));
    Map<String, Long> statuses = ids.stream().collect(Collectors.groupingBy(id -> status(node, tech, id), Collectors.counting()));
    assertEquals(Map.of("running", 1L, "created", 4L), statuses);
  }

  @Test
  void queuedWorkflowsStartByThemselvesInPriorityOrderAsEachCompletes() {
    device(node, admin, "wf-queue-handler", "liquid_handler");
    List<String> priorities = List.of("low", "normal", "urgent", "normal", "low");
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) ids.add(workflow(node, tech, "wf-queue-handler", List.of(), "mix"));
    List<HttpResponse<String>> replies = concurrently(ids.stream().map(id -> "/api/v1/workflows/" + id + "/start").toList(),
        priorities.stream().map(p -> "{\"queue\":true,\"priority\":\"" + p + "\"}").toList());
    assertEquals(Map.of(200, 1L, 202, 4L), replies.stream().collect(Collectors.groupingBy(HttpResponse::statusCode, Collectors.counting())));

    Map<String, Integer> rank = Map.of("urgent", 0, "normal", 1, "low", 2);
    List<String> served = new ArrayList<>();
    for (int round = 0; round < 5; round++) {
      String[] running = new String[1];
      node.eventually(() -> {
        List<String> now = ids.stream().filter(id -> status(node, tech, id).equals("running")).toList();
        assertEquals(1, now.size(), "exactly one running: " + now);
        assertTrue(!served.contains(now.get(0)));
        running[0] = now.get(0);
      });
      served.add(running[0]);
      assertEquals(200, node.api.post("/api/v1/workflows/" + running[0] + "/execute-step", tech, "").status());
      assertEquals(200, node.api.post("/api/v1/workflows/" + running[0] + "/complete", tech, "").status());
    }
    // After the first (which took the free device), each next one is the most urgent, earliest waiting.
    List<Integer> ranks = served.subList(1, 5).stream().map(id -> rank.get(priorities.get(ids.indexOf(id)))).toList();
    assertEquals(ranks.stream().sorted().toList(), ranks, "served in priority order: " + ranks);
    assertEquals(Map.of("completed", 5L), ids.stream().collect(Collectors.groupingBy(id -> status(node, tech, id), Collectors.counting())));
  }

  @Test
  void startingAndCompletingMoveTheSpecimens() {
    device(node, admin, "wf-specimen-reader", "plate_reader");
    String sample = qcPassedSample();
    String specimen = lims.specimen.Barcodes.specimenIdOf(sample);
    String id = workflow(node, tech, "wf-specimen-reader", List.of(sample), "read_absorbance");
    assertEquals(200, node.api.post("/api/v1/workflows/" + id + "/start", tech, "").status());
    node.eventually(() -> assertEquals("IN_EXPERIMENT", node.api.get("/api/v1/specimens/" + specimen, tech).json().get("state").asText()));
    problem(node.api.post("/api/v1/workflows/" + id + "/start", tech, ""), 400);
    // Steps cannot be skipped: completing before the measurement ran is refused, and the device stays held.
    JsonNode early = problem(node.api.post("/api/v1/workflows/" + id + "/complete", tech, ""), 400);
    assertTrue(early.get("detail").asText().contains("cannot be skipped"), early.toString());
    assertEquals("busy", node.api.get("/api/v1/devices/wf-specimen-reader", tech).json().get("status").asText());
    assertEquals("IN_EXPERIMENT", node.api.get("/api/v1/specimens/" + specimen, tech).json().get("state").asText());
    assertEquals(200, node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "").status());
    assertEquals(200, node.api.post("/api/v1/workflows/" + id + "/complete", tech, "").status());
    node.eventually(() -> assertEquals("IN_ANALYSIS", node.api.get("/api/v1/specimens/" + specimen, tech).json().get("state").asText()));
    assertEquals("available", node.api.get("/api/v1/devices/wf-specimen-reader", tech).json().get("status").asText());
    problem(node.api.post("/api/v1/workflows/" + id + "/complete", tech, ""), 400);
  }

  @Test
  void aStepTheDeviceRefusesIsRunLaterNotSkipped() {
    device(node, admin, "wf-maint-handler", "liquid_handler");
    String id = workflow(node, tech, "wf-maint-handler", List.of(), "mix", "aspirate");
    assertEquals(200, node.api.post("/api/v1/workflows/" + id + "/start", tech, "").status());
    setStatus("wf-maint-handler", "maintenance");
    ApiClient.Reply refused = node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "");
    assertTrue(refused.status() >= 400 && refused.status() < 500, refused.status() + " " + refused.body());
    assertEquals("pending", node.api.get("/api/v1/workflows/" + id, tech).json().get("steps").get(0).get("status").asText());
    setStatus("wf-maint-handler", "available");
    JsonNode first = node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "").json();
    assertEquals(0, first.get("index").asInt(), "the refused step runs now: " + first);
    assertEquals("succeeded", first.get("status").asText());
    assertEquals("aspirate", node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "").json().get("operation").asText());
    assertEquals(200, node.api.post("/api/v1/workflows/" + id + "/complete", tech, "").status());
  }

  @Test
  void aWorkflowCancelledBeforeItHeardItWasQueuedLeavesTheQueue() {
    device(node, admin, "wf-cancel-queue", "liquid_handler");
    assertEquals(200, node.api.post("/api/v1/devices/wf-cancel-queue/book", tech, "{\"workflow_id\":\"someone-else\"}").status());
    String id = workflow(node, tech, "wf-cancel-queue", List.of(), "mix");
    // The device queued its start, and the workflow was cancelled before it was told (still "created").
    assertEquals(202, node.api.post("/api/v1/devices/wf-cancel-queue/queue", tech, "{\"workflow_id\":\"" + id + "\",\"priority\":\"normal\"}").status());
    assertEquals(200, node.api.post("/api/v1/workflows/" + id + "/cancel", tech, "").status());
    node.eventually(() -> assertEquals(0, node.api.get("/api/v1/devices/wf-cancel-queue/queue", tech).json().size(),
        "a cancelled workflow keeps no place in the queue"));
  }

  @Test
  void aDeviceGoingOfflineFailsTheWorkflowHoldingItAndIsReleased() {
    device(node, admin, "wf-alarm-reader", "plate_reader");
    String held = workflow(node, tech, "wf-alarm-reader", List.of(), "read_absorbance", "read_fluorescence");
    String waiting = workflow(node, tech, "wf-alarm-reader", List.of(), "read_absorbance");
    assertEquals(200, node.api.post("/api/v1/workflows/" + held + "/start", tech, "").status());
    assertEquals(202, node.api.post("/api/v1/workflows/" + waiting + "/start", tech, "{\"queue\":true}").status());
    assertEquals(200, node.api.post("/api/v1/workflows/" + held + "/execute-step", tech, "").status());
    assertEquals(200, setStatus("wf-alarm-reader", "offline").status());
    node.eventually(() -> {
      assertEquals("failed", status(node, tech, held));
      assertTrue(node.api.get("/api/v1/devices/wf-alarm-reader", tech).json().get("current_booking").isNull(), "the device is released");
    });
    assertEquals("queued", status(node, tech, waiting), "an offline device grants nothing: the queue waits");
    problem(node.api.post("/api/v1/workflows/" + held + "/complete", tech, ""), 400);
    node.eventually(() -> assertTrue(node.api.get("/api/v1/workflows?status=failed&limit=500", tech).json().get("items").findValuesAsText("id").contains(held)));
    // Back online, the queue moves on by itself.
    setStatus("wf-alarm-reader", "available");
    node.eventually(() -> assertEquals("running", status(node, tech, waiting)));
  }

  static List<String> fields(JsonNode object) {
    List<String> names = new ArrayList<>();
    object.fieldNames().forEachRemaining(names::add);
    return names;
  }

  /** The answers' shapes, as the typed views give them: a pending step has no run fields, a run has them (null until known). */
  @Test
  void aWorkflowAndItsStepsAnswerTheirFields() {
    device(node, admin, "wf-fields-handler", "liquid_handler");
    String id = workflow(node, tech, "wf-fields-handler", List.of(), "mix", "aspirate");
    node.api.post("/api/v1/workflows/" + id + "/start", tech, "");
    JsonNode ran = node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "").json();
    assertEquals(List.of("index", "operation", "status", "execution_id", "started_at", "finished_at", "result"), fields(ran));
    JsonNode w = node.api.get("/api/v1/workflows/" + id, tech).json();
    assertEquals(List.of("id", "name", "status", "device_id", "priority", "samples", "steps", "booked_at", "created_by", "finished_at"), fields(w));
    assertEquals(List.of("index", "operation", "status", "execution_id", "started_at", "finished_at", "result", "parameters"),
        fields(w.get("steps").get(0)));
    assertEquals(List.of("index", "operation", "status", "parameters"), fields(w.get("steps").get(1)));
    assertTrue(w.get("finished_at").isNull());
    assertEquals("normal", w.get("priority").asText());
  }

  @Test
  void stepsRunInOrderAndNeitherSkipNorRepeat() {
    device(node, admin, "wf-steps-handler", "liquid_handler");
    String id = workflow(node, tech, "wf-steps-handler", List.of(), "mix", "aspirate");
    problem(node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, ""), 400);
    node.api.post("/api/v1/workflows/" + id + "/start", tech, "");
    JsonNode first = node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "").json();
    assertEquals(0, first.get("index").asInt());
    assertEquals("mix", first.get("operation").asText());
    assertEquals("succeeded", first.get("status").asText());
    JsonNode second = node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, "").json();
    assertEquals("aspirate", second.get("operation").asText());
    problem(node.api.post("/api/v1/workflows/" + id + "/execute-step", tech, ""), 400);
    JsonNode steps = node.api.get("/api/v1/workflows/" + id, tech).json().get("steps");
    assertEquals("succeeded", steps.get(1).get("status").asText());
    assertTrue(steps.get(1).get("execution_id").asText().startsWith("wf-steps-handler."));
  }

  @Test
  void concurrentStepRequestsNeverRunAStepTwice() {
    device(node, admin, "wf-race-handler", "liquid_handler");
    String id = workflow(node, tech, "wf-race-handler", List.of(), "mix", "aspirate", "mix");
    node.api.post("/api/v1/workflows/" + id + "/start", tech, "");
    List<HttpResponse<String>> replies = concurrently(java.util.Collections.nCopies(6, "/api/v1/workflows/" + id + "/execute-step"),
        java.util.Collections.nCopies(6, ""));
    long ran = replies.stream().filter(r -> r.statusCode() == 200).count();
    assertTrue(replies.stream().allMatch(r -> r.statusCode() == 200 || r.statusCode() == 409 || r.statusCode() == 400),
        replies.stream().map(HttpResponse::body).toList().toString());
    assertTrue(ran >= 1);
    JsonNode steps = node.api.get("/api/v1/workflows/" + id, tech).json().get("steps");
    long done = 0;
    for (JsonNode step : steps) if (step.get("status").asText().equals("succeeded")) done++;
    assertEquals(ran, done, "each 200 ran its own step");
    assertEquals(ran, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" LIKE ?",
        "Device|wf-race-handler", "%ExecutionStarted"), "the device ran exactly as many operations");
  }

  @Test
  void aStepThatOutlastsTheRequestEndsWhenTheDeviceReportsIt() throws Exception {
    try (TestNode slow = TestNode.start(TestDatabase.fresh("slow_steps"),
        Map.of("lims.device.execute-wait", "200ms", "lims.device.simulated-driver.durations.incubate", "1200ms"))) {
      String token = slow.adminToken();
      device(slow, token, "wf-slow-incubator", "incubator");
      String id = workflow(slow, token, "wf-slow-incubator", List.of(), "incubate");
      slow.api.post("/api/v1/workflows/" + id + "/start", token, "");
      ApiClient.Reply running = slow.api.post("/api/v1/workflows/" + id + "/execute-step", token, "");
      assertEquals(202, running.status(), running.body());
      problem(slow.api.post("/api/v1/workflows/" + id + "/execute-step", token, ""), 409);
      slow.eventually(() -> assertEquals("succeeded",
          slow.api.get("/api/v1/workflows/" + id, token).json().get("steps").get(0).get("status").asText()));
    }
  }

  @Test
  void theListShowsEachWorkflowWithItsSamplesAndStepsPageByPage() {
    device(node, admin, "wf-list-reader", "plate_reader");
    String sample = qcPassedSample();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 3; i++) ids.add(workflow(node, tech, "wf-list-reader", List.of(sample), "read_absorbance", "read_fluorescence"));
    node.api.post("/api/v1/workflows/" + ids.get(0) + "/start", tech, "");
    node.eventually(() -> {
      List<JsonNode> listed = new ArrayList<>();
      String path = "/api/v1/workflows?limit=2";
      while (path != null) {
        JsonNode page = node.api.get(path, tech).json();
        page.get("items").forEach(listed::add);
        path = page.get("next_cursor").isNull() ? null : "/api/v1/workflows?limit=2&after=" + page.get("next_cursor").asText();
      }
      List<JsonNode> mine = listed.stream().filter(w -> ids.contains(w.get("id").asText())).toList();
      assertEquals(3, mine.size());
      for (JsonNode w : mine) {
        assertEquals(sample, w.get("samples").get(0).get("barcode").asText());
        assertEquals(List.of("read_absorbance", "read_fluorescence"),
            List.of(w.get("steps").get(0).get("operation").asText(), w.get("steps").get(1).get("operation").asText()));
      }
      JsonNode running = node.api.get("/api/v1/workflows?status=running", tech).json().get("items");
      boolean found = false;
      for (JsonNode w : running) found |= w.get("id").asText().equals(ids.get(0));
      assertTrue(found, "status filter");
    });
    problem(node.api.get("/api/v1/workflows?status=dancing", tech), 400);
  }

  @Test
  void cancellingAQueuedWorkflowTakesItOutOfTheQueue() {
    device(node, admin, "wf-cancel-reader", "plate_reader");
    String first = workflow(node, tech, "wf-cancel-reader", List.of(), "read_absorbance");
    String second = workflow(node, tech, "wf-cancel-reader", List.of(), "read_absorbance");
    node.api.post("/api/v1/workflows/" + first + "/start", tech, "");
    assertEquals(202, node.api.post("/api/v1/workflows/" + second + "/start", tech, "{\"queue\":true}").status());
    assertEquals(1, node.api.get("/api/v1/devices/wf-cancel-reader", tech).json().get("queue_length").asInt());
    assertEquals("cancelled", node.api.post("/api/v1/workflows/" + second + "/cancel", tech, "").json().get("status").asText());
    assertEquals(0, node.api.get("/api/v1/devices/wf-cancel-reader", tech).json().get("queue_length").asInt());
  }

  @Test
  void aGrantMadeJustBeforeTheNodeStopsStillStartsTheWorkflow() throws Exception {
    Map<String, Object> database = TestDatabase.fresh("grant-delivery");
    // This node's reactions read the journal once a minute: a grant it makes is not delivered before it stops.
    Map<String, Object> slowReactions = new HashMap<>(Map.of("jdbc-read-journal.refresh-interval", "60s"));
    String waiting;
    try (TestNode first = TestNode.start(database, slowReactions)) {
      String token = first.adminToken();
      device(first, token, "wf-grant-reader", "plate_reader");
      String holder = workflow(first, token, "wf-grant-reader", List.of(), "read_absorbance");
      waiting = workflow(first, token, "wf-grant-reader", List.of(), "read_absorbance");
      assertEquals(200, first.api.post("/api/v1/workflows/" + holder + "/start", token, "").status());
      assertEquals(202, first.api.post("/api/v1/workflows/" + waiting + "/start", token, "{\"queue\":true}").status());
      // The device hands the booking to the waiting workflow in the same write as the release...
      JsonNode released = first.api.post("/api/v1/devices/wf-grant-reader/release", token, "{\"workflow_id\":\"" + holder + "\"}").json();
      assertEquals(waiting, released.get("next_booking").get("workflow_id").asText());
      // ...but the workflow has not heard of it when the node stops.
      assertEquals("queued", status(first, token, waiting));
    }
    try (TestNode second = TestNode.start(database)) {
      String token = second.adminToken();
      second.eventually(() -> assertEquals("running", status(second, token, waiting)));
    }
  }

  /**
   * The grant reaction reads every device event, but only a workflow's booking is a workflow's
   * business: one made on the device API (holder "bench-holder-1") has no entity to ask.
   * Asking it anyway started an empty Workflow entity for each such event, and under load
   * those asks timed out as errors (decision 0041).
   */
  @Test
  void aBookingMadeOnTheDeviceApiAsksNoWorkflow() {
    device(node, admin, "wf-direct-reader", "plate_reader");
    String direct = "bench-holder-1";
    String device = "/api/v1/devices/wf-direct-reader";
    assertEquals(200, node.api.post(device + "/book", tech, "{\"workflow_id\":\"" + direct + "\"}").status());
    ApiClient.Reply ran = node.api.post(device + "/execute", tech, "{\"workflow_id\":\"" + direct + "\",\"operation\":\"read_absorbance\"}");
    assertTrue(ran.status() == 200 || ran.status() == 202, ran.body());
    node.eventually(() -> assertEquals(1, node.count("SELECT COUNT(*) FROM execution_log WHERE workflow_id = ? AND finished_at IS NOT NULL", direct)));
    String waiting = workflow(node, tech, "wf-direct-reader", List.of(), "read_absorbance");
    assertEquals(202, node.api.post("/api/v1/workflows/" + waiting + "/start", tech, "{\"queue\":true}").status());
    assertEquals(200, setStatus("wf-direct-reader", "offline").status()); // an alarm under the direct booking
    assertEquals(200, setStatus("wf-direct-reader", "available").status());
    assertEquals(200, node.api.post(device + "/release", tech, "{\"workflow_id\":\"" + direct + "\"}").status());
    // The grant to the waiting workflow comes through the reaction, after the direct booking's
    // grant, execution and alarm (one device, one tag, in order).
    node.eventually(() -> assertEquals("running", status(node, tech, waiting)));
    assertTrue(workflowsInMemory().contains(waiting), "asked workflows are seen");
    assertTrue(!workflowsInMemory().contains(direct), "the reaction asked a workflow " + direct + " that does not exist");
  }

  /** The Workflow entities alive on the node: those something has asked lately. */
  static java.util.Set<String> workflowsInMemory() {
    var probe = org.apache.pekko.actor.testkit.typed.javadsl.TestProbe.<org.apache.pekko.cluster.sharding.ShardRegion.CurrentShardRegionState>create(
        node.node.system());
    org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding.get(node.node.system()).shardState()
        .tell(new org.apache.pekko.cluster.sharding.typed.GetShardRegionState(lims.workflow.Workflow.TYPE, probe.ref()));
    return probe.receiveMessage(java.time.Duration.ofSeconds(10)).getShards().stream().flatMap(s -> s.getEntityIds().stream())
        .collect(Collectors.toSet());
  }
}
