package lims.http;

import static lims.http.HttpConventionsTest.fieldsNamed;
import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Clients and contacts over HTTP; specimens registered for a client; viewers who see one client's specimens (issue 22). */
@Tag("database")
class ClientApiTest {

  static TestNode node;
  static ApiClient api;
  static String admin;
  static String tech;
  static String instrument;
  static final Map<String, String> JSON_BODY = Map.of("Content-Type", "application/json");

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("clients"));
    api = node.api;
    admin = node.adminToken();
    api.createUser(admin, "tess", "technician-password", "technician");
    api.createUser(admin, "ivan", "instrument-password", "instrument");
    tech = api.login("tess", "technician-password");
    instrument = api.login("ivan", "instrument-password");
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  static ApiClient.Reply createClient(String code, String name, List<Map<String, Object>> contacts) {
    return api.post("/api/v1/clients", admin, ApiClient.json(Map.of("code", code, "name", name, "address", "1 Main Street\nSpringfield",
        "contacts", contacts)));
  }

  static Map<String, Object> contact(String name, String email, boolean receivesReports) {
    return Map.of("name", name, "email", email, "receives_reports", receivesReports);
  }

  static String register(String token, Map<String, Object> extra) {
    Map<String, Object> body = new java.util.HashMap<>(Map.of("client_ref", "REF-1", "type", "blood", "tests_requested", List.of("CBC")));
    body.putAll(extra);
    ApiClient.Reply reply = api.post("/api/v1/specimens", token, ApiClient.json(body));
    assertEquals(201, reply.status(), reply.body());
    return reply.json().get("id").asText();
  }

  @Test
  void anAdminCreatesReadsAndEditsAClientWhoseCodeStays() {
    ApiClient.Reply created = createClient("ACME", "Acme Laboratories", List.of(contact("Ada Lovelace", "ada@acme.example", true),
        Map.of("name", "Bob", "email", "bob@acme.example")));
    assertEquals(201, created.status(), created.body());
    JsonNode acme = created.json();
    assertEquals("ACME", acme.get("code").asText());
    assertEquals("1 Main Street\nSpringfield", acme.get("address").asText());
    assertTrue(acme.get("contacts").get(1).get("receives_reports").asBoolean(), "a contact receives reports unless told otherwise");

    ApiClient.Reply edited = api.send("PUT", "/api/v1/clients/ACME", admin, ApiClient.json(Map.of("name", "Acme Labs Ltd",
        "contacts", List.of(contact("Carol", "carol@acme.example", false)))), JSON_BODY);
    assertEquals(200, edited.status(), edited.body());
    JsonNode read = api.get("/api/v1/clients/ACME", tech).json();
    assertEquals("Acme Labs Ltd", read.get("name").asText());
    assertTrue(read.get("address").isNull(), "the address left out of an edit is gone: " + read);
    assertEquals(1, read.get("contacts").size());
    assertEquals("carol@acme.example", read.get("contacts").get(0).get("email").asText());

    JsonNode again = problem(createClient("ACME", "Someone else", List.of()), 409);
    assertTrue(again.get("detail").asText().contains("ACME"));
    assertEquals("Acme Labs Ltd", api.get("/api/v1/clients/ACME", admin).json().get("name").asText(), "a refused create changes nothing");
    problem(api.send("PUT", "/api/v1/clients/NOBODY", admin, ApiClient.json(Map.of("name", "x")), JSON_BODY), 404);
    problem(api.get("/api/v1/clients/NOBODY", admin), 404);
  }

  @Test
  void badInputIsRefusedNamingEachField() {
    JsonNode bad = problem(api.post("/api/v1/clients", admin, ApiClient.json(Map.of("code", "acme", "name", " ",
        "contacts", List.of(Map.of("name", "Ada", "email", "not-an-address"), Map.of("name", "Bob", "email", "b@x.example", "phone", "1"),
            "x")))), 400);
    assertEquals(List.of("code", "name", "contacts[0].email", "contacts[1].phone", "contacts[2]").stream().sorted().toList(),
        fieldsNamed(bad).stream().sorted().toList(), bad.toString());
    problem(api.post("/api/v1/clients", admin, ApiClient.json(Map.of("code", "OK-CODE", "name", "x",
        "contacts", List.of(Map.of("name", "Ada", "email", "a".repeat(250) + "@x.example"))))), 400);
    problem(api.get("/api/v1/clients/lower-case", admin), 400);
    assertEquals(0, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "Client|OK-CODE"));
  }

  @Test
  void onlyAdminsEditAndInstrumentsDoNotRead() {
    problem(api.post("/api/v1/clients", tech, ApiClient.json(Map.of("code", "TECHS", "name", "x"))), 403);
    problem(api.get("/api/v1/clients", instrument), 403);
    assertEquals(200, api.get("/api/v1/clients", tech).status());
  }

  @Test
  void clientsArePagedByCode() {
    for (int i = 0; i < 5; i++) assertEquals(201, createClient("PAGE-" + i, "Client " + i, List.of()).status());
    List<String> codes = new ArrayList<>();
    String after = null;
    do {
      JsonNode page = api.get("/api/v1/clients?limit=2" + (after == null ? "" : "&after=" + after), tech).json();
      assertTrue(page.get("items").size() <= 2);
      page.get("items").forEach(c -> codes.add(c.get("code").asText()));
      after = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
    } while (after != null);
    List<String> pages = codes.stream().filter(c -> c.startsWith("PAGE-")).toList();
    assertEquals(List.of("PAGE-0", "PAGE-1", "PAGE-2", "PAGE-3", "PAGE-4"), pages);
    assertEquals(codes.stream().sorted().distinct().toList(), codes, "every client once, by code");
    problem(api.get("/api/v1/clients?after=bad%20cursor", tech), 400);
  }

  @Test
  void manyConcurrentCreatesOfOneCodeMakeOneClient() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      HttpClient client = HttpClient.newBuilder().executor(pool).build();
      List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        replies.add(client.sendAsync(HttpRequest.newBuilder(URI.create(node.node.baseUrl() + "/api/v1/clients"))
            .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(ApiClient.json(Map.of("code", "RACE", "name", "Racer " + i)))).build(),
            HttpResponse.BodyHandlers.ofString()));
      }
      List<Integer> statuses = new ArrayList<>();
      for (var r : replies) statuses.add(r.get(30, java.util.concurrent.TimeUnit.SECONDS).statusCode());
      assertEquals(1, statuses.stream().filter(s -> s == 201).count(), statuses.toString());
      assertEquals(15, statuses.stream().filter(s -> s == 409).count(), statuses.toString());
    } finally {
      pool.shutdownNow();
    }
    assertEquals(1, node.count("SELECT COUNT(*) FROM \"event_journal\" WHERE \"persistence_id\" = ?", "Client|RACE"));
    node.eventually(() -> assertEquals(1, node.count("SELECT COUNT(*) FROM client WHERE code = ?", "RACE")));
  }

  @Test
  void aSpecimenIsRegisteredForAClientWithItsReportRecipientsAndItsReplacementKeepsThem() {
    assertEquals(201, createClient("NORTH", "North Clinic", List.of(contact("Nell", "nell@north.example", true))).status());
    String id = register(tech, Map.of("client_id", "NORTH", "report_recipients", List.of("doctor@north.example", "ward@north.example")));
    JsonNode specimen = api.get("/api/v1/specimens/" + id, tech).json();
    assertEquals("NORTH", specimen.get("client_id").asText());
    assertEquals(List.of("doctor@north.example", "ward@north.example"),
        List.of(specimen.get("report_recipients").get(0).asText(), specimen.get("report_recipients").get(1).asText()));
    String plain = register(tech, Map.of());
    JsonNode none = api.get("/api/v1/specimens/" + plain, tech).json();
    assertTrue(none.get("client_id").isNull() && none.get("report_recipients").isEmpty(), none.toString());

    JsonNode listed = api.get("/api/v1/specimens?client_id=NORTH", tech).json().get("items");
    assertEquals(1, listed.size(), listed.toString());
    assertEquals(id, listed.get(0).get("id").asText());
    assertEquals("NORTH", listed.get(0).get("client_id").asText());

    for (String action : List.of("assign_barcode", "receive", "start_preparation", "finish_preparation")) {
      assertEquals(200, api.post("/api/v1/specimens/" + id + "/transitions", tech, ApiClient.json(Map.of("action", action))).status());
    }
    assertEquals(200, api.post("/api/v1/specimens/" + id + "/transitions", tech,
        ApiClient.json(Map.of("action", "fail_qc", "reason", "haemolysed"))).status());
    JsonNode resampled = api.post("/api/v1/specimens/" + id + "/transitions", tech,
        ApiClient.json(Map.of("action", "request_resample", "reason", "haemolysed"))).json();
    String replacement = resampled.get("replacement_id").asText();
    node.eventually(() -> {
      ApiClient.Reply reply = api.get("/api/v1/specimens/" + replacement, tech);
      assertEquals(200, reply.status(), reply.body());
      assertEquals("NORTH", reply.json().get("client_id").asText());
      assertEquals(2, reply.json().get("report_recipients").size());
    });
  }

  @Test
  void registrationRefusesAnUnknownClientAndBadRecipientsNamingThem() {
    JsonNode unknown = problem(api.post("/api/v1/specimens", tech, ApiClient.json(Map.of("client_ref", "R", "type", "blood",
        "tests_requested", List.of("CBC"), "client_id", "NO-SUCH"))), 404);
    assertEquals(List.of("client_id"), fieldsNamed(unknown), unknown.toString());
    JsonNode bad = problem(api.post("/api/v1/specimens", tech, ApiClient.json(Map.of("client_ref", "R", "type", "blood",
        "tests_requested", List.of("CBC"), "client_id", "lower", "report_recipients", List.of("ok@x.example", "no at sign")))), 400);
    assertEquals(List.of("client_id", "report_recipients[1]"), fieldsNamed(bad).stream().sorted().toList(), bad.toString());
    List<String> many = new ArrayList<>();
    for (int i = 0; i < 21; i++) many.add("r" + i + "@x.example");
    JsonNode tooMany = problem(api.post("/api/v1/specimens", tech, ApiClient.json(Map.of("client_ref", "R", "type", "blood",
        "tests_requested", List.of("CBC"), "report_recipients", many))), 400);
    assertEquals(List.of("report_recipients"), fieldsNamed(tooMany));
    problem(api.get("/api/v1/specimens?client_id=lower", tech), 400);
  }

  @Test
  void aViewerLinkedToAClientSeesOnlyThatClientsSpecimens() {
    assertEquals(201, createClient("EAST", "East Clinic", List.of()).status());
    assertEquals(201, createClient("WEST", "West Clinic", List.of()).status());
    String east = register(tech, Map.of("client_id", "EAST"));
    String west = register(tech, Map.of("client_id", "WEST"));
    String nobodys = register(tech, Map.of());

    ApiClient.Reply user = api.post("/api/v1/users", admin, ApiClient.json(Map.of("username", "east.viewer",
        "password", "east-viewer-password", "roles", List.of("viewer"), "client_id", "EAST")));
    assertEquals(201, user.status(), user.body());
    assertEquals("EAST", user.json().get("client_id").asText());
    JsonNode unknown = problem(api.post("/api/v1/users", admin, ApiClient.json(Map.of("username", "ghost.viewer",
        "password", "ghost-viewer-password", "roles", List.of("viewer"), "client_id", "GHOST"))), 404);
    assertEquals(List.of("client_id"), fieldsNamed(unknown));
    JsonNode notViewer = problem(api.post("/api/v1/users", admin, ApiClient.json(Map.of("username", "east.tech",
        "password", "east-tech-password", "roles", List.of("technician"), "client_id", "EAST"))), 400);
    assertEquals(List.of("client_id"), fieldsNamed(notViewer));

    String viewer = api.login("east.viewer", "east-viewer-password");
    List<String> seen = new ArrayList<>();
    api.get("/api/v1/specimens?limit=500", viewer).json().get("items").forEach(s -> seen.add(s.get("id").asText()));
    assertEquals(List.of(east), seen);
    assertTrue(api.get("/api/v1/specimens?client_id=WEST", viewer).json().get("items").isEmpty());
    assertEquals(200, api.get("/api/v1/specimens/" + east, viewer).status());
    for (String hidden : List.of(west, nobodys)) {
      problem(api.get("/api/v1/specimens/" + hidden, viewer), 404);
      problem(api.get("/api/v1/specimens/" + hidden + "/history", viewer), 404);
      problem(api.get("/api/v1/specimens/" + hidden + "/label", viewer), 404);
    }
    List<String> samples = new ArrayList<>();
    api.get("/api/v1/samples?limit=500", viewer).json().get("items").forEach(s -> samples.add(s.get("specimen_id").asText()));
    assertEquals(List.of(east), samples);
    String westBarcode = api.get("/api/v1/specimens/" + west, tech).json().get("barcode").asText();
    problem(api.get("/api/v1/samples/" + westBarcode, viewer), 404);
    JsonNode checked = api.post("/api/v1/samples/validate", viewer, ApiClient.json(Map.of("barcodes", List.of(westBarcode)))).json();
    assertFalse(checked.get(0).get("exists").asBoolean(), "another client's barcode is not one this viewer may know of");

    JsonNode clients = api.get("/api/v1/clients", viewer).json().get("items");
    assertEquals(1, clients.size());
    assertEquals("EAST", clients.get(0).get("code").asText());
    problem(api.get("/api/v1/clients/WEST", viewer), 404);

    // An unlinked viewer still sees every client's specimens, as before.
    api.createUser(admin, "any.viewer", "any-viewer-password", "viewer");
    String anyViewer = api.login("any.viewer", "any-viewer-password");
    assertEquals(200, api.get("/api/v1/specimens/" + west, anyViewer).status());
  }
}
