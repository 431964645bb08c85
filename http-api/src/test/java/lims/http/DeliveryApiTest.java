package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import jakarta.mail.internet.MimeMultipart;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import lims.kernel.Database;
import lims.kernel.testing.TestDatabase;
import lims.reporting.testing.MailServer;
import lims.reporting.testing.StoredReports;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Reports e-mailed through a real SMTP server by a node: the specimen DELIVERED with its message ids, dead letters retried over HTTP. */
@Tag("database")
class DeliveryApiTest {

  static MailServer mail;
  static TestNode node;
  static String admin;
  static String tech;
  static String scientist;
  static String reviewer;

  @BeforeAll
  static void start() {
    mail = MailServer.start();
    // Reports are stored by hand here, so the specimens take report_rendered by hand too: no automatic reports.
    java.util.Map<String, Object> settings = new java.util.HashMap<>(mail.nodeSettings());
    settings.put("lims.reports.automatic", false);
    node = TestNode.start(TestDatabase.fresh("delivery_api"), settings);
    admin = node.adminToken();
    node.api.createUser(admin, "tina", "technician-password", "technician");
    node.api.createUser(admin, "sam", "scientist-password", "scientist");
    node.api.createUser(admin, "rita", "reviewer-password", "reviewer");
    tech = node.api.login("tina", "technician-password");
    scientist = node.api.login("sam", "scientist-password");
    reviewer = node.api.login("rita", "reviewer-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
    if (mail != null) mail.close();
  }

  /** A specimen walked to REPORTED, as the render queue leaves it. */
  static String reported() {
    ApiClient.Reply registered = node.api.post("/api/v1/specimens", tech, "{\"client_ref\":\"c-1\",\"type\":\"serum\",\"tests_requested\":[\"crp\"]}");
    assertEquals(201, registered.status(), registered.body());
    String id = registered.json().get("id").asText();
    for (String a : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc")) act(id, tech, a);
    act(id, scientist, "start_experiment");
    act(id, scientist, "finish_experiment");
    act(id, admin, "analysis_succeeded");
    act(id, reviewer, "approve");
    act(id, admin, "report_rendered");
    return id;
  }

  static void act(String id, String token, String action) {
    ApiClient.Reply reply = node.api.post("/api/v1/specimens/" + id + "/transitions", token, "{\"action\":\"" + action + "\"}");
    assertEquals(200, reply.status(), action + ": " + reply.body());
  }

  static byte[] store(String reportId) {
    byte[] pdf = StoredReports.pdf(reportId);
    Database db = Database.get(node.node.system());
    StoredReports.store(db.dataSource(), db.vendor(), reportId, 1, pdf);
    return pdf;
  }

  static int enqueue(String reportId, String specimenId, List<String> recipients) throws Exception {
    return node.node.deliveries().enqueue(reportId, 1, List.of(specimenId), "ACME", recipients).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  static List<JsonNode> listed(String status) {
    ApiClient.Reply reply = node.api.get("/api/v1/deliveries?status=" + status, tech);
    assertEquals(200, reply.status(), reply.body());
    List<JsonNode> items = new ArrayList<>();
    reply.json().get("items").forEach(items::add);
    return items;
  }

  static JsonNode state(String id) {
    return node.api.get("/api/v1/specimens/" + id, tech).json();
  }

  @Test
  void anAcceptedReportDeliversTheSpecimenWithTheMessageIdsInItsHistory() throws Exception {
    String id = reported();
    byte[] pdf = store("R-API-1");
    assertEquals(2, enqueue("R-API-1", id, List.of("ann@clinic.example", "bob@clinic.example")));

    node.eventually(() -> assertEquals("DELIVERED", state(id).get("state").asText()));
    JsonNode[] history = new JsonNode[1];
    node.api.get("/api/v1/specimens/" + id + "/history", tech).json().forEach(h -> history[0] = h);
    JsonNode deliver = history[0];
    assertEquals("deliver", deliver.get("action").asText());
    assertEquals("system", deliver.get("actor").asText());
    assertEquals("R-API-1", deliver.get("data").get("report_id").asText());
    List<String> messageIds = new ArrayList<>();
    deliver.get("data").get("message_ids").forEach(m -> messageIds.add(m.asText()));
    assertEquals(2, messageIds.size());
    for (String recipient : List.of("ann@clinic.example", "bob@clinic.example")) {
      var received = mail.receivedBy(recipient);
      assertEquals(1, received.size(), recipient);
      assertTrue(messageIds.contains(received.get(0).getMessageID()), received.get(0).getMessageID());
      assertArrayEquals(pdf, ((MimeMultipart) received.get(0).getContent()).getBodyPart(1).getInputStream().readAllBytes());
    }
    assertTrue(listed("accepted").stream().anyMatch(d -> d.get("report_id").asText().equals("R-API-1")
        && d.get("server_response").asText().startsWith("250")));
  }

  @Test
  void aDeadLetterIsListedAndRetriedByHandOnceTheServerIsBack() throws Exception {
    String id = reported();
    store("R-API-2");
    mail.stop();
    try {
      enqueue("R-API-2", id, List.of("carl@clinic.example"));
      node.eventually(() -> assertEquals(1, listed("failed").stream().filter(d -> d.get("report_id").asText().equals("R-API-2")).count()));
    } finally {
      mail.restart();
    }
    JsonNode dead = listed("failed").stream().filter(d -> d.get("report_id").asText().equals("R-API-2")).findFirst().orElseThrow();
    assertEquals(3, dead.get("attempts").asInt());
    assertEquals("REPORTED", state(id).get("state").asText(), "stays REPORTED while the delivery is a dead letter");

    assertEquals(403, node.api.post("/api/v1/deliveries/" + dead.get("id").asText() + "/retry", scientist, "{}").status());
    ApiClient.Reply retried = node.api.post("/api/v1/deliveries/" + dead.get("id").asText() + "/retry", tech, "{}");
    assertEquals(200, retried.status(), retried.body());
    assertEquals("queued", retried.json().get("status").asText());
    node.eventually(() -> assertEquals("DELIVERED", state(id).get("state").asText()));
    assertEquals(1, mail.receivedBy("carl@clinic.example").size(), "accepted once");

    ApiClient.Reply again = node.api.post("/api/v1/deliveries/" + dead.get("id").asText() + "/retry", tech, "{}");
    assertEquals(409, again.status(), again.body());
  }

  static void refused(ApiClient.Reply reply, String field) {
    assertEquals(List.of(field), HttpConventionsTest.fieldsNamed(problem(reply, 400)), reply.body());
  }

  @Test
  void badInputIsRefusedNamingTheField() {
    refused(node.api.get("/api/v1/deliveries?status=lost", tech), "status");
    refused(node.api.get("/api/v1/deliveries?limit=0", tech), "limit");
    refused(node.api.get("/api/v1/deliveries?after=not-a-cursor", tech), "after");
    refused(node.api.post("/api/v1/deliveries/not-a-delivery/retry", tech, "{}"), "id");
    assertEquals(404, node.api.post("/api/v1/deliveries/DL-00000000000000000000/retry", tech, "{}").status());
    assertEquals(403, node.api.get("/api/v1/deliveries", scientist).status());
  }
}
