package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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

  /** A workflow, as every workflow route but the list answers it. */
  record WorkflowView(String id, String name, String status, String deviceId, String priority, List<SampleView> samples,
      List<StepView> steps, Instant bookedAt, String createdBy, Instant finishedAt) {}

  record SampleView(String barcode, String specimenId) {}

  /** A step of a workflow: one never claimed is pending ({@link PendingStepView}), else a run ({@link RunStepView}). */
  sealed interface StepView permits PendingStepView, RunStepView {}

  record PendingStepView(int index, String operation, String status, Map<String, Object> parameters) implements StepView {}

  record RunStepView(int index, String operation, String status, String executionId, Instant startedAt, Instant finishedAt,
      Map<String, Object> result, Map<String, Object> parameters) implements StepView {}

  /** The step execute-step ran and ended (200). */
  record StepRunView(int index, String operation, String status, String executionId, Instant startedAt, Instant finishedAt,
      Map<String, Object> result) {}

  /** The step execute-step started that still runs (202). */
  record StepStartedView(int index, String operation, String status, String executionId) {}

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
      if (outcome instanceof Workflows.StepEnded ended) {
        Workflow.StepRun run = ended.step();
        return Responses.json(mapper, 200, new StepRunView(run.index(), run.operation(), run.status(), run.executionId(), run.startedAt(),
            run.finishedAt(), run.result()));
      }
      if (outcome instanceof Workflows.StepRunning running) {
        return Responses.json(mapper, 202, new StepStartedView(running.index(), running.operation(), Workflow.StepRun.RUNNING,
            running.executionId()));
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
    if (outcome instanceof Workflows.Invalid i) {
      throw ProblemException.invalid(i.problems().stream().map(p -> new FieldError(p.field(), p.message())).toList());
    }
    return Replies.expect(outcome, Workflows.Done.class).workflow();
  }

  private static WorkflowView view(Workflow.State w) {
    List<StepView> steps = new ArrayList<>();
    for (int i = 0; i < w.steps().size(); i++) {
      Workflow.Step step = w.steps().get(i);
      if (i < w.runs().size()) {
        Workflow.StepRun run = w.runs().get(i);
        steps.add(new RunStepView(run.index(), run.operation(), run.status(), run.executionId(), run.startedAt(), run.finishedAt(), run.result(),
            step.parameters()));
      } else {
        steps.add(new PendingStepView(i, step.operation(), Workflow.StepRun.PENDING, step.parameters()));
      }
    }
    return new WorkflowView(w.id(), w.name(), w.status().wireName(), w.deviceId(), w.priority().wireName(),
        w.samples().stream().map(s -> new SampleView(s.barcode(), s.specimenId())).toList(), steps, w.bookedAt(), w.createdBy().userId(),
        w.finishedAt());
  }
}
