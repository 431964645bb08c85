package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import lims.device.Devices;
import lims.device.Priority;
import lims.kernel.Custody;
import lims.kernel.Role;
import lims.kernel.WireNames;
import lims.specimen.Barcodes;
import lims.workflow.Workflow;
import lims.workflow.WorkflowSpec;
import lims.workflow.Workflows;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Workflows of steps on a device (docs/domain.md, Workflows; openapi.yaml, tag workflows):
 * create, read, start, execute a step, complete, cancel.
 */
final class WorkflowRoutes {

  private static final Access OPERATE = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST);
  static final Pattern WORKFLOW_ID = Workflow.ID;
  private static final Pattern STATUS = Pattern.compile(String.join("|", Arrays.stream(Workflow.Status.values()).map(Workflow.Status::wireName).toList()));

  private final Workflows workflows;
  private final ObjectMapper mapper;
  private final java.time.Duration executeWait;
  private final IdempotencyKeys idempotency;

  WorkflowRoutes(Workflows workflows, ObjectMapper mapper, java.time.Duration executeWait, IdempotencyKeys idempotency) {
    this.workflows = workflows;
    this.mapper = mapper;
    this.executeWait = executeWait;
    this.idempotency = idempotency;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/workflows", OPERATE, this::create),
        new Endpoint(GET, "/api/v1/workflows", Access.anyRole(), this::list),
        new Endpoint(GET, "/api/v1/workflows/{id}", Access.anyRole(), this::read),
        new Endpoint(POST, "/api/v1/workflows/{id}/start", OPERATE, this::start),
        new Endpoint(POST, "/api/v1/workflows/{id}/execute-step", OPERATE, this::executeStep),
        new Endpoint(POST, "/api/v1/workflows/{id}/complete", OPERATE, this::complete),
        new Endpoint(POST, "/api/v1/workflows/{id}/cancel", OPERATE, this::cancel));
  }

  private CompletionStage<HttpResponse> create(Call call) {
    JsonBody body = call.json();
    String name = body.requiredString("name", WorkflowSpec.MAX_NAME);
    String deviceId = body.requiredMatching("device_id", Devices.DEVICE_ID, WorkflowSpec.DEVICE_ID_RULE);
    List<String> barcodes = body.requiredList("sample_barcodes", WorkflowSpec.MAX_SAMPLES,
        b -> Barcodes.validFormat(b) ? Optional.of(b) : Optional.empty(), "a barcode with a valid check character");
    Priority priority = priority(body).orElse(Priority.NORMAL);
    List<WorkflowSpec.Problem> problems = new ArrayList<>();
    JsonNode steps = body.raw("steps");
    List<Workflow.Step> parsed = WorkflowSpec.steps(steps == null ? null : mapper.convertValue(steps, Object.class), problems);
    problems.forEach(p -> body.reject(p.field(), p.message()));
    body.finish();
    WorkflowSpec spec = new WorkflowSpec(name, deviceId, barcodes, parsed, priority);
    Custody custody = custody(call);
    return idempotency.create(call, () -> CompletableFuture.completedFuture(Workflow.newId()),
        reserved -> workflows.create(reserved.entityId(), spec, custody, reserved.token())
            .thenApply(outcome -> Responses.json(mapper, 201, view(workflow(outcome)))));
  }

  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> status = QueryParams.matching(call, "status", STATUS, "one of " + WireNames.list(Workflow.Status.class));
    Optional<String> after = QueryParams.matching(call, "after", WORKFLOW_ID, "a cursor from next_cursor");
    return workflows.readModel().list(status, limit, after).thenApply(page -> Responses.page(mapper, page));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    return workflows.get(workflowId(call)).thenApply(outcome -> Responses.json(mapper, 200, view(workflow(outcome))));
  }

  /** 200 running when the device was free; 202 queued with queue:true; 409 when it is held and no queueing was asked. */
  private CompletionStage<HttpResponse> start(Call call) {
    String id = workflowId(call);
    boolean queue = false;
    Optional<Priority> priority = Optional.empty();
    if (call.body().length > 0) {
      JsonBody body = call.json();
      queue = body.optionalBoolean("queue").orElse(false);
      priority = priority(body);
      body.finish();
    }
    return workflows.start(id, queue, priority, custody(call)).thenApply(outcome -> {
      Workflow.State w = workflow(outcome);
      return Responses.json(mapper, w.status() == Workflow.Status.QUEUED ? 202 : 200, view(w));
    });
  }

  /**
   * Runs the next step on the device: 200 with the finished step, or 202 while the operation
   * still runs (the step ends when the device reports it). 400 when not running or no step is left,
   * 409 while the previous step still runs.
   */
  private CompletionStage<HttpResponse> executeStep(Call call) {
    return workflows.executeNextStep(workflowId(call), custody(call), executeWait).thenApply(outcome -> {
      if (outcome instanceof Workflows.StepEnded ended) return Responses.json(mapper, 200, stepView(ended.step()));
      if (outcome instanceof Workflows.StepRunning running) {
        return Responses.json(mapper, 202, Map.of("index", running.index(), "operation", running.operation(), "status", "running",
            "execution_id", running.executionId()));
      }
      throw ProblemException.of(((Workflows.StepRefused) outcome).rejection());
    });
  }

  private CompletionStage<HttpResponse> complete(Call call) {
    return workflows.complete(workflowId(call), custody(call)).thenApply(outcome -> Responses.json(mapper, 200, view(workflow(outcome))));
  }

  private CompletionStage<HttpResponse> cancel(Call call) {
    return workflows.cancel(workflowId(call), custody(call)).thenApply(outcome -> Responses.json(mapper, 200, view(workflow(outcome))));
  }

  // --- helpers --------------------------------------------------------------------------

  private static Map<String, Object> stepView(Workflow.StepRun run) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("index", run.index());
    v.put("operation", run.operation());
    v.put("status", run.status());
    v.put("execution_id", run.executionId());
    v.put("started_at", run.startedAt());
    v.put("finished_at", run.finishedAt());
    v.put("result", run.result());
    return v;
  }

  private static Optional<Priority> priority(JsonBody body) {
    Optional<String> given = body.optionalString("priority", 16);
    Optional<Priority> priority = given.flatMap(Priority::fromWireName);
    if (given.isPresent() && priority.isEmpty()) body.reject("priority", WorkflowSpec.PRIORITY_RULE);
    return priority;
  }

  /** Workflow work is done as the caller's operating role (the endpoint admits only those). */
  private static Custody custody(Call call) {
    Role role = call.caller().roles().stream().filter(OPERATE.roles()::contains).sorted().findFirst().orElseThrow();
    return call.custody(role, null);
  }

  private static String workflowId(Call call) {
    String id = call.pathParam("id");
    if (!WORKFLOW_ID.matcher(id).matches()) throw ProblemException.invalid("id", "must be a workflow id such as WF-0123456789ab");
    return id;
  }

  /** The workflow an outcome carries, or the refusal it is, thrown as the problem to answer. */
  private static Workflow.State workflow(Workflows.Outcome outcome) {
    if (outcome instanceof Workflows.Refused r) throw ProblemException.of(r.rejection());
    if (outcome instanceof Workflows.Invalid i) {
      throw ProblemException.invalid(i.problems().stream().map(p -> new FieldError(p.field(), p.message())).toList());
    }
    return ((Workflows.Done) outcome).workflow();
  }

  private static Map<String, Object> view(Workflow.State w) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", w.id());
    v.put("name", w.name());
    v.put("status", w.status().wireName());
    v.put("device_id", w.deviceId());
    v.put("priority", w.priority().wireName());
    v.put("samples", w.samples().stream().map(s -> Map.of("barcode", s.barcode(), "specimen_id", s.specimenId())).toList());
    List<Map<String, Object>> steps = new ArrayList<>();
    for (int i = 0; i < w.steps().size(); i++) {
      Map<String, Object> step = i < w.runs().size() ? stepView(w.runs().get(i)) : new LinkedHashMap<>(Map.of("index", i, "operation",
          w.steps().get(i).operation(), "status", Workflow.StepRun.PENDING));
      step.put("parameters", w.steps().get(i).parameters());
      steps.add(step);
    }
    v.put("steps", steps);
    v.put("booked_at", w.bookedAt());
    v.put("created_by", w.createdBy().userId());
    v.put("finished_at", w.finishedAt());
    return v;
  }
}
