package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import lims.kernel.Role;
import lims.kernel.testing.TestDatabase;
import lims.specimen.TransitionTable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * GET /api/v1/me over HTTP, for a user of each role: every capability it reports is what the
 * API really does when that user calls the route, each route called for real. The requests
 * below are written out here, not read from MeRoutes, so a capability pointing at the wrong
 * route fails too. Each is one the handler refuses after the role check (a bogus id, an empty
 * body, a specimen that does not exist), so the answer is 403 exactly when the role may not,
 * and nothing is stored.
 */
@Tag("database")
class MeApiTest {

  record Request(String method, String path, String body) {}

  static final String NO_SPECIMEN = "/api/v1/specimens/SP-2026-999999/transitions";

  /** Each capability and a request to its route that passes the role check and stores nothing. */
  static final Map<String, Request> REQUESTS = new TreeMap<>(Map.ofEntries(
      Map.entry("users.create", new Request("POST", "/api/v1/users", "{}")),
      Map.entry("users.read", new Request("GET", "/api/v1/users/nobody-here", null)),
      Map.entry("users.list", new Request("GET", "/api/v1/users?limit=1", null)),
      Map.entry("clients.create", new Request("POST", "/api/v1/clients", "{}")),
      Map.entry("clients.edit", new Request("PUT", "/api/v1/clients/NO-SUCH", "{}")),
      Map.entry("clients.list", new Request("GET", "/api/v1/clients?limit=1", null)),
      Map.entry("clients.read", new Request("GET", "/api/v1/clients/NO-SUCH", null)),
      Map.entry("devices.register", new Request("POST", "/api/v1/devices", "{}")),
      Map.entry("devices.set_status", new Request("PUT", "/api/v1/devices/no-such-device/status", "{}")),
      Map.entry("devices.book", new Request("POST", "/api/v1/devices/no-such-device/book", "{}")),
      Map.entry("devices.release", new Request("POST", "/api/v1/devices/no-such-device/release", "{}")),
      Map.entry("devices.queue", new Request("POST", "/api/v1/devices/no-such-device/queue", "{}")),
      Map.entry("devices.cancel_queued", new Request("DELETE", "/api/v1/devices/no-such-device/queue/not-a-workflow", null)),
      Map.entry("devices.execute", new Request("POST", "/api/v1/devices/no-such-device/execute", "{}")),
      Map.entry("devices.declare_channels", new Request("PUT", "/api/v1/devices/no-such-device/telemetry/channels", "{}")),
      Map.entry("alarms.list", new Request("GET", "/api/v1/alarms?limit=1", null)),
      Map.entry("alarms.acknowledge", new Request("POST", "/api/v1/alarms/no-such-device~1/acknowledge", "{}")),
      Map.entry("telemetry.stream", new Request("GET", "/api/v1/devices/no-such-device/telemetry/stream", null)),
      Map.entry("telemetry.post", new Request("POST", "/api/v1/devices/no-such-device/telemetry", "{}")),
      Map.entry("telemetry.read", new Request("GET", "/api/v1/devices/no-such-device/telemetry", null)),
      Map.entry("specimens.register", new Request("POST", "/api/v1/specimens", "{}")),
      Map.entry("specimens.locate", new Request("PUT", "/api/v1/specimens/not-a-specimen/location", "{}")),
      Map.entry("test_batches.create", new Request("POST", "/api/v1/test-batches", "{}")),
      Map.entry("analyses.cancel", new Request("POST", "/api/v1/analyses/not-an-analysis/cancel", "{}")),
      Map.entry("workflows.create", new Request("POST", "/api/v1/workflows", "{}")),
      Map.entry("workflows.start", new Request("POST", "/api/v1/workflows/not-a-workflow/start", "{}")),
      Map.entry("workflows.execute_step", new Request("POST", "/api/v1/workflows/not-a-workflow/execute-step", "{}")),
      Map.entry("workflows.complete", new Request("POST", "/api/v1/workflows/not-a-workflow/complete", "{}")),
      Map.entry("workflows.cancel", new Request("POST", "/api/v1/workflows/not-a-workflow/cancel", "{}")),
      Map.entry("lab_tests.create", new Request("POST", "/api/v1/lab-tests", "{}")),
      Map.entry("lab_tests.preview", new Request("POST", "/api/v1/lab-tests/preview", "{}")),
      Map.entry("lab_tests.edit", new Request("PUT", "/api/v1/lab-tests/not-a-test", "{}")),
      Map.entry("lab_tests.delete", new Request("DELETE", "/api/v1/lab-tests/not-a-test", null)),
      Map.entry("lab_tests.pause", new Request("POST", "/api/v1/lab-tests/not-a-test/pause", "{}")),
      Map.entry("lab_tests.resume", new Request("POST", "/api/v1/lab-tests/not-a-test/resume", "{}")),
      Map.entry("lab_tests.trigger", new Request("POST", "/api/v1/lab-tests/not-a-test/trigger", "{}")),
      Map.entry("dead_letters.retry", new Request("POST", "/api/v1/dead-letters/not-a-letter/retry", "{}")),
      Map.entry("reports.request", new Request("POST", "/api/v1/reports", "{}")),
      Map.entry("reports.rerender", new Request("POST", "/api/v1/reports/RP-2026-999999/versions", "{}")),
      Map.entry("reports.jobs", new Request("GET", "/api/v1/report-jobs?limit=1", null)),
      Map.entry("reports.retry", new Request("POST", "/api/v1/report-jobs/999999/retry", "{}")),
      Map.entry("deliveries.list", new Request("GET", "/api/v1/deliveries?limit=1", null)),
      Map.entry("deliveries.retry", new Request("POST", "/api/v1/deliveries/not-a-delivery/retry", "{}"))));

