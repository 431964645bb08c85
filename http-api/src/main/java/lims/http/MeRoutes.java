package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import lims.kernel.Role;
import lims.security.Principal;
import lims.specimen.TransitionTable;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * The caller and what the caller may do (GET /api/v1/me), so that a client (the web UI) shows
 * only the actions the API will allow. Nothing here says who may do what: a capability is a
 * name for a route, and whether the caller has it is the pipeline's own check of that route's
 * {@link Access} in the endpoint list the server routes on; for a specimen's actions, the
 * roles of {@link TransitionTable} that the transition route checks.
 */
final class MeRoutes {

  /** Capability name → the route ("METHOD template") it stands for. Every route not open to every role has one (MeApiTest). */
  static final Map<String, String> ROUTES = Map.ofEntries(
      Map.entry("users.create", "POST /api/v1/users"),
      Map.entry("users.read", "GET /api/v1/users/{username}"),
      Map.entry("users.list", "GET /api/v1/users"),
      Map.entry("clients.create", "POST /api/v1/clients"),
      Map.entry("clients.edit", "PUT /api/v1/clients/{code}"),
      Map.entry("clients.list", "GET /api/v1/clients"),
      Map.entry("clients.read", "GET /api/v1/clients/{code}"),
      Map.entry("devices.register", "POST /api/v1/devices"),
      Map.entry("devices.set_status", "PUT /api/v1/devices/{id}/status"),
      Map.entry("devices.book", "POST /api/v1/devices/{id}/book"),
      Map.entry("devices.release", "POST /api/v1/devices/{id}/release"),
      Map.entry("devices.queue", "POST /api/v1/devices/{id}/queue"),
      Map.entry("devices.cancel_queued", "DELETE /api/v1/devices/{id}/queue/{workflow_id}"),
      Map.entry("devices.execute", "POST /api/v1/devices/{id}/execute"),
      Map.entry("devices.declare_channels", "PUT /api/v1/devices/{id}/telemetry/channels"),
      Map.entry("alarms.list", "GET /api/v1/alarms"),
      Map.entry("alarms.acknowledge", "POST /api/v1/alarms/{id}/acknowledge"),
      Map.entry("telemetry.stream", "GET /api/v1/devices/{id}/telemetry/stream"),
      Map.entry("telemetry.post", "POST /api/v1/devices/{id}/telemetry"),
      Map.entry("telemetry.read", "GET /api/v1/devices/{id}/telemetry"),
      Map.entry("specimens.register", "POST /api/v1/specimens"),
      Map.entry("specimens.locate", "PUT /api/v1/specimens/{id}/location"),
      Map.entry("test_batches.create", "POST /api/v1/test-batches"),
      Map.entry("analyses.cancel", "POST /api/v1/analyses/{id}/cancel"),
      Map.entry("workflows.create", "POST /api/v1/workflows"),
      Map.entry("workflows.start", "POST /api/v1/workflows/{id}/start"),
      Map.entry("workflows.execute_step", "POST /api/v1/workflows/{id}/execute-step"),
      Map.entry("workflows.complete", "POST /api/v1/workflows/{id}/complete"),
      Map.entry("workflows.cancel", "POST /api/v1/workflows/{id}/cancel"),
      Map.entry("lab_tests.create", "POST /api/v1/lab-tests"),
      Map.entry("lab_tests.preview", "POST /api/v1/lab-tests/preview"),
      Map.entry("lab_tests.edit", "PUT /api/v1/lab-tests/{id}"),
      Map.entry("lab_tests.delete", "DELETE /api/v1/lab-tests/{id}"),
      Map.entry("lab_tests.pause", "POST /api/v1/lab-tests/{id}/pause"),
      Map.entry("lab_tests.resume", "POST /api/v1/lab-tests/{id}/resume"),
      Map.entry("lab_tests.trigger", "POST /api/v1/lab-tests/{id}/trigger"),
      Map.entry("dead_letters.retry", "POST /api/v1/dead-letters/{id}/retry"),
      Map.entry("reports.request", "POST /api/v1/reports"),
      Map.entry("reports.rerender", "POST /api/v1/reports/{id}/versions"),
      Map.entry("reports.jobs", "GET /api/v1/report-jobs"),
      Map.entry("reports.retry", "POST /api/v1/report-jobs/{id}/retry"),
      Map.entry("deliveries.list", "GET /api/v1/deliveries"),
      Map.entry("deliveries.retry", "POST /api/v1/deliveries/{id}/retry"));

  /** The route every specimen action is sent to; its own access and then the action's roles decide. */
  static final String TRANSITIONS = "POST /api/v1/specimens/{id}/transitions";

  /** {@code clientId}: the client a viewer is linked to (the UI shows only that client's specimens), null for none. */
  record MeView(String username, List<String> roles, Map<String, Boolean> can, String clientId) {}

  private final Map<String, Access> accessOf = new TreeMap<>();
  private final ObjectMapper mapper;

  /** {@code routes}: every other endpoint of the node, as the pipeline routes on them. */
  MeRoutes(List<Endpoint> routes, ObjectMapper mapper) {
    this.mapper = mapper;
    Map<String, Access> byRoute = new TreeMap<>();
    routes.forEach(e -> byRoute.put(e.method().name() + " " + e.template(), e.access()));
    ROUTES.forEach((name, route) -> accessOf.put(name, answered(byRoute, route)));
    accessOf.put(TRANSITIONS, answered(byRoute, TRANSITIONS));
  }

  private static Access answered(Map<String, Access> byRoute, String route) {
    Access access = byRoute.get(route);
    if (access == null) throw new IllegalStateException("a capability names " + route + ", which no endpoint answers");
    return access;
  }

  List<Endpoint> endpoints() {
    return List.of(new Endpoint(GET, "/api/v1/me", Access.anyRole(), this::me));
  }

  private CompletionStage<HttpResponse> me(Call call) {
    Principal caller = call.caller();
    return Responses.ok(mapper, new MeView(caller.username(), caller.roles().stream().map(Role::wireName).sorted().toList(), can(caller),
        caller.clientId()));
  }

  /** Each capability: whether the pipeline lets the caller through to its route (and, for a specimen action, the table). */
  Map<String, Boolean> can(Principal caller) {
    Map<String, Boolean> can = new TreeMap<>();
    ROUTES.keySet().forEach(name -> can.put(name, caller.hasAnyRole(accessOf.get(name).roles())));
    boolean transitions = caller.hasAnyRole(accessOf.get(TRANSITIONS).roles());
    for (TransitionTable.Transition t : TransitionTable.TRANSITIONS) {
      can.put("specimens." + t.action(), transitions && TransitionTable.actingRole(t, caller.roles()).isPresent());
    }
    return can;
  }
}
