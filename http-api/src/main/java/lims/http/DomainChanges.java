package lims.http;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lims.analysis.Analysis;
import lims.device.Device;
import lims.device.Execution;
import lims.scheduling.LabTest;
import lims.security.UserAccount;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.workflow.Workflow;

/**
 * What a journal event means to a screen: one change of one entity, {@code {type, entity, id,
 * ...fields}}, with the fields a list or detail page needs to update the row without asking
 * again (docs/api.md, Live events, has the table). Built from the event alone, never from
 * the entity's state: each node's stream renders every event once, for all its clients. A
 * field is left out where the event alone cannot say it (a lab test's status after its last
 * execution depends on its dead letters): the client then reads the one entity again.
 * Events that mean nothing on a screen (a specimen's request to its analysis, which the
 * analysis's own event shows; a remote session's clean-up) give no change.
 */
final class DomainChanges {

  /** Kinds of entity in the stream; each is shown to the roles that may read it (EventRoutes.READ_ROUTES). */
  static final String DEVICE = "device";
  static final String EXECUTION = "execution";
  static final String SPECIMEN = "specimen";
  static final String WORKFLOW = "workflow";
  static final String LAB_TEST = "lab_test";
  static final String LAB_TEST_EXECUTION = "lab_test_execution";
  static final String DEAD_LETTER = "dead_letter";
  static final String ANALYSIS = "analysis";
  static final String USER = "user";

  /** The entity types whose events are read from the journal (the persistence id's prefix). */
  static final Set<String> ENTITY_TYPES = Set.of(Device.TYPE.name(), Specimen.TYPE.name(), Workflow.TYPE.name(), lims.scheduling.LabTestPartition.TYPE.name(),
      Analysis.TYPE.name(), UserAccount.TYPE.name());

  /** One change; {@code fields} holds type, entity and id first, then the change's own fields. */
  record Change(String entity, Map<String, Object> fields) {}

  private DomainChanges() {}

  /**
   * The changes a journal row holds: one for most events, one per lab-test event of a
   * partition's write (decision 0064). They share the row's ordering, the stream's id.
   */
  static List<Change> all(Object event) {
    if (event instanceof lims.scheduling.LabTestPartition.Batch batch) {
      return batch.events().stream().map(DomainChanges::of).flatMap(Optional::stream).toList();
    }
    return of(event).map(List::of).orElse(List.of());
  }

  static Optional<Change> of(Object event) {
    Change change = null;
    if (event instanceof Device.Event e) change = device(e);
    else if (event instanceof Specimen.Event e) change = specimen(e);
    else if (event instanceof Workflow.Event e) change = workflow(e);
    else if (event instanceof LabTest.Event e) change = labTest(e);
    else if (event instanceof Analysis.Event e) change = analysis(e);
    else if (event instanceof UserAccount.UserCreated e) {
      change = change(USER, "created", e.username()).with("roles", e.roles().stream().map(lims.kernel.Role::wireName).sorted().toList())
          .with("created_by", e.createdBy()).with("created_at", e.at()).done();
    }
    return Optional.ofNullable(change);
  }

