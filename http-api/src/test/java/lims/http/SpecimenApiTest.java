package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.google.zxing.BinaryBitmap;
import com.google.zxing.RGBLuminanceSource;
import com.google.zxing.common.HybridBinarizer;
import com.google.zxing.oned.Code128Reader;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import javax.imageio.ImageIO;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The specimen lifecycle over HTTP: every branch, custody, concurrency and bad input. */
@Tag("database")
class SpecimenApiTest {

  static TestNode node;
  static String tech;
  static String scientist;
  static String reviewer;
  static String reviewer2;
  static String instrument;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("specimens"));
    ApiClient api = node.api;
    String admin = node.adminToken();
    api.createUser(admin, "tina", "technician-password", "technician");
    api.createUser(admin, "sam", "scientist-password", "scientist", "reviewer");
    api.createUser(admin, "rita", "reviewer-password", "reviewer");
    api.createUser(admin, "rob", "reviewer-password-2", "reviewer");
    api.createUser(admin, "iris", "instrument-password", "instrument");
    tech = api.login("tina", "technician-password");
    scientist = api.login("sam", "scientist-password");
    reviewer = api.login("rita", "reviewer-password");
    reviewer2 = api.login("rob", "reviewer-password-2");
    instrument = api.login("iris", "instrument-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static ApiClient api() {
    return node.api;
  }

  static String register() {
    ApiClient.Reply reply = api().post("/api/v1/specimens", tech,
        "{\"client_ref\":\"clinic-9\",\"type\":\"serum\",\"tests_requested\":[\"crp\"],\"priority\":\"urgent\"}");
    assertEquals(201, reply.status(), reply.body());
    return reply.json().get("id").asText();
  }

  static ApiClient.Reply act(String id, String token, String action, String reason) {
    String body = reason == null ? "{\"action\":\"" + action + "\"}" : "{\"action\":\"" + action + "\",\"reason\":\"" + reason + "\"}";
    return api().post("/api/v1/specimens/" + id + "/transitions", token, body);
  }

  static JsonNode move(String id, String token, String action, String reason, String expectedState) {
    ApiClient.Reply reply = act(id, token, action, reason);
    assertEquals(200, reply.status(), action + ": " + reply.body());
    assertEquals(expectedState, reply.json().get("state").asText());
    return reply.json();
  }

  /** Registered and walked to IN_ANALYSIS, the experiment finished by the scientist "sam". */
  static String inAnalysis() {
    String id = register();
    for (String a : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc")) act(id, tech, a, null);
    move(id, scientist, "start_experiment", null, "IN_EXPERIMENT");
    move(id, scientist, "finish_experiment", null, "IN_ANALYSIS");
    return id;
  }

  static List<JsonNode> history(String id) {
    List<JsonNode> entries = new ArrayList<>();
    api().get("/api/v1/specimens/" + id + "/history", tech).json().forEach(entries::add);
    return entries;
  }

  @Test
  void theHappyPathFromRegisterToApprovedKeepsTheWholeChainOfCustody() {
    String id = register();
    assertTrue(id.matches("SP-\\d{4}-\\d{6}"), id);
    move(id, tech, "assign_barcode", null, "BARCODED");
    move(id, tech, "receive", null, "RECEIVED");
    move(id, tech, "start_preparation", null, "IN_PREPARATION");
    move(id, tech, "finish_preparation", null, "QC_PENDING");
    move(id, tech, "pass_qc", null, "QC_PASSED");
    move(id, scientist, "start_experiment", null, "IN_EXPERIMENT");
    move(id, scientist, "finish_experiment", null, "IN_ANALYSIS");
    move(id, instrument, "analysis_succeeded", null, "IN_REVIEW");
    JsonNode approved = move(id, reviewer, "approve", null, "APPROVED");
    assertEquals("[\"report_rendered\",\"cancel\"]", approved.get("allowed_actions").toString());

    List<JsonNode> chain = history(id);
    assertEquals(List.of("register", "assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc",
        "start_experiment", "finish_experiment", "analysis_succeeded", "approve"), chain.stream().map(h -> h.get("action").asText()).toList());
    for (int i = 1; i < chain.size(); i++) {
      assertEquals(chain.get(i - 1).get("to").asText(), chain.get(i).get("from").asText(), "a single chain");
    }
    JsonNode approval = chain.get(chain.size() - 1);
    assertEquals("rita", approval.get("actor").asText());
    assertEquals("reviewer", approval.get("role").asText());
    assertEquals("127.0.0.1", approval.get("ip").asText());
    assertTrue(approval.get("request_id").asText().length() > 8);
    assertEquals("sam", chain.get(7).get("actor").asText());
    assertEquals("scientist", chain.get(7).get("role").asText());
  }

  @Test
  void qcFailureLeadsToAResampleWithALinkedReplacementSpecimen() throws Exception {
    String id = register();
    for (String a : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation")) act(id, tech, a, null);
    move(id, tech, "fail_qc", "haemolysed", "QC_FAILED");
    JsonNode resampled = move(id, tech, "request_resample", "haemolysed", "RESAMPLE_REQUESTED");
    assertEquals("[]", resampled.get("allowed_actions").toString());
    String replacement = resampled.get("replacement_id").asText();
    node.eventually(() -> {
      ApiClient.Reply r = api().get("/api/v1/specimens/" + replacement, tech);
      assertEquals(200, r.status(), r.body());
      assertEquals(id, r.json().get("replaces").asText());
      assertEquals("REGISTERED", r.json().get("state").asText());
      assertEquals("[\"crp\"]", r.json().get("tests_requested").toString());
    });
    assertEquals(1, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "Specimen|" + replacement));
    problem(act(id, tech, "cancel", "too late"), 409);
  }

  @Test
  void reviewSendsTheSpecimenBackToExperimentAndEmitsTheAnalysisCompensation() throws Exception {
    String id = inAnalysis();
    move(id, instrument, "analysis_succeeded", null, "IN_REVIEW");
    move(id, reviewer, "request_reexperiment", "control out of range", "IN_EXPERIMENT");
    // One for the outcome reported by hand (it overrides the run in flight), one for the re-experiment.
    assertEquals(2, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"event_ser_manifest\" LIKE ?",
        "Specimen|" + id, "%AnalysisCancellationRequested"));
  }

  @Test
  void aFailedAnalysisIsRetried() {
    String id = inAnalysis();
    move(id, instrument, "analysis_failed", null, "ANALYSIS_FAILED");
    move(id, scientist, "retry_analysis", null, "IN_ANALYSIS");
    move(id, instrument, "analysis_succeeded", null, "IN_REVIEW");
  }

  @Test
  void aReviewerCannotApproveTheirOwnExperimentAndNothingIsStored() {
    String id = inAnalysis();
    move(id, instrument, "analysis_succeeded", null, "IN_REVIEW");
    int before = history(id).size();
    problem(act(id, scientist, "approve", null), 403);
    problem(act(id, tech, "approve", null), 403);
    assertEquals(before, history(id).size());
    move(id, reviewer2, "approve", null, "APPROVED");
  }

  @Test
  void fiftyConcurrentTransitionsTakeEachStepOnceInOneChain() throws Exception {
    String id = register();
    List<String> path = List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc");
    HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(16)).build();
    List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      String action = path.get(i % path.size());
      replies.add(client.sendAsync(HttpRequest.newBuilder(URI.create(node.node.baseUrl() + "/api/v1/specimens/" + id + "/transitions"))
          .header("Authorization", "Bearer " + tech).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString("{\"action\":\"" + action + "\"}")).build(), HttpResponse.BodyHandlers.ofString()));
    }
    long ok = 0;
    for (var reply : replies) {
      int status = reply.join().statusCode();
      assertTrue(status == 200 || status == 409, "only moves and conflicts: " + status);
      if (status == 200) ok++;
    }
    List<JsonNode> chain = history(id);
    assertEquals(ok + 1, chain.size(), "every accepted transition is in the history, and nothing else");
    Set<String> seen = new HashSet<>();
    for (int i = 1; i < chain.size(); i++) {
      assertTrue(seen.add(chain.get(i).get("action").asText()), "each step once");
      assertEquals(chain.get(i - 1).get("to").asText(), chain.get(i).get("from").asText(), "one consistent chain");
    }
    assertEquals(chain.size(), node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "Specimen|" + id), "no event lost");
  }

  @Test
  void badInputIsRefusedWithAProblemAndStoresNothing() {
    String id = register();
    int before = history(id).size();
    assertEquals(List.of("action"), fieldsNamed(problem(act(id, tech, "teleport", null), 400)));
    assertEquals(List.of("reason"), fieldsNamed(problem(act(id, tech, "cancel", null), 400)));
    assertEquals(List.of("well"), fieldsNamed(problem(api().send("PUT", "/api/v1/specimens/" + id + "/location", tech,
        "{\"plate\":\"P-1\",\"well\":\"Z99\"}", Map.of("Content-Type", "application/json")), 400)));
    assertEquals(List.of("expected_state"), fieldsNamed(problem(api().post("/api/v1/specimens/" + id + "/transitions", tech,
        "{\"action\":\"assign_barcode\",\"expected_state\":\"SOMEWHERE\"}"), 400)));
    problem(api().post("/api/v1/specimens/" + id + "/transitions", tech, "{\"action\":\"assign_barcode\",\"expected_state\":\"RECEIVED\"}"), 409);
    problem(api().get("/api/v1/samples/SP2026000001Q", tech), 400);
    problem(api().get("/api/v1/specimens/SP-2026-999999", tech), 404);
    problem(api().get("/api/v1/specimens/not-an-id", tech), 400);
    assertEquals(List.of("tests_requested[0]"), fieldsNamed(problem(api().post("/api/v1/specimens", tech,
        "{\"client_ref\":\"c\",\"type\":\"serum\",\"tests_requested\":[\"bad code!\"]}"), 400)));
    // An instant no table holds (its journal event would stop the read-table projection).
    assertEquals(List.of("collected_at"), fieldsNamed(problem(api().post("/api/v1/specimens", tech,
        "{\"client_ref\":\"c\",\"type\":\"serum\",\"tests_requested\":[\"crp\"],\"collected_at\":\"+1000000000-01-01T00:00:00Z\"}"), 400)));
    problem(api().post("/api/v1/specimens", scientist, "{\"client_ref\":\"c\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}"), 403);
    assertEquals(before, history(id).size());
    assertEquals("REGISTERED", api().get("/api/v1/specimens/" + id, tech).json().get("state").asText());
  }

  @Test
  void theListIsNarrowedByClientReferenceAndTheTimeOfReceipt() {
    String client = "ward-" + System.nanoTime();
    List<String> ids = new ArrayList<>();
    for (String suffix : List.of("-a", "-b", "-c")) {
      ApiClient.Reply reply = api().post("/api/v1/specimens", tech,
          "{\"client_ref\":\"" + client + suffix + "\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}");
      assertEquals(201, reply.status(), reply.body());
      ids.add(reply.json().get("id").asText());
    }
    String unrelated = register();
    Instant before = Instant.now();
    for (String id : ids.subList(0, 2)) {
      move(id, tech, "assign_barcode", null, "BARCODED");
      move(id, tech, "receive", null, "RECEIVED");
    }
    // The read table keeps microseconds (the journal's instant has nanoseconds).
    Instant receivedAt = Instant.parse(history(ids.get(0)).get(2).get("at").asText()).truncatedTo(ChronoUnit.MICROS);
    Instant secondReceivedAt = Instant.parse(history(ids.get(1)).get(2).get("at").asText()).truncatedTo(ChronoUnit.MICROS);

    node.eventually(() -> assertEquals(ids, listed("client_ref=" + client)));
    assertEquals(List.of(ids.get(1)), listed("client_ref=" + client + "-b"));
    node.eventually(() -> {
      JsonNode row = api().get("/api/v1/specimens?client_ref=" + client + "-a", tech).json().get("items").get(0);
      long micros = ChronoUnit.MICROS.between(receivedAt, Instant.parse(row.get("received_at").asText()));
      assertTrue(micros == 0 || micros == 1, "the list item carries the instant of the receive transition: " + row);
    });
    assertTrue(api().get("/api/v1/specimens?client_ref=" + client + "-c", tech).json().get("items").get(0).get("received_at").isNull());
    // From inclusive, before exclusive; a specimen not yet received is in no time range.
    node.eventually(() -> assertEquals(ids.subList(0, 2), listed("client_ref=" + client + "&received_from=" + before)));
    assertEquals(List.of(ids.get(0)), listed("client_ref=" + client + "&received_from=" + receivedAt + "&received_before=" + secondReceivedAt));
    assertEquals(List.of(), listed("client_ref=" + client + "&received_before=" + receivedAt));
    assertTrue(!listed("received_from=" + before).contains(unrelated));
    // Paged with the same cursor as any list.
    JsonNode first = api().get("/api/v1/specimens?limit=1&client_ref=" + client, tech).json();
    assertEquals(List.of(ids.get(1)), listed("limit=1&client_ref=" + client + "&after=" + first.get("next_cursor").asText()));

    assertEquals(List.of("received_from"), fieldsNamed(problem(api().get("/api/v1/specimens?received_from=yesterday", tech), 400)));
    assertEquals(List.of("received_from"), fieldsNamed(problem(api().get("/api/v1/specimens?received_from=" + receivedAt
        + "&received_before=" + receivedAt, tech), 400)));
    assertEquals(List.of("client_ref"), fieldsNamed(problem(api().get("/api/v1/specimens?client_ref=%25%3B--", tech), 400)));
  }

  static List<String> listed(String query) {
    ApiClient.Reply reply = api().get("/api/v1/specimens?" + query, tech);
    assertEquals(200, reply.status(), reply.body());
    List<String> ids = new ArrayList<>();
    reply.json().get("items").forEach(item -> ids.add(item.get("id").asText()));
    return ids;
  }

  @Test
  void theSameTestBatchSentTwentyTimesAtOnceIsOneBatchWithoutDuplicateAnalyses() throws Exception {
    List<String> ids = List.of(register(), register(), register());
    String body = ApiClient.json(Map.of("batch_key", "run-2026-11-23-a", "test_code", "crp", "specimen_ids", ids));
    HttpClient client = HttpClient.newBuilder().executor(Executors.newFixedThreadPool(8)).build();
    List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      replies.add(client.sendAsync(HttpRequest.newBuilder(URI.create(node.node.baseUrl() + "/api/v1/test-batches"))
          .header("Authorization", "Bearer " + tech).header("Content-Type", "application/json")
          .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString()));
    }
    long created = 0;
    Set<String> bodies = new HashSet<>();
    for (var r : replies) {
      HttpResponse<String> reply = r.join();
      assertTrue(reply.statusCode() == 201 || reply.statusCode() == 200, reply.body());
      if (reply.statusCode() == 201) created++;
      bodies.add(ApiClient.JSON.readTree(reply.body()).get("analysis_requests").toString());
    }
    assertEquals(1, created, "exactly one request created the batch");
    assertEquals(1, bodies.size(), "every answer names the same analysis requests");
    JsonNode requests = ApiClient.JSON.readTree(bodies.iterator().next());
    assertEquals(3, requests.size(), "one analysis request per specimen and test");
    assertEquals(1, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "TestBatch|run-2026-11-23-a"));

    problem(api().post("/api/v1/test-batches", tech, ApiClient.json(Map.of("batch_key", "run-2026-11-23-a", "test_code", "cbc", "specimen_ids", ids))), 409);
    JsonNode unknown = problem(api().post("/api/v1/test-batches", tech,
        ApiClient.json(Map.of("batch_key", "run-b", "test_code", "crp", "specimen_ids", List.of(ids.get(0), "SP-2026-999998")))), 404);
    assertTrue(unknown.get("detail").asText().contains("SP-2026-999998"));
    assertEquals(0, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "TestBatch|run-b"));
  }

  @Test
  void samplesAreTheSameSpecimensSeenByBarcodeWithAScannableLabel() throws Exception {
    String id = register();
    act(id, tech, "assign_barcode", null);
    assertEquals(200, api().send("PUT", "/api/v1/specimens/" + id + "/location", tech, "{\"plate\":\"P-7\",\"well\":\"H12\"}",
        Map.of("Content-Type", "application/json")).status());
    String barcode = api().get("/api/v1/specimens/" + id, tech).json().get("barcode").asText();

    HttpResponse<byte[]> png = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(node.node.baseUrl()
        + "/api/v1/specimens/" + id + "/label")).header("Authorization", "Bearer " + tech).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertEquals("image/png", png.headers().firstValue("Content-Type").orElse(""));
    var image = ImageIO.read(new ByteArrayInputStream(png.body()));
    int[] pixels = image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    var bitmap = new BinaryBitmap(new HybridBinarizer(new RGBLuminanceSource(image.getWidth(), image.getHeight(), pixels)));
    assertEquals(barcode, new Code128Reader().decode(bitmap).getText(), "the label scans as the specimen's barcode");

    node.eventually(() -> {
      JsonNode sample = api().get("/api/v1/samples/" + barcode, tech).json();
      assertEquals(id, sample.get("specimen_id").asText());
      assertEquals("H12", sample.get("well").asText());
      assertEquals("BARCODED", sample.get("state").asText());
    });
    JsonNode checks = api().post("/api/v1/samples/validate", tech, "{\"barcodes\":[\"" + barcode + "\",\"SP2026999999" + "Z\",\"junk\"]}").json();
    assertTrue(checks.get(0).get("exists").asBoolean() && checks.get(0).get("valid_format").asBoolean());
    assertTrue(!checks.get(2).get("exists").asBoolean() && !checks.get(2).get("valid_format").asBoolean());
  }
}
