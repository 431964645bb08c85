package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import lims.device.Device;
import lims.device.DeviceType;
import lims.device.Devices;
import lims.kernel.Custody;
import lims.kernel.Role;
import lims.specimen.Barcodes;
import lims.specimen.Specimen;
import lims.specimen.Specimens;
import lims.workflow.Workflow;
import lims.workflow.Workflows;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/**
 * Workflows of steps on a device (docs/domain.md, Workflows; openapi.yaml, tag workflows):
 * create, read, start, execute a step, complete, cancel.
 */
final class WorkflowRoutes {

  private static final Access OPERATE = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST);
  static final Pattern WORKFLOW_ID = Workflow.ID;

  private final Workflows workflows;
  private final Devices devices;
  private final Specimens specimens;
  private final ObjectMapper mapper;
  private final java.time.Duration executeWait;
  private final IdempotencyKeys idempotency;

  WorkflowRoutes(Workflows workflows, Devices devices, Specimens specimens, ObjectMapper mapper, java.time.Duration executeWait,
      IdempotencyKeys idempotency) {
    this.workflows = workflows;
    this.devices = devices;
    this.specimens = specimens;
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
    String name = body.requiredString("name", 200);
    String deviceId = body.requiredMatching("device_id", Devices.DEVICE_ID, "1-64 lower-case letters, digits or '-'");
    List<String> barcodes = body.requiredList("sample_barcodes", 96, b -> Barcodes.validFormat(b) ? Optional.of(b) : Optional.empty(),
        "a barcode with a valid check character");
    String priority = body.optionalString("priority", 16).orElse("normal");
    if (lims.device.Priority.fromWireName(priority).isEmpty()) body.reject("priority", "must be one of urgent, normal, low");
    List<Workflow.Step> steps = steps(body.raw("steps"), body);
    body.finish();
    if (steps.isEmpty()) throw ProblemException.invalid("steps", "must name at least one step");
    Custody custody = custody(call);
    return idempotency.create(call, () -> CompletableFuture.completedFuture(newId()),
        reserved -> create(reserved, name, deviceId, barcodes, priority, steps, custody));
  }

  /** Checks the device and the samples as they are now, then creates the workflow under the reserved id. */
  private CompletionStage<HttpResponse> create(IdempotencyKeys.Reservation reserved, String name, String deviceId, List<String> barcodes,
      String priority, List<Workflow.Step> steps, Custody custody) {
    CompletionStage<Device.Reply> device = devices.ask(deviceId, Device.Get::new);
    List<CompletableFuture<Specimen.Reply>> samples = barcodes.stream()
        .map(b -> specimens.ask(Barcodes.specimenIdOf(b), Specimen.Get::new).toCompletableFuture()).toList();
    return device.thenCombine(CompletableFuture.allOf(samples.toArray(CompletableFuture[]::new)), (d, all) -> d).thenCompose(d -> {
      if (d instanceof Device.Rejected r) throw ProblemException.of(r.rejection());
      DeviceType type = ((Device.Snapshot) d).registration().type();
      List<FieldError> errors = new ArrayList<>();
      for (int i = 0; i < steps.size(); i++) {
        if (!type.supports(steps.get(i).operation())) {
          errors.add(new FieldError("steps[" + i + "]", "'" + steps.get(i).operation() + "' is not an operation of a " + type.wireName()));
        }
      }
      if (!errors.isEmpty()) throw ProblemException.invalid(errors);
      List<String> unknown = new ArrayList<>();
      List<Workflow.Sample> found = new ArrayList<>();
      for (int i = 0; i < barcodes.size(); i++) {
        if (samples.get(i).join() instanceof Specimen.Rejected) unknown.add(barcodes.get(i));
        else found.add(new Workflow.Sample(barcodes.get(i), Barcodes.specimenIdOf(barcodes.get(i))));
      }
      if (!unknown.isEmpty()) throw ProblemException.notFound("unknown sample barcodes: " + unknown);
      return workflows.ask(reserved.entityId(), r -> new Workflow.Create(name, deviceId, type.wireName(), found, steps, priority, custody,
          reserved.token(), r));
    }).thenApply(reply -> Responses.json(mapper, 201, view(current(reply))));
  }

  private static String newId() {
    return "WF-" + HexFormat.of().formatHex(java.nio.ByteBuffer.allocate(8).putLong(ThreadLocalRandom.current().nextLong()).array()).substring(0, 12);
  }

  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> status = QueryParams.matching(call, "status", Pattern.compile("created|queued|running|completed|cancelled|failed"),
        "one of created, queued, running, completed, cancelled, failed");
    Optional<String> after = QueryParams.matching(call, "after", WORKFLOW_ID, "a cursor from next_cursor");
    return workflows.readModel().list(status, limit, after).thenApply(page -> Responses.page(mapper, page));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    return workflows.ask(workflowId(call), Workflow.Get::new).thenApply(reply -> Responses.json(mapper, 200, view(current(reply))));
  }

  /** 200 running when the device was free; 202 queued with queue:true; 409 when it is held and no queueing was asked. */
  private CompletionStage<HttpResponse> start(Call call) {
    String id = workflowId(call);
    boolean queue = false;
    Optional<String> priority = Optional.empty();
    if (call.body().length > 0) {
      JsonBody body = call.json();
      queue = body.optionalBoolean("queue").orElse(false);
      priority = body.optionalString("priority", 16);
      if (priority.isPresent() && lims.device.Priority.fromWireName(priority.get()).isEmpty()) {
        body.reject("priority", "must be one of urgent, normal, low");
      }
      body.finish();
    }
    boolean queued = queue;
    Optional<String> asked = priority;
    Custody custody = custody(call);
    return workflows.ask(id, Workflow.Get::new).thenCompose(reply -> {
      Workflow.State w = current(reply);
      if (!w.status().equals(Workflow.CREATED)) {
        throw ProblemException.invalid("status", "workflow " + id + " is already " + w.status());
      }
      return workflows.start(w, queued, asked.orElse(w.priority()), custody);
    }).thenApply(reply -> {
      Workflow.State w = current(reply);
      return Responses.json(mapper, w.status().equals(Workflow.QUEUED) ? 202 : 200, view(w));
    });
  }

  /**
   * Runs the next step on the device: 200 with the finished step, or 202 while the operation
   * still runs (the step ends when the device reports it). 400 when not running or no step is left,
   * 409 while the previous step still runs.
   */
  private CompletionStage<HttpResponse> executeStep(Call call) {
    String id = workflowId(call);
    Custody custody = custody(call);
    return workflows.ask(id, r -> new Workflow.BeginStep(custody, r)).thenCompose(reply -> {
      Workflow.State w = current(reply);
      int index = w.runs().size() - 1;
      Workflow.Step step = w.steps().get(index);
      return devices.ask(w.deviceId(), r -> new Device.Execute(id, step.operation(), step.parameters(), custody.userId(), r))
          .thenCompose(started -> {
            if (started instanceof Device.Rejected rejected) {
              // The device ran nothing (in maintenance, say): the step is pending again, to be
              // run when the device can - not ended, since a step is never skipped.
              return workflows.ask(id, r -> new Workflow.ReleaseStep(index, r))
                  .thenApply(released -> { throw ProblemException.of(rejected.rejection()); });
            }
            String executionId = ((Device.ExecutionReply) started).execution().executionId();
            return workflows.ask(id, r -> new Workflow.StepAccepted(index, executionId, r))
                .thenCompose(accepted -> devices.awaitExecution(w.deviceId(), executionId, executeWait))
                .thenCompose(done -> {
                  if (done.isEmpty()) {
                    return CompletableFuture.completedFuture(Responses.json(mapper, 202,
                        Map.of("index", index, "operation", step.operation(), "status", "running", "execution_id", executionId)));
                  }
                  var x = done.get();
                  return workflows.ask(id, r -> new Workflow.EndStep(index, executionId, x.status(), x.result(), x.finishedAt(), r))
                      .thenApply(ended -> Responses.json(mapper, 200, stepView(current(ended).runs().get(index))));
                });
          });
    });
  }

  private CompletionStage<HttpResponse> complete(Call call) {
    String id = workflowId(call);
    Custody custody = custody(call);
    return workflows.ask(id, r -> new Workflow.Complete(custody, r)).thenCompose(reply -> {
      Workflow.State w = current(reply);
      // The device is released now for the caller; the workflow-effects reaction repeats it after a crash.
      return workflows.freeDevice(w.deviceId(), id, false, custody.userId()).thenApply(done -> Responses.json(mapper, 200, view(w)));
    });
  }

  private CompletionStage<HttpResponse> cancel(Call call) {
    String id = workflowId(call);
    Custody custody = custody(call);
    return workflows.ask(id, Workflow.Get::new).thenCompose(before -> {
      Workflow.State was = current(before);
      return workflows.ask(id, r -> new Workflow.Cancel(custody, r)).thenCompose(reply -> {
        Workflow.State w = current(reply);
        if (was.status().equals(Workflow.CREATED)) return CompletableFuture.completedFuture(Responses.json(mapper, 200, view(w)));
        boolean queued = was.status().equals(Workflow.QUEUED);
        return workflows.freeDevice(w.deviceId(), id, queued, custody.userId()).thenApply(done -> Responses.json(mapper, 200, view(w)));
      });
    });
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

  private static final int MAX_STEPS = 200;

  /** Steps as operation names or {operation, parameters} objects. */
  private List<Workflow.Step> steps(JsonNode node, JsonBody body) {
    List<Workflow.Step> steps = new ArrayList<>();
    if (node == null || !node.isArray()) {
      body.reject("steps", "must be an array of operation names or {operation, parameters}");
      return steps;
    }
    if (node.size() > MAX_STEPS) {
      body.reject("steps", "must have at most " + MAX_STEPS + " steps");
      return steps;
    }
    for (int i = 0; i < node.size(); i++) {
      JsonNode step = node.get(i);
      if (step.isTextual()) {
        steps.add(new Workflow.Step(step.textValue(), Map.of()));
      } else if (step.isObject() && step.path("operation").isTextual() && (!step.has("parameters") || step.get("parameters").isObject())) {
        Map<String, Object> params = step.has("parameters")
            ? mapper.convertValue(step.get("parameters"), new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {})
            : Map.of();
        steps.add(new Workflow.Step(step.get("operation").textValue(), params));
      } else {
        body.reject("steps[" + i + "]", "must be an operation name or {operation, parameters}");
      }
    }
    return steps;
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

  private static Workflow.State current(Workflow.Reply reply) {
    if (reply instanceof Workflow.Rejected r) throw ProblemException.of(r.rejection());
    return ((Workflow.Current) reply).workflow();
  }

  private static Map<String, Object> view(Workflow.State w) {
    Map<String, Object> v = new LinkedHashMap<>();
    v.put("id", w.id());
    v.put("name", w.name());
    v.put("status", w.status());
    v.put("device_id", w.deviceId());
    v.put("priority", w.priority());
    v.put("samples", w.samples().stream().map(s -> Map.of("barcode", s.barcode(), "specimen_id", s.specimenId())).toList());
    List<Map<String, Object>> steps = new ArrayList<>();
    for (int i = 0; i < w.steps().size(); i++) {
      Map<String, Object> step = i < w.runs().size() ? stepView(w.runs().get(i)) : new LinkedHashMap<>(Map.of("index", i, "operation",
          w.steps().get(i).operation(), "status", "pending"));
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