  private static Change device(Device.Event event) {
    if (event instanceof Device.DeviceRegistered e) {
      return change(DEVICE, "registered", e.deviceId()).with("name", e.name()).with("device_type", e.type().wireName())
          .with("capabilities", e.capabilities()).with("status", lims.device.OperationalStatus.AVAILABLE.wireName()).with("queue_length", 0).done();
    }
    if (event instanceof Device.StatusChanged e) {
      return change(DEVICE, "status_changed", e.deviceId()).with("status", e.status().wireName()).with("at", e.at()).with("by", e.by())
          .with("interrupted_workflow_id", e.interrupted()).done();
    }
    if (event instanceof Device.BookingGranted e) {
      // from_queue: the queue is one shorter (queue_length_change -1).
      return change(DEVICE, "booked", e.deviceId()).with("holder_workflow_id", e.booking().workflowId())
          .with("booked_at", e.booking().bookedAt()).with("from_queue", e.fromQueue()).with("queue_length_change", e.fromQueue() ? -1 : 0)
          .with("by", e.by()).done();
    }
    if (event instanceof Device.RequestQueued e) {
      return change(DEVICE, "queued", e.deviceId()).with("workflow_id", e.entry().workflowId())
          .with("priority", e.entry().priority().wireName()).with("enqueued_at", e.entry().enqueuedAt()).with("queue_length_change", 1)
          .with("by", e.by()).done();
    }
    if (event instanceof Device.QueueEntryCancelled e) {
      return change(DEVICE, "queue_entry_cancelled", e.deviceId()).with("workflow_id", e.workflowId()).with("at", e.at())
          .with("queue_length_change", -1).with("by", e.by()).done();
    }
    if (event instanceof Device.BookingReleased e) {
      return change(DEVICE, "released", e.deviceId()).with("workflow_id", e.workflowId()).clear("holder_workflow_id")
          .clear("booked_at").with("at", e.at()).with("by", e.by()).done();
    }
    if (event instanceof Device.ChannelsDeclared e) {
      return change(DEVICE, "channels_declared", e.deviceId()).with("channels", e.channels().stream().map(c -> c.name()).toList())
          .with("by", e.by()).with("at", e.at()).done();
    }
    if (event instanceof Device.AlarmRaised e) { // a critical one is followed by its status_changed
      return change(DEVICE, "alarm_raised", e.deviceId()).with("alarm_id", e.alarmId()).with("channel", e.channel())
          .with("kind", e.kind().wireName()).with("severity", e.severity().wireName()).with("value", e.value())
          .with("threshold", e.threshold()).with("reading_at", e.readingAt()).with("raised_at", e.at()).done();
    }
    if (event instanceof Device.AlarmCleared e) {
      return change(DEVICE, "alarm_cleared", e.deviceId()).with("alarm_id", e.alarmId()).with("value", e.value())
          .with("cleared_at", e.at()).done();
    }
    if (event instanceof Device.AlarmAcknowledged e) {
      return change(DEVICE, "alarm_acknowledged", e.deviceId()).with("alarm_id", e.alarmId()).with("acknowledged_by", e.by())
          .with("comment", e.comment()).with("acknowledged_at", e.at()).done();
    }
    if (event instanceof Device.ExecutionStarted e) {
      Execution x = e.execution();
      return change(EXECUTION, "started", x.executionId()).with("device_id", x.deviceId()).with("workflow_id", x.workflowId())
          .with("operation", x.operation()).with("status", x.status()).with("started_at", x.startedAt()).done();
    }
    if (event instanceof Device.ExecutionFinished e) {
      return change(EXECUTION, "finished", e.executionId()).with("device_id", e.deviceId()).with("workflow_id", e.workflowId())
          .with("status", e.status()).with("finished_at", e.at()).done();
    }
    return null;
  }

  private static Change specimen(Specimen.Event event) {
    if (event instanceof Specimen.SpecimenRegistered e) {
      Specimen.Registration r = e.registration();
      return change(SPECIMEN, "registered", e.specimenId()).with("barcode", e.barcode()).with("state", SpecimenState.REGISTERED.name())
          .with("client_ref", r.clientRef()).with("specimen_type", r.type()).with("tests_requested", r.testsRequested())
          .with("priority", r.priority()).with("replaces", r.replacesSpecimenId()).with("by", e.custody().userId())
          .with("at", e.custody().at()).done();
    }
    if (event instanceof Specimen.SpecimenTransitioned e) {
      return change(SPECIMEN, "transitioned", e.specimenId()).with("action", e.action()).with("from", e.from().name())
          .with("state", e.to().name()).with("by", e.custody().userId()).with("role", e.custody().role()).with("at", e.custody().at())
          .with("reason", e.custody().reason()).done();
    }
    if (event instanceof Specimen.LocationSet e) {
      Map<String, Object> location = new LinkedHashMap<>();
      location.put("plate", e.plate());
      location.put("well", e.well());
      Builder located = change(SPECIMEN, "located", e.specimenId());
      if (e.plate() == null) located.clear("location");
      else located.with("location", location);
      return located.with("by", e.custody().userId()).with("at", e.custody().at()).done();
    }
    if (event instanceof Specimen.ReplacementRequested e) {
      return change(SPECIMEN, "replacement_requested", e.specimenId()).with("replacement_id", e.replacementId())
          .with("at", e.custody().at()).done();
    }
    return null; // AnalysisRequested and AnalysisCancellationRequested: the analysis's own events show them
  }

