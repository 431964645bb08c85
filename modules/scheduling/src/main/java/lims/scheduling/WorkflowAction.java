package lims.scheduling;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.device.Device;
import lims.device.DeviceType;
import lims.device.Devices;
import lims.device.Priority;
import lims.kernel.Custody;
import lims.workflow.Workflow;
import lims.workflow.Workflows;

/**
 * The "workflow" action, a measurement: creates a workflow of the given steps on a device
 * and starts it (or queues it for the device). Parameters: {@code device_id}, {@code steps}
 * ([{operation, parameters?}]), {@code queue} (true), {@code priority} (normal). The
 * workflow's id derives from the execution id, so a resumed or retried execution finds its
 * workflow instead of making a second one.
 */
final class WorkflowAction implements LabTestAction.Runner {

  private final Workflows workflows;
  private final Devices devices;

  WorkflowAction(Workflows workflows, Devices devices) {
    this.workflows = workflows;
    this.devices = devices;
  }

  static Optional<String> check(Map<String, Object> p) {
    if (!(p.get("device_id") instanceof String device) || !Devices.DEVICE_ID.matcher(device).matches()) {
      return Optional.of("a workflow action needs a device_id (1-64 lower-case letters, digits or '-')");
    }
    if (!(p.get("steps") instanceof List<?> steps) || steps.isEmpty() || steps.size() > 50) return Optional.of("steps must list 1-50 steps");
    for (Object step : steps) {
      if (!(step instanceof Map<?, ?> m) || !(m.get("operation") instanceof String)
          || m.containsKey("parameters") && !(m.get("parameters") instanceof Map)) {
        return Optional.of("each step must be {operation, parameters?}");
      }
    }
    if (p.containsKey("queue") && !(p.get("queue") instanceof Boolean)) return Optional.of("queue must be true or false");
    if (p.containsKey("priority") && Priority.fromWireName(String.valueOf(p.get("priority"))).isEmpty()) {
      return Optional.of("priority must be one of urgent, normal, low");
    }
    Set<String> known = Set.of("kind", "device_id", "steps", "queue", "priority");
    return p.keySet().stream().filter(k -> !known.contains(k)).findFirst().map(k -> "a workflow action takes no '" + k + "'");
  }

  @Override
  @SuppressWarnings("unchecked")
  public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
    Map<String, Object> p = action.parameters();
    String deviceId = (String) p.get("device_id");
    String priority = String.valueOf(p.getOrDefault("priority", "normal"));
    boolean queue = (Boolean) p.getOrDefault("queue", true);
    List<Workflow.Step> steps = new ArrayList<>();
    for (Object step : (List<Object>) p.get("steps")) {
      Map<String, Object> m = (Map<String, Object>) step;
      steps.add(new Workflow.Step((String) m.get("operation"), (Map<String, Object>) m.getOrDefault("parameters", Map.of())));
    }
    String workflowId = workflowId(execution.executionId());
    Custody custody = new Custody("system", "admin", Instant.now(), "-", "lab-test:" + execution.executionId(), null);
    return devices.ask(deviceId, Device.Get::new).thenCompose(d -> {
      if (d instanceof Device.Rejected r) return done(LabTestAction.Outcome.failed("device " + deviceId + ": " + r.rejection().detail()));
      DeviceType type = ((Device.Snapshot) d).registration().type();
      Optional<String> unsupported = steps.stream().map(Workflow.Step::operation).filter(o -> !type.supports(o)).findFirst();
      if (unsupported.isPresent()) {
        return done(LabTestAction.Outcome.failed("'" + unsupported.get() + "' is not an operation of a " + type.wireName()));
      }
      String name = "lab test " + execution.labTestId() + " at " + execution.dueAt();
      // Create is refused when the workflow exists: that is an earlier attempt's, and it is used as it is.
      return workflows.ask(workflowId, r -> new Workflow.Create(name, deviceId, type.wireName(), List.of(), steps, priority, custody, null, r))
          .thenCompose(created -> created instanceof Workflow.Current
              ? CompletableFuture.<Workflow.Reply>completedFuture(created) : workflows.ask(workflowId, Workflow.Get::new))
          .thenCompose(reply -> {
            if (reply instanceof Workflow.Rejected r) return done(LabTestAction.Outcome.failed(r.rejection().detail()));
            Workflow.State w = ((Workflow.Current) reply).workflow();
            if (!w.status().equals(Workflow.CREATED)) {
              return done(LabTestAction.Outcome.succeeded("workflow " + workflowId + " is already " + w.status()));
            }
            return workflows.start(w, queue, priority, custody).thenApply(started -> started instanceof Workflow.Current c
                ? LabTestAction.Outcome.succeeded("workflow " + workflowId + " " + c.workflow().status() + " on " + deviceId)
                : LabTestAction.Outcome.failed("workflow " + workflowId + " not started: " + ((Workflow.Rejected) started).rejection().detail()));
          });
    });
  }

  static String workflowId(String executionId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(executionId.getBytes(StandardCharsets.UTF_8));
      return "WF-" + HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static CompletionStage<LabTestAction.Outcome> done(LabTestAction.Outcome outcome) {
    return CompletableFuture.completedFuture(outcome);
  }
}
