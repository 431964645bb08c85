package lims.scheduling;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.device.Devices;
import lims.device.Priority;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.workflow.Workflow;
import lims.workflow.WorkflowSpec;
import lims.workflow.Workflows;

/**
 * The "workflow" action, a measurement: creates a workflow of the given steps on a device
 * and starts it (or queues it for the device). Parameters: {@code device_id}, {@code steps}
 * (as {@code POST /workflows} takes them, {@link WorkflowSpec}), {@code queue} (true),
 * {@code priority} (normal). The workflow's id derives from the execution id
 * ({@link Workflow#idForExecution}) and the execution id is its create's idempotency token, so
 * a resumed or retried execution finds its workflow instead of making a second one.
 */
final class WorkflowAction implements LabTestAction.Runner {

  private static final Set<String> PARAMETERS = Set.of("kind", "device_id", "steps", "queue", "priority");

  private final Workflows workflows;

  WorkflowAction(Workflows workflows) {
    this.workflows = workflows;
  }

  static Optional<String> check(Map<String, Object> p) {
    if (!(p.get("device_id") instanceof String device) || !Devices.DEVICE_ID.matcher(device).matches()) {
      return Optional.of("a workflow action needs a device_id (" + WorkflowSpec.DEVICE_ID_RULE + ")");
    }
    List<WorkflowSpec.Problem> problems = new ArrayList<>();
    WorkflowSpec.steps(p.get("steps"), problems);
    if (!problems.isEmpty()) return Optional.of(problems.get(0).line());
    if (p.containsKey("queue") && !(p.get("queue") instanceof Boolean)) return Optional.of("queue must be true or false");
    if (p.containsKey("priority") && Priority.fromWireName(String.valueOf(p.get("priority"))).isEmpty()) {
      return Optional.of("priority " + WorkflowSpec.PRIORITY_RULE);
    }
    return p.keySet().stream().filter(k -> !PARAMETERS.contains(k)).findFirst().map(k -> "a workflow action takes no '" + k + "'");
  }

  @Override
  public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
    Map<String, Object> p = action.parameters();
    String deviceId = (String) p.get("device_id");
    Priority priority = Priority.fromWireName(String.valueOf(p.getOrDefault("priority", Priority.NORMAL.wireName()))).orElseThrow();
    boolean queue = (Boolean) p.getOrDefault("queue", true);
    List<Workflow.Step> steps = WorkflowSpec.steps(p.get("steps"), new ArrayList<>()); // checked when the lab test was created
    String name = "lab test " + execution.labTestId() + " at " + execution.dueAt();
    WorkflowSpec spec = new WorkflowSpec(name, deviceId, List.of(), steps, priority);
    String workflowId = Workflow.idForExecution(execution.executionId());
    Custody custody = Custody.system(Instant.now(), "lab-test:" + execution.executionId(), null);
    // A repeat of the execution's create is answered with the workflow an earlier attempt made;
    // one made before creates carried the token answers "exists", and is used as it is.
    return workflows.create(workflowId, spec, custody, execution.executionId()).thenCompose(created ->
        created instanceof Workflows.Refused r && r.rejection().kind() == Rejection.Kind.CONFLICT ? workflows.get(workflowId)
            : CompletableFuture.completedFuture(created)).thenCompose(created -> {
      if (!(created instanceof Workflows.Done done)) return completed(failed(workflowId, "not created", created));
      Workflow.State w = done.workflow();
      if (w.status() != Workflow.Status.CREATED) {
        return completed(LabTestAction.Outcome.succeeded("workflow " + workflowId + " is already " + w.status().wireName()));
      }
      return workflows.start(workflowId, queue, Optional.of(priority), custody).thenApply(started -> started instanceof Workflows.Done s
          ? LabTestAction.Outcome.succeeded("workflow " + workflowId + " " + s.workflow().status().wireName() + " on " + deviceId)
          : failed(workflowId, "not started", started));
    });
  }

  private static LabTestAction.Outcome failed(String workflowId, String what, Workflows.Outcome outcome) {
    String why = outcome instanceof Workflows.Refused r ? r.rejection().detail()
        : String.join("; ", ((Workflows.Invalid) outcome).problems().stream().map(WorkflowSpec.Problem::line).toList());
    return LabTestAction.Outcome.failed("workflow " + workflowId + " " + what + ": " + why);
  }

  private static CompletionStage<LabTestAction.Outcome> completed(LabTestAction.Outcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }
}