  private static Change workflow(Workflow.Event event) {
    if (event instanceof Workflow.WorkflowCreated e) {
      return change(WORKFLOW, "created", e.workflowId()).with("name", e.name()).with("status", Workflow.Status.CREATED.wireName())
          .with("device_id", e.deviceId()).with("priority", e.priority()).with("samples", e.samples().size())
          .with("steps", e.steps().size()).with("created_by", e.custody().userId()).with("at", e.custody().at()).done();
    }
    if (event instanceof Workflow.WorkflowQueued e) {
      return change(WORKFLOW, "queued", e.workflowId()).with("status", Workflow.Status.QUEUED.wireName()).with("priority", e.priority())
          .with("at", e.custody().at()).done();
    }
    if (event instanceof Workflow.WorkflowStarted e) {
      return change(WORKFLOW, "started", e.workflowId()).with("status", Workflow.Status.RUNNING.wireName()).with("device_id", e.deviceId())
          .with("booked_at", e.bookedAt()).done();
    }
    if (event instanceof Workflow.WorkflowCompleted e) {
      return change(WORKFLOW, "completed", e.workflowId()).with("status", Workflow.Status.COMPLETED.wireName())
          .with("finished_at", e.custody().at()).done();
    }
    if (event instanceof Workflow.WorkflowCancelled e) {
      return change(WORKFLOW, "cancelled", e.workflowId()).with("status", Workflow.Status.CANCELLED.wireName())
          .with("from_status", e.fromStatus()).with("finished_at", e.custody().at()).done();
    }
    if (event instanceof Workflow.WorkflowFailed e) {
      return change(WORKFLOW, "failed", e.workflowId()).with("status", Workflow.Status.FAILED.wireName()).with("reason", e.reason())
          .with("failed_step", e.failedStep()).with("finished_at", e.at()).done();
    }
    if (event instanceof Workflow.StepStarted e) {
      return change(WORKFLOW, "step_started", e.workflowId()).with("step", e.index()).with("operation", e.operation())
          .with("step_status", Workflow.StepRun.RUNNING).with("at", e.custody().at()).done();
    }
    if (event instanceof Workflow.StepExecuting e) {
      return change(WORKFLOW, "step_executing", e.workflowId()).with("step", e.index()).with("execution_id", e.executionId()).done();
    }
    if (event instanceof Workflow.StepEnded e) {
      return change(WORKFLOW, "step_ended", e.workflowId()).with("step", e.index()).with("step_status", e.status())
          .with("finished_at", e.at()).done();
    }
    if (event instanceof Workflow.StepReleased e) {
      return change(WORKFLOW, "step_released", e.workflowId()).with("step", e.index()).with("step_status", Workflow.StepRun.PENDING).done();
    }
    return null;
  }

