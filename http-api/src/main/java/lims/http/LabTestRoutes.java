package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.DELETE;
import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;
import static org.apache.pekko.http.javadsl.model.HttpMethods.PUT;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
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
        new Endpoint(POST, "/api/v1/lab-tests/preview", PLAN, this::preview),
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
        labTests.create(reserved.entityId(), definition, by(call), reserved.token())
            .thenApply(reply -> Responses.json(mapper, 201, LabTestView.of(current(reply)))));
  }

  /** A schedule as create reads it (the same rules, the same field names in a 400), in words, with its next fires from now. */
  private CompletionStage<HttpResponse> preview(Call call) {
    JsonBody body = call.json();
    Schedule schedule = schedule(body);
    body.finish();
    return Responses.ok(mapper, new SchedulePreviewView(ScheduleView.of(schedule), labTests.preview(schedule)));
  }

  private CompletionStage<HttpResponse> edit(Call call) {
    String id = labTestId(call);
    LabTest.Definition definition = definition(call);
    return labTests.ask(id, r -> new LabTest.Edit(definition, by(call), r)).thenApply(reply -> Responses.json(mapper, 200, LabTestView.of(current(reply))));
  }

  private CompletionStage<HttpResponse> command(Call call, Function<ActorRef<LabTest.Reply>, LabTest.Command> command) {
    return labTests.ask(labTestId(call), command).thenApply(reply -> Responses.json(mapper, 200, LabTestView.of(current(reply))));
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
    return page.thenApply(p -> Responses.page(mapper, p.map(LabTestRowView::of)));
  }

  private CompletionStage<HttpResponse> executions(Call call) {
    String id = labTestId(call);
    Optional<String> after = QueryParams.matching(call, "after", LabTest.EXECUTION_ID, "a cursor from next_cursor");
    boolean newestFirst = QueryParams.string(call, "order").map(order -> switch (order) {
      case "due" -> false;
      case "newest_first" -> true;
      default -> throw ProblemException.invalid("order", "must be due or newest_first");
    }).orElse(false);
    // An empty first page may be a test that does not exist: the test itself answers (404),
    // not the read tables, which learn of a new test a moment after it is created.
    return labTests.readModel().executions(id, QueryParams.limit(call), after, newestFirst).thenCompose(page -> page.items().isEmpty() && after.isEmpty()
        ? labTests.ask(id, LabTest.Get::new).thenApply(reply -> {
          current(reply);
          return page;
        })
        : CompletableFuture.completedFuture(page)).thenApply(page -> Responses.page(mapper, page.map(LabTestExecutionView::of)));
  }

  private CompletionStage<HttpResponse> deadLetters(Call call) {
    Optional<String> labTestId = QueryParams.matching(call, "lab_test_id", LabTest.ID, "a lab test id such as LT-0123456789abcdef0");
    Optional<String> after = QueryParams.matching(call, "after", LabTest.EXECUTION_ID, "a cursor from next_cursor");
    return labTests.readModel().deadLetters(labTestId, QueryParams.limit(call), after).thenApply(page -> Responses.page(mapper, page.map(DeadLetterView::of)));
  }

  private CompletionStage<HttpResponse> retryDeadLetter(Call call) {
    String executionId = call.pathParam("id");
    Optional<String> labTestId = LabTestReadModel.labTestOf(executionId);
    if (labTestId.isEmpty()) throw ProblemException.invalid("id", "must be a dead letter's id, as GET /dead-letters lists it");
    return labTests.ask(labTestId.get(), r -> new LabTest.RetryDeadLetter(executionId, by(call), r))
        .thenApply(reply -> Responses.json(mapper, 200, LabTestView.of(current(reply))));
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
    Schedule schedule = schedule(body);
    LabTestAction action = action(body);
    int maxRetries = body.optionalInt("max_retries", 3, 0, 20);
    String misfire = body.check("misfire_policy", body.optionalString("misfire_policy", 16).orElse(LabTest.FIRE_ONCE), given ->
        LabTest.MISFIRE_POLICIES.contains(given) ? Optional.empty() : Optional.of("must be one of " + String.join(", ", LabTest.MISFIRE_POLICIES)));
    body.finish();
    return new LabTest.Definition(title, type, experiment, recipients, schedule, action, maxRetries, misfire);
  }

  /** {"at": instant} or {"cron": expression, "timezone": IANA zone}; a problem names schedule, schedule.at, .cron or .timezone. */
  private static Schedule schedule(JsonBody body) {
    JsonBody given = body.object("schedule", "is required: {\"at\": instant} or {\"cron\": expression, \"timezone\": IANA zone}");
    if (given == null) return null;
    if (given.has("at") == given.has("cron")) {
      body.reject("schedule", "must have either at, or cron and timezone");
      return null;
    }
    if (given.has("at")) {
      String text = given.text("at", Integer.MAX_VALUE);
      if (text == null || given.size() != 1) {
        given.reject("at", "must be the only field, an ISO-8601 instant");
        return null;
      }
      Instant at = given.check("at", given.instant("at", text), Schedule::atProblem);
      return at == null ? null : Schedule.once(at);
    }
    String cron = given.text("cron", 120);
    if (cron == null) {
      given.reject("cron", "must be " + Schedule.CRON_RULE);
      return null;
    }
    String timezone = given.text("timezone", 64);
    if (timezone == null || given.size() != 2) {
      given.reject("timezone", "is required with cron: an IANA time zone such as Europe/Berlin");
      return null;
    }
    cron = given.check("cron", cron, Schedule::cronProblem);
    timezone = given.check("timezone", timezone, Schedule::zoneProblem);
    return cron != null && timezone != null ? Schedule.cron(cron, timezone) : null;
  }

  /** {"kind": ..., ...the kind's parameters}, checked by the scheduling context's actions. */
  private LabTestAction action(JsonBody body) {
    String required = "is required: {\"kind\": \"http\" | \"workflow\" | \"analysis\", ...}";
    JsonBody given = body.object("action", required);
    if (given == null) return null;
    if (given.json().length() > 4000) {
      body.reject("action", "is larger than 4,000 characters");
      return null;
    }
    Map<String, Object> parameters = given.asMap(mapper);
    if (!(parameters.get("kind") instanceof String kind)) {
      body.reject("action", required);
      return null;
    }
    List<String> nulls = parameters.entrySet().stream().filter(p -> p.getValue() == null).map(Map.Entry::getKey).sorted().toList();
    if (!nulls.isEmpty()) {
      nulls.forEach(k -> given.reject(k, "must not be null: leave it out for the default"));
      return null;
    }
    LabTestAction action = new LabTestAction(kind, Map.copyOf(parameters));
    Optional<String> wrong = labTests.actions().check(action);
    if (wrong.isPresent()) {
      body.reject(wrong.get().startsWith("unknown action kind") ? "action.kind" : "action", wrong.get());
      return null;
    }
    return action;
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
    return Replies.expect(reply, LabTest.Current.class).labTest();
  }

  record LabTestView(String id, String title, String type, String experiment, List<String> recipients, ScheduleView schedule,
      Map<String, Object> action, int maxRetries, String misfirePolicy, String status, Instant nextFireAt,
      @JsonInclude(JsonInclude.Include.NON_NULL) CurrentExecutionView currentExecution, Set<String> deadLetters, String createdBy,
      Instant createdAt) {
    static LabTestView of(LabTest.State s) {
      LabTest.Definition d = s.definition();
      LabTest.Execution e = s.current();
      return new LabTestView(s.id(), d.title(), d.type(), d.experiment(), d.recipients(), ScheduleView.of(d.schedule()), d.action().parameters(),
          d.maxRetries(), d.misfirePolicy(), s.status().wireName(), s.nextFireAt(),
          e == null ? null : new CurrentExecutionView(e.executionId(), e.dueAt(), e.attempt()), s.deadLetters().keySet(), s.createdBy(),
          s.createdAt());
    }
  }

  /**
   * A one-off schedule shows only {@code at}, a recurring one only {@code cron} and {@code timezone};
   * both show their {@code description} in words.
   */
  @JsonInclude(JsonInclude.Include.NON_NULL)
  record ScheduleView(Instant at, String cron, String timezone, String description) {
    static ScheduleView of(Schedule s) {
      return s.recurring() ? new ScheduleView(null, s.cron(), s.timezone(), s.describe()) : new ScheduleView(s.at(), null, null, s.describe());
    }
  }

  /** POST /lab-tests/preview: the schedule as a test would hold it, and its next fires from now. */
  record SchedulePreviewView(ScheduleView schedule, List<Schedule.Fire> nextFires) {}

  record CurrentExecutionView(String executionId, Instant dueAt, int attempt) {}

  /** A lab test as the list shows it (from the read table). */
  record LabTestRowView(String id, String title, String type, String experiment, List<String> recipients, String status, String actionKind,
      Instant nextFireAt, ScheduleView schedule) {
    static LabTestRowView of(LabTestReadModel.LabTestRow r) {
      return new LabTestRowView(r.id(), r.title(), r.type(), r.experiment(), r.recipients(), r.status(), r.actionKind(), r.nextFireAt(),
          ScheduleView.of(new Schedule(r.at(), r.cron(), r.timezone())));
    }
  }

  record LabTestExecutionView(String executionId, Instant dueAt, Instant startedAt, Instant finishedAt, long latenessMs, int attempt,
      String status, String firedBy, List<String> log) {
    static LabTestExecutionView of(LabTestReadModel.ExecutionRow e) {
      return new LabTestExecutionView(e.executionId(), e.dueAt(), e.startedAt(), e.finishedAt(), e.latenessMs(), e.attempt(), e.status(),
          e.firedBy(), e.log() == null ? List.of() : List.of(e.log().split("\n")));
    }
  }

  record DeadLetterView(String id, String labTestId, Instant dueAt, int attempts, String error, Instant deadLetteredAt) {
    static DeadLetterView of(LabTestReadModel.DeadLetterRow d) {
      return new DeadLetterView(d.executionId(), d.labTestId(), d.dueAt(), d.attempts(), d.error(), d.deadLetteredAt());
    }
  }
}