  static {
    // Every action of the lifecycle, on a specimen that does not exist: 404 once the roles allow it, 403 before.
    for (String action : TransitionTable.actions()) {
      REQUESTS.put("specimens." + action, new Request("POST", NO_SPECIMEN, "{\"action\":\"" + action + "\",\"reason\":\"checking the roles\"}"));
    }
  }

  static TestNode node;
  static final Map<Role, String> tokens = new EnumMap<>(Role.class);

  @BeforeAll
  static void start() {
    node = TestNode.start(TestDatabase.fresh("me"));
    String admin = node.adminToken();
    for (Role role : Role.values()) {
      String username = "as-" + role.wireName();
      node.api.createUser(admin, username, role.wireName() + "-password-1", role.wireName());
      tokens.put(role, node.api.login(username, role.wireName() + "-password-1"));
    }
  }

  @AfterAll
  static void stop() throws Exception {
    if (node != null) node.close();
  }

  @Test
  void eachRolesCapabilitiesAreWhatTheApiAllowsThatRole() {
    long journal = node.count("SELECT COUNT(*) FROM \"event_journal\"");
    List<String> wrong = new ArrayList<>();
    Map<Role, Integer> allowed = new EnumMap<>(Role.class);
    for (Role role : Role.values()) {
      ApiClient.Reply reply = node.api.get("/api/v1/me", tokens.get(role));
      assertEquals(200, reply.status(), reply.body());
      JsonNode me = reply.json();
      assertEquals("as-" + role.wireName(), me.get("username").asText());
      assertEquals(List.of(role.wireName()), List.of(me.get("roles").get(0).asText()));
      TreeSet<String> reported = new TreeSet<>();
      me.get("can").fieldNames().forEachRemaining(reported::add);
      assertEquals(REQUESTS.keySet(), reported, "the capabilities /me reports, and those this test calls");
      REQUESTS.forEach((capability, request) -> {
        ApiClient.Reply answer = node.api.send(request.method(), request.path(), tokens.get(role), request.body(),
            request.body() == null ? Map.of() : Map.of("Content-Type", "application/json"));
        boolean can = me.get("can").get(capability).asBoolean();
        if (can == (answer.status() == 403) || answer.status() >= 500) {
          wrong.add(role.wireName() + " " + capability + ": /me says " + can + ", " + request.method() + " " + request.path() + " answered "
              + answer.status() + " " + answer.body());
        }
        if (can) allowed.merge(role, 1, Integer::sum);
      });
    }
    assertEquals(List.of(), wrong);
    // The roles differ as docs/domain.md (Who) says: a viewer may only read clients, alarms and telemetry here, a reviewer approves and
    // a technician does not, an instrument streams telemetry and does not read it.
    assertEquals(4, allowed.get(Role.VIEWER));
    assertEquals(true, capability(Role.VIEWER, "clients.read") && capability(Role.VIEWER, "clients.list") && capability(Role.VIEWER, "alarms.list"));
    assertEquals(false, capability(Role.INSTRUMENT, "alarms.list"));
    assertEquals(true, capability(Role.TECHNICIAN, "alarms.acknowledge"));
    assertEquals(false, capability(Role.REVIEWER, "alarms.acknowledge"));
    assertEquals(true, capability(Role.INSTRUMENT, "telemetry.stream") && capability(Role.INSTRUMENT, "telemetry.post"));
    assertEquals(false, capability(Role.INSTRUMENT, "telemetry.read"));
    assertEquals(false, capability(Role.INSTRUMENT, "clients.list"));
    assertEquals(true, capability(Role.REVIEWER, "specimens.approve"));
    assertEquals(false, capability(Role.TECHNICIAN, "specimens.approve"));
    assertEquals(true, capability(Role.TECHNICIAN, "lab_tests.create"));
    assertEquals(journal, node.count("SELECT COUNT(*) FROM \"event_journal\""), "the calls stored nothing");
  }

  @Test
  void everyRouteNotOpenToEveryRoleHasACapability() {
    TreeSet<String> restricted = new TreeSet<>();
    node.node.endpoints().stream()
        .filter(e -> e.access().tokenRequired() && !e.access().roles().containsAll(List.of(Role.values())))
        .forEach(e -> restricted.add(e.method().name() + " " + e.template()));
    restricted.removeAll(MeRoutes.ROUTES.values());
    assertEquals(new TreeSet<>(), restricted, "give these routes a capability in MeRoutes.ROUTES, so the UI can ask about them");
  }

  @Test
  void withoutATokenThereIsNoCaller() {
    ApiClient.Reply reply = node.api.get("/api/v1/me", null);
    assertEquals(401, reply.status(), reply.body());
    assertEquals("application/problem+json", reply.contentType());
  }

  static boolean capability(Role role, String name) {
    return node.api.get("/api/v1/me", tokens.get(role)).json().get("can").get(name).asBoolean();
  }
}
