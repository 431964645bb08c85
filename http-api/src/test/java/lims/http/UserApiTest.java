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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** GET /api/v1/users: every user once, a page at a time, for admins only (decision 0054). */
@Tag("database")
class UserApiTest {

  static TestNode node;
  static String admin;

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("users"));
    admin = node.adminToken();
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  /** Every user, page after page of {@code limit}; each page is checked to be at most that long. */
  static List<JsonNode> allUsers(int limit) {
    List<JsonNode> users = new ArrayList<>();
    String after = null;
    do {
      ApiClient.Reply reply = node.api.get("/api/v1/users?limit=" + limit + (after == null ? "" : "&after=" + after), admin);
      assertEquals(200, reply.status(), reply.body());
      assertFalse(reply.body().contains("password"), "no password hash in a list: " + reply.body());
      JsonNode page = reply.json();
      assertTrue(page.get("items").size() <= limit);
      page.get("items").forEach(users::add);
      after = page.get("next_cursor").isNull() ? null : page.get("next_cursor").asText();
    } while (after != null);
    return users;
  }

  @Test
  void usersCreatedConcurrentlyAreEachListedOnceAsSoonAsTheirCreateIsAnswered() throws Exception {
    // Other entities' events on both sides of the users' ids in the journal: a device before, a workflow after.
    assertEquals(201, node.api.post("/api/v1/devices", admin, ApiClient.json(Map.of("id", "users-reader", "name", "r", "type", "plate_reader"))).status());
    assertEquals(201, node.api.post("/api/v1/workflows", admin, ApiClient.json(Map.of("name", "w", "device_id", "users-reader",
        "sample_barcodes", List.of(), "steps", List.of("read_absorbance")))).status());

    Set<String> created = new HashSet<>();
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      HttpClient client = HttpClient.newBuilder().executor(pool).build();
      List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
      for (int i = 0; i < 12; i++) {
        String name = List.of("lab.tech-", "lab_tech", "labtech").get(i % 3) + i;
        created.add(name);
        replies.add(client.sendAsync(HttpRequest.newBuilder(URI.create(node.node.baseUrl() + "/api/v1/users"))
            .header("Authorization", "Bearer " + admin).header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(ApiClient.json(Map.of("username", name, "password", "a-long-password-" + i,
                "roles", i % 2 == 0 ? List.of("technician") : List.of("viewer", "scientist")))))
            .build(), HttpResponse.BodyHandlers.ofString()));
      }
      for (CompletableFuture<HttpResponse<String>> reply : replies) assertEquals(201, reply.join().statusCode(), reply.join().body());
    } finally {
      pool.shutdownNow();
    }
    // A user who logged out has more events than its creation: still one row.
    String refresh = node.api.post("/api/v1/auth/token", null, "{\"username\":\"labtech2\",\"password\":\"a-long-password-2\"}").json()
        .get("refresh_token").asText();
    assertEquals(204, node.api.send("DELETE", "/api/v1/auth/refresh", null, "{\"refresh_token\":\"" + refresh + "\"}",
        Map.of("Content-Type", "application/json")).status());

    for (int limit : List.of(5, 500)) {
      List<JsonNode> users = allUsers(limit);
      List<String> names = users.stream().map(u -> u.get("username").asText()).toList();
      assertEquals(names.size(), new HashSet<>(names).size(), "each user once: " + names);
      assertTrue(names.containsAll(created) && names.contains("admin"), "at page size " + limit + ": " + names);
      Set<String> others = new HashSet<>(names);
      others.removeAll(created);
      others.removeAll(Set.of("admin", "tim")); // tim: the other test's user
      assertEquals(Set.of(), others, "only users");
      JsonNode viewer = users.get(names.indexOf("lab_tech1"));
      assertEquals("[\"scientist\",\"viewer\"]", viewer.get("roles").toString());
      assertEquals("admin", viewer.get("created_by").asText());
      assertFalse(viewer.get("created_at").asText().isBlank());
    }
  }

  @Test
  void onlyAnAdminListsUsersAndABadCursorOrLimitIsNamed() {
    node.api.createUser(admin, "tim", "technician-password", "technician");
    String technician = node.api.login("tim", "technician-password");
    problem(node.api.get("/api/v1/users", technician), 403);
    problem(node.api.get("/api/v1/users", null), 401);
    assertEquals(List.of("after"), fieldsNamed(problem(node.api.get("/api/v1/users?after=Not%20A%20Name", admin), 400)));
    assertEquals(List.of("limit"), fieldsNamed(problem(node.api.get("/api/v1/users?limit=0", admin), 400)));
    // Every field's problem at once, an empty role list too (a form shows them together).
    assertEquals(List.of("username", "password", "roles"), fieldsNamed(problem(node.api.post("/api/v1/users", admin,
        "{\"username\":\"Not A Name\",\"password\":\"short\",\"roles\":[]}"), 400)));
    // A cursor past every name: an empty last page.
    JsonNode last = node.api.get("/api/v1/users?after=zzzz", admin).json();
    assertEquals(0, last.get("items").size());
    assertTrue(last.get("next_cursor").isNull());
  }
}
