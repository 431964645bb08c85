package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.DELETE;
import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;
import static org.apache.pekko.http.javadsl.model.HttpMethods.PUT;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import lims.kernel.Role;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTestReadModel;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Scheduled lab tests and their dead letters (docs/domain.md, Scheduled lab tests; openapi.yaml, tag lab tests). */
final class LabTestRoutes {

  private static final Access PLAN = Access.roles(Role.ADMIN, Role.SCIENTIST, Role.TECHNICIAN);
  private static final Pattern EMAIL = Pattern.compile("[^@\\s]{1,64}@[^@\\s]{1,190}");
  private static final Set<String> STATUSES = LabTest.Status.listed();

  private final LabTests labTests;
  private final ObjectMapper mapper;
  private final IdempotencyKeys idempotency;

  LabTestRoutes(LabTests labTests, ObjectMapper mapper, IdempotencyKeys idempotency) {
    this.labTests = labTests;
    this.mapper = mapper;
    this.idempotency = idempotency;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/lab-tests", PLAN, this::create),
        new Endpoint(GET, "/api/v1/lab-tests", Access.anyRole(), this::list),
        new Endpoint(GET, "/api/v1/lab-tests/{id}", Access.anyRole(), call -> command(call, r -> new LabTest.Get(r))),
        new Endpoint(PUT, "/api/v1/lab-tests/{id}", PLAN, this::edit),
        new Endpoint(DELETE, "/api/v1/lab-tests/{id}", PLAN, call -> command(call, r -> new LabTest.Delete(by(call), r))),
        new Endpoint(POST, "/api/v1/lab-tests/{id}/pause", PLAN, call -> command(call, r -> new LabTest.Pause(by(call), r))),
        new Endpoint(POST, "/api/v1/lab-tests/{id}/resume", PLAN, call -> command(call, r -> new LabTest.Resume(by(call), r))),
        new Endpoint(POST, "/api/v1/lab-tests/{id}/trigger", PLAN, call -> command(call, r -> new LabTest.Trigger(by(call), r))),
        new Endpoint(GET, "/api/v1/lab-tests/{id}/executions", Access.anyRole(), this::executions),
        new Endpoint(GET, "/api/v1/dead-letters", Access.anyRole(), this::deadLetters),
        new Endpoint(POST, "/api/v1/dead-letters/{id}/retry", PLAN, this::retryDeadLetter));
  }

  private CompletionStage<HttpResponse> create(Call call) {
    LabTest.Definition definition = definition(call);
    return idempotency.create(call, () -> CompletableFuture.completedFuture(LabTests.newId()), reserved ->
        labTests.ask(reserved.entityId(), r -> new LabTest.Create(definition, by(call), reserved.token(), r))
            .thenApply(reply -> Responses.json(mapper, 201, view(current(reply)))));
  }

  private CompletionStage<HttpResponse> edit(Call call) {
    String id = labTestId(call);
    LabTest.Definition definition = definition(call);
    return labTests.ask(id, r -> new LabTest.Edit(definition, by(call), r)).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  private CompletionStage<HttpResponse> command(Call call, Function<ActorRef<LabTest.Reply>, LabTest.Command> command) {
    return labTests.ask(labTestId(call), command).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> status = QueryParams.string(call, "status");
    status.ifPresent(s -> {
      if (!STATUSES.contains(s)) throw ProblemException.invalid("status", "must be one of " + STATUSES);
    });
    boolean upcoming = QueryParams.string(call, "upcoming").map(u -> {
      if (!u.equals("true") && !u.equals("false")) throw ProblemException.invalid("upcoming", "must be true or false");
      return u.equals("true");
    }).orElse(false);
    var page = upcoming
        ? labTests.readModel().upcoming(status, limit, QueryParams.keysetCursor(call))
        : labTests.readModel().list(status, limit, QueryParams.matching(call, "after", LabTest.ID, "a cursor from next_cursor"));
    return page.thenApply(p -> Responses.page(mapper, p.map(LabTestRoutes::rowView)));
  }

  private CompletionStage<HttpResponse> executions(Call call) {
    String id = labTestId(call);
    Optional<String> after = QueryParams.matching(call, "after", LabTest.EXECUTION_ID, "a cursor from next_cursor");
    // An empty first page may be a test that does not exist: the test itself answers (404),
    // not the read tables, which learn of a new test a moment after it is created.
    return labTests.readModel().executions(id, QueryParams.limit(call), after).thenCompose(page -> page.items().isEmpty() && after.isEmpty()
        ? labTests.ask(id, LabTest.Get::new).thenApply(reply -> {
          current(reply);
          return page;
        })
        : CompletableFuture.completedFuture(page)).thenApply(page -> Responses.page(mapper, page.map(e -> {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("execution_id", e.executionId());
      v.put("due_at", e.dueAt());
      v.put("started_at", e.startedAt());
      v.put("finished_at", e.finishedAt());
      v.put("lateness_ms", e.latenessMs());
      v.put("attempt", e.attempt());
      v.put("status", e.status());
      v.put("fired_by", e.firedBy());
      v.put("log", e.log() == null ? List.of() : List.of(e.log().split("\n")));
      return v;
    })));
  }

  private CompletionStage<HttpResponse> deadLetters(Call call) {
    Optional<String> after = QueryParams.matching(call, "after", LabTest.EXECUTION_ID, "a cursor from next_cursor");
    return labTests.readModel().deadLetters(QueryParams.limit(call), after).thenApply(page -> Responses.page(mapper, page.map(d -> {
      Map<String, Object> v = new LinkedHashMap<>();
      v.put("id", d.executionId());
      v.put("lab_test_id", d.labTestId());
      v.put("due_at", d.dueAt());
      v.put("attempts", d.attempts());
      v.put("error", d.error());
      v.put("dead_lettered_at", d.deadLetteredAt());
      return v;
    })));
  }

  private CompletionStage<HttpResponse> retryDeadLetter(Call call) {
    String executionId = call.pathParam("id");
    Optional<String> labTestId = LabTestReadModel.labTestOf(executionId);
    if (labTestId.isEmpty()) throw ProblemException.invalid("id", "must be a dead letter's id, as GET /dead-letters lists it");
    return labTests.ask(labTestId.get(), r -> new LabTest.RetryDeadLetter(executionId, by(call), r))
        .thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  // --- input --------------------------------------------------------------------------

  /** The body of POST and PUT: every field checked, every problem named at once. */
  private LabTest.Definition definition(Call call) {
    JsonBody body = call.json();
    String title = body.requiredString("title", 200);
    String type = body.optionalString("type", 64).orElse(null);
    String experiment = body.optionalString("experiment", 200).orElse(null);
    List<String> recipients = body.optionalList("recipients", 50, r -> EMAIL.matcher(r).matches() ? Optional.of(r) : Optional.empty(),
        "an e-mail address");
    Schedule schedule = schedule(body, body.raw("schedule"));
    LabTestAction action = action(body, body.raw("action"));
    int maxRetries = integer(body, "max_retries", 3, 0, 20);
    String misfire = body.optionalString("misfire_policy", 16).orElse(LabTest.FIRE_ONCE);
    if (!LabTest.MISFIRE_POLICIES.contains(misfire)) body.reject("misfire_policy", "must be one of " + String.join(", ", LabTest.MISFIRE_POLICIES));
    body.finish();
    return new LabTest.Definition(title, type, experiment, recipients, schedule, action, maxRetries, misfire);
  }

  private static Schedule schedule(JsonBody body, JsonNode node) {
    if (node == null || !node.isObject()) {
      body.reject("schedule", "is required: {\"at\": instant} or {\"cron\": expression, \"timezone\": IANA zone}");
      return null;
    }
    boolean at = node.has("at");
    boolean cron = node.has("cron");
    if (at == cron) {
      body.reject("schedule", "must have either at, or cron and timezone");
      return null;
    }
    if (at) {
      if (node.size() != 1 || !node.get("at").isTextual()) {
        body.reject("schedule.at", "must be the only field, an ISO-8601 instant");
        return null;
      }
      Instant instant = body.instant("schedule.at", node.get("at").asText());
      if (instant == null) return null;
      if (!instant.isAfter(Instant.now())) {
        body.reject("schedule.at", "is in the past");
        return null;
      }
      return Schedule.once(instant);
    }
    if (!node.path("cron").isTextual() || node.get("cron").asText().length() > 120) {
      body.reject("schedule.cron", "must be " + Schedule.CRON_RULE);
      return null;
    }
    if (!node.path("timezone").isTextual() || node.get("timezone").asText().length() > 64 || node.size() != 2) {
      body.reject("schedule.timezone", "is required with cron: an IANA time zone such as Europe/Berlin");
      return null;
    }
    String expression = node.get("cron").asText();
    String timezone = node.get("timezone").asText();
    Optional<String> wrongCron = Schedule.cronProblem(expression);
    Optional<String> wrongZone = Schedule.zoneProblem(timezone);
    wrongCron.ifPresent(why -> body.reject("schedule.cron", why));
    wrongZone.ifPresent(why -> body.reject("schedule.timezone", why));
    return wrongCron.isEmpty() && wrongZone.isEmpty() ? Schedule.cron(expression, timezone) : null;
  }

  private LabTestAction action(JsonBody body, JsonNode node) {
    if (node == null || !node.isObject() || !node.path("kind").isTextual()) {
      body.reject("action", "is required: {\"kind\": \"http\" | \"workflow\" | \"analysis\", ...}");
      return null;
    }
    if (node.toString().length() > 4000) {
      body.reject("action", "is larger than 4,000 characters");
      return null;
    }
    Map<String, Object> parameters = mapper.convertValue(node, new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
    List<String> nulls = parameters.entrySet().stream().filter(p -> p.getValue() == null).map(Map.Entry::getKey).sorted().toList();
    if (!nulls.isEmpty()) {
      nulls.forEach(k -> body.reject("action." + k, "must not be null: leave it out for the default"));
      return null;
    }
    LabTestAction action = new LabTestAction(node.get("kind").asText(), Map.copyOf(parameters));
    Optional<String> wrong = labTests.actions().check(action);
    if (wrong.isPresent()) {
      body.reject(wrong.get().startsWith("unknown action kind") ? "action.kind" : "action", wrong.get());
      return null;
    }
    return action;
  }

  private static int integer(JsonBody body, String field, int fallback, int min, int max) {
    JsonNode node = body.raw(field);
    if (node == null || node.isNull()) return fallback;
    if (!node.isInt() || node.asInt() < min || node.asInt() > max) {
      body.reject(field, "must be an integer from " + min + " to " + max);
      return fallback;
    }
    return node.asInt();
  }

  // --- output -------------------------------------------------------------------------

  private static String labTestId(Call call) {
    String id = call.pathParam("id");
    if (!LabTest.ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a lab test id such as LT-0123456789abcdef0");
    return id;
  }

  private static String by(Call call) {
    return call.caller().username();
  }

  private static LabTest.State current(LabTest.Reply reply) {
    if (reply instanceof LabTest.Rejected r) throw ProblemException.of(r.rejection());
    return ((LabTest.Current) reply).labTest();
  }

  private static Map<String, Object> view(LabTest.State s) {
    LabTest.Definition d = s.definition();
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", s.id());
    v.put("title", d.title());
    v.put("type", d.type());
    v.put("experiment", d.experiment());
    v.put("recipients", d.recipients());
    v.put("schedule", d.schedule().recurring() ? Map.of("cron", d.schedule().cron(), "timezone", d.schedule().timezone())
        : Map.of("at", d.schedule().at()));
    v.put("action", d.action().parameters());
    v.put("max_retries", d.maxRetries());
    v.put("misfire_policy", d.misfirePolicy());
    v.put("status", s.status());
    v.put("next_fire_at", s.nextFireAt());
    if (s.current() != null) {
      v.put("current_execution", Map.of("execution_id", s.current().executionId(), "due_at", s.current().dueAt(),
          "attempt", s.current().attempt()));
    }
    v.put("dead_letters", s.deadLetters().keySet());
    v.put("created_by", s.createdBy());
    v.put("created_at", s.createdAt());
    return v;
  }

  private static Map<String, Object> rowView(LabTestReadModel.LabTestRow r) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", r.id());
    v.put("title", r.title());
    v.put("type", r.type());
    v.put("status", r.status());
    v.put("action_kind", r.actionKind());
    v.put("next_fire_at", r.nextFireAt());
    v.put("schedule", r.cron() != null ? Map.of("cron", r.cron(), "timezone", r.timezone()) : Map.of("at", r.at()));
    return v;
  }
}
