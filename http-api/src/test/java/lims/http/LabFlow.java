package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/** A specimen's life through the API on one node, with a user per role: clients, registration, the walk to approval. */
final class LabFlow {

  private static final AtomicInteger CLIENTS = new AtomicInteger();

  final TestNode node;
  final String admin;
  final String tech;
  final String scientist;
  final String reviewer;

  LabFlow(TestNode node) {
    this(node, true);
  }

  /** On a node whose database has the users already (a node started again on it): logged in only. */
  static LabFlow again(TestNode node) {
    return new LabFlow(node, false);
  }

  private LabFlow(TestNode node, boolean createUsers) {
    this.node = node;
    admin = node.adminToken();
    if (createUsers) {
      node.api.createUser(admin, "tina", "technician-password", "technician");
      node.api.createUser(admin, "sam", "scientist-password", "scientist");
      node.api.createUser(admin, "rita", "reviewer-password", "reviewer");
    }
    tech = node.api.login("tina", "technician-password");
    scientist = node.api.login("sam", "scientist-password");
    reviewer = node.api.login("rita", "reviewer-password");
  }

  /** A new client whose report contact is {@code contact} (and one contact who receives no reports). */
  String client(String contact) {
    String code = "RC-" + CLIENTS.incrementAndGet() + "-" + Long.toString(System.nanoTime() % 100000, 36).toUpperCase();
    ApiClient.Reply created = node.api.post("/api/v1/clients", admin, "{\"code\":\"" + code + "\",\"name\":\"Clinic " + code
        + "\",\"address\":\"1 Main St\",\"contacts\":[{\"name\":\"Reports\",\"email\":\"" + contact + "\"},"
        + "{\"name\":\"Billing\",\"email\":\"no-reports@clinic.example\",\"receives_reports\":false}]}");
    assertEquals(201, created.status(), created.body());
    return code;
  }

  String viewer(String username, String client) {
    ApiClient.Reply created = node.api.post("/api/v1/users", admin, "{\"username\":\"" + username
        + "\",\"password\":\"viewer-password\",\"roles\":[\"viewer\"],\"client_id\":\"" + client + "\"}");
    assertEquals(201, created.status(), created.body());
    return node.api.login(username, "viewer-password");
  }

  String registered(String client, List<String> recipients) {
    String extra = recipients.isEmpty() ? "" : ",\"report_recipients\":" + ApiClient.JSON.valueToTree(recipients);
    ApiClient.Reply registered = node.api.post("/api/v1/specimens", tech, "{\"client_ref\":\"ref-1\",\"type\":\"blood\","
        + "\"tests_requested\":[\"CBC\"],\"client_id\":\"" + client + "\"" + extra + "}");
    assertEquals(201, registered.status(), registered.body());
    return registered.json().get("id").asText();
  }

  /** Registered and walked to IN_REVIEW, its analysis succeeded with {@code result} (a result document's JSON). */
  String inReview(String client, List<String> recipients, String result) {
    String id = registered(client, recipients);
    for (String a : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation", "pass_qc")) act(id, tech, a, "");
    act(id, scientist, "start_experiment", "");
    act(id, scientist, "finish_experiment", "");
    act(id, admin, "analysis_succeeded", ",\"data\":{\"result\":" + result + "}");
    return id;
  }

  String approved(String client, List<String> recipients, String result) {
    String id = inReview(client, recipients, result);
    approve(id);
    return id;
  }

  void approve(String id) {
    act(id, reviewer, "approve", "");
  }

  void act(String id, String token, String action, String more) {
    ApiClient.Reply reply = node.api.post("/api/v1/specimens/" + id + "/transitions", token, "{\"action\":\"" + action + "\"" + more + "}");
    assertEquals(200, reply.status(), action + ": " + reply.body());
  }

  JsonNode specimen(String id) {
    return node.api.get("/api/v1/specimens/" + id, tech).json();
  }

  List<JsonNode> history(String id) {
    List<JsonNode> entries = new ArrayList<>();
    node.api.get("/api/v1/specimens/" + id + "/history", tech).json().forEach(entries::add);
    return entries;
  }

  /** The specimen's reports: {reports: [versions], pending: [jobs]}. */
  JsonNode reports(String id) {
    return node.api.get("/api/v1/specimens/" + id + "/reports", tech).json();
  }
}