  private static Change labTest(LabTest.Event event) {
    if (event instanceof LabTest.LabTestCreated e) {
      return definition(change(LAB_TEST, "created", e.labTestId()), e.definition())
          .with("status", (e.nextFireAt() != null ? LabTest.Status.SCHEDULED : LabTest.Status.COMPLETED).wireName())
          .with("next_fire_at", e.nextFireAt()).with("created_by", e.by()).with("at", e.at()).done();
    }
    if (event instanceof LabTest.LabTestEdited e) { // a paused test stays paused: no status
      return definition(change(LAB_TEST, "edited", e.labTestId()), e.definition()).with("next_fire_at", e.nextFireAt())
          .with("by", e.by()).with("at", e.at()).done();
    }
    if (event instanceof LabTest.LabTestDeleted e) {
      return change(LAB_TEST, "deleted", e.labTestId()).with("status", LabTest.Status.DELETED.wireName()).clear("next_fire_at")
          .with("by", e.by()).with("at", e.at()).done();
    }
    if (event instanceof LabTest.LabTestPaused e) {
      return change(LAB_TEST, "paused", e.labTestId()).with("status", LabTest.Status.PAUSED.wireName()).clear("next_fire_at")
          .with("by", e.by()).with("at", e.at()).done();
    }
    if (event instanceof LabTest.LabTestResumed e) {
      return settled(change(LAB_TEST, "resumed", e.labTestId()), e.nextFireAt()).with("by", e.by()).with("at", e.at()).done();
    }
    if (event instanceof LabTest.ExecutionStarted e) {
      return change(LAB_TEST_EXECUTION, "started", e.executionId()).with("lab_test_id", e.labTestId()).with("due_at", e.dueAt())
          .with("attempt", e.attempt()).with("started_at", e.startedAt()).with("status", "started").with("fired_by", e.trigger())
          .with("lab_test_status", LabTest.Status.RUNNING.wireName()).done();
    }
    if (event instanceof LabTest.ExecutionSucceeded e) {
      return ended(change(LAB_TEST_EXECUTION, "succeeded", e.executionId()), e.labTestId(), e.dueAt(), e.attempt(), e.actionStartedAt(),
          e.finishedAt(), e.lateness(), "succeeded", e.log())
          .with("next_fire_at", e.nextFireAt()).with("lab_test_status", nextStatus(e.nextFireAt())).done();
    }
    if (event instanceof LabTest.ExecutionFailed e) {
      return ended(change(LAB_TEST_EXECUTION, "failed", e.executionId()), e.labTestId(), e.dueAt(), e.attempt(), e.actionStartedAt(),
          e.finishedAt(), e.lateness(), e.retryAt() == null ? "failed" : "retrying", e.log()).with("retry_at", e.retryAt()).done();
    }
    if (event instanceof LabTest.ExecutionDeadLettered e) {
      return change(DEAD_LETTER, "created", e.executionId()).with("lab_test_id", e.labTestId()).with("due_at", e.dueAt())
          .with("attempts", e.attempts()).with("error", e.error()).with("dead_lettered_at", e.at()).with("next_fire_at", e.nextFireAt())
          .with("lab_test_status", nextStatus(e.nextFireAt())).done();
    }
    if (event instanceof LabTest.MisfireSkipped e) {
      return settled(change(LAB_TEST, "rescheduled", e.labTestId()), e.nextFireAt()).with("at", e.at()).done();
    }
    if (event instanceof LabTest.InstantsMissed e) {
      return settled(change(LAB_TEST, "rescheduled", e.labTestId()), e.nextFireAt()).with("at", e.at()).done();
    }
    return null;
  }

  private static Change analysis(Analysis.Event event) {
    if (event instanceof Analysis.AnalysisRequested e) {
      return change(ANALYSIS, "requested", e.analysisId()).with("specimen_id", e.specimenId()).with("pipeline", e.pipeline())
          .with("state", Analysis.Status.DISPATCHING.wireName()).with("requested_at", e.requestedAt()).with("deadline", e.deadline()).done();
    }
    if (event instanceof Analysis.DispatchAttemptFailed e) {
      return change(ANALYSIS, "dispatch_attempt_failed", e.analysisId()).with("dispatch_attempts", e.attempt()).with("reason", e.reason())
          .with("at", e.at()).done();
    }
    if (event instanceof Analysis.AnalysisDispatched e) {
      return change(ANALYSIS, "dispatched", e.analysisId()).with("state", Analysis.Status.RUNNING.wireName())
          .with("dispatch_attempts", e.attempt()).with("dispatched_at", e.at()).done();
    }
    Optional<Analysis.Ending> ending = Analysis.ending(event);
    if (event instanceof Analysis.ResultRecorded e) {
      Builder result = change(ANALYSIS, "result_recorded", e.analysisId()).with("specimen_id", e.specimenId())
          .with("result_status", e.status()).with("result_counted", e.counted());
      return ending.map(end -> ended(result, end)).orElse(result).done();
    }
    if (ending.isPresent()) {
      Analysis.Ending end = ending.get();
      return ended(change(ANALYSIS, end.state().wireName(), event.analysisId()).with("specimen_id", end.specimenId()), end).done();
    }
    return null; // RemoteSessionEnded, SessionStartedAfterEnd: the clean-up of a run already ended
  }

  private static Builder ended(Builder change, Analysis.Ending end) {
    return change.with("state", end.state().wireName()).with("failure_reason", end.reason()).with("finished_at", end.at());
  }

  private static Builder definition(Builder change, LabTest.Definition d) {
    Map<String, Object> schedule = new LinkedHashMap<>();
    if (d.schedule().recurring()) {
      schedule.put("cron", d.schedule().cron());
      schedule.put("timezone", d.schedule().timezone());
    } else {
      schedule.put("at", d.schedule().at());
    }
    schedule.put("description", d.schedule().describe()); // the words every answer gives (decision 0050), so a list needs no read
    // The test's type as lab_test_type (as a device's is device_type): "type" names the change itself.
    return change.with("title", d.title()).with("lab_test_type", d.type()).with("experiment", d.experiment()).with("recipients", d.recipients())
        .with("schedule", schedule).with("action_kind", d.action().kind());
  }

  /** A test with a next instant is scheduled; without one its status depends on its dead letters: left out. */
  private static Builder settled(Builder change, Instant next) {
    return change.with("next_fire_at", next).with("status", nextStatus(next));
  }

  private static String nextStatus(Instant next) {
    return next == null ? null : LabTest.Status.SCHEDULED.wireName();
  }

  private static Builder ended(Builder change, String labTestId, Instant dueAt, int attempt, Instant startedAt, Instant finishedAt,
      Duration lateness, String status, java.util.List<String> log) {
    return change.with("lab_test_id", labTestId).with("due_at", dueAt).with("attempt", attempt).with("started_at", startedAt)
        .with("finished_at", finishedAt).with("lateness_ms", lateness.toMillis()).with("status", status).with("log", log);
  }

  private static Builder change(String entity, String what, String id) {
    return new Builder(entity, entity + "." + what, id);
  }

  /** Fields in the order they are added; a null value is left out (the client keeps what it has), a cleared one is sent as null. */
  private static final class Builder {
    private static final java.util.Set<String> RESERVED = java.util.Set.of("type", "entity", "id");
    private final String entity;
    private final Map<String, Object> fields = new LinkedHashMap<>();

    Builder(String entity, String type, String id) {
      this.entity = entity;
      fields.put("type", type);
      fields.put("entity", entity);
      fields.put("id", id);
    }

    /** type, entity and id say what changed: a field of the same name would overwrite them (as a specimen's type once did). */
    Builder with(String name, Object value) {
      if (RESERVED.contains(name)) throw new IllegalArgumentException(name + " is the change's own member, not a field");
      if (value != null) fields.put(name, value);
      return this;
    }

    Builder clear(String name) {
      fields.put(name, null);
      return this;
    }

    Change done() {
      return new Change(entity, fields);
    }
  }
}
