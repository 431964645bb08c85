package lims.workflow;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lims.device.Device;
import lims.device.Devices;
import lims.kernel.Asked;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.Specimens;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The workflow context's entry point. Effects on other entities are delivered at least
 * once by reactions, so a node dying halfway loses none of them:
 * the device's grant reaches the workflow ({@code workflow-grants}), and a started,
 * completed or cancelled workflow moves its specimens and releases or dequeues its
 * device ({@code workflow-effects}). Every handler is idempotent. The request path does
 * the same work first, so a caller sees the result at once.
 */
public final class Workflows {

  private static final Logger log = LoggerFactory.getLogger(Workflows.class);

  private final ClusterSharding sharding;
  private final Devices devices;
  private final Specimens specimens;
  private final Duration askTimeout;
  private final WorkflowReadModel readModel;

  public Workflows(ActorSystem<?> system, Devices devices, Specimens specimens, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.devices = devices;
    this.specimens = specimens;
    this.askTimeout = askTimeout;
    this.readModel = new WorkflowReadModel(ReadTable.of(system, WorkflowProjection.NAME, Workflow.TAGS));
    sharding.init(Entity.of(Workflow.TYPE, ctx -> Workflow.create(ctx.getEntityId())));
    Projections.<Workflow.Event>start(system, WorkflowProjection.NAME, Workflow.TAGS, tag -> new WorkflowProjection());
    Projections.<Device.Event>startReaction(system, "workflow-grants", Device.TAGS, tag -> new GrantDelivery());
    Projections.<Workflow.Event>startReaction(system, "workflow-effects", Workflow.TAGS, tag -> new WorkflowEffects());
  }

  public WorkflowReadModel readModel() {
    return readModel;
  }

  public CompletionStage<Workflow.Reply> ask(String workflowId, Function<ActorRef<Workflow.Reply>, Workflow.Command> command) {
    return Asked.ask(sharding.entityRefFor(Workflow.TYPE, workflowId), command, askTimeout);
  }

  /** Books the device (or queues, when asked) and tells the workflow what the device said. */
  public CompletionStage<Workflow.Reply> start(Workflow.State workflow, boolean queue, String priority, Custody custody) {
    List<String> operations = workflow.steps().stream().map(Workflow.Step::operation).toList();
    CompletionStage<Device.Reply> booking = queue
        ? devices.ask(workflow.deviceId(), r -> new Device.Enqueue(workflow.id(), lims.device.Priority.fromWireName(priority).orElseThrow(),
            operations, custody.userId(), r))
        : devices.ask(workflow.deviceId(), r -> new Device.Book(workflow.id(), operations, custody.userId(), r));
    return booking.thenCompose(reply -> {
      if (reply instanceof Device.Booked b) {
        return ask(workflow.id(), r -> new Workflow.Granted(b.booking().bookedAt(), custody, r));
      }
      if (reply instanceof Device.Queued) {
        return ask(workflow.id(), r -> new Workflow.MarkQueued(priority, custody, r));
      }
      return CompletableFuture.completedFuture(new Workflow.Rejected(((Device.Rejected) reply).rejection()));
    });
  }

  /** The device's part of completing or cancelling: release the booking, or leave the queue. Idempotent. */
  public CompletionStage<Done> freeDevice(String deviceId, String workflowId, boolean queued, String by) {
    CompletionStage<Device.Reply> done = queued
        ? devices.ask(deviceId, r -> new Device.CancelQueued(workflowId, by, r))
        : devices.ask(deviceId, r -> new Device.Release(workflowId, by, r));
    // Already released or no longer queued is what we wanted: done.
    return done.thenApply(reply -> Done.getInstance());
  }

  /** Moves every sample's specimen with an action; a specimen already past it (or not in the expected state) is left alone. */
  CompletionStage<Done> moveSpecimens(List<Workflow.Sample> samples, String action, SpecimenState expected, Custody custody) {
    CompletableFuture<?>[] moves = samples.stream()
        .map(s -> specimens.ask(s.specimenId(), r -> new Specimen.Transition(action, java.util.Optional.of(expected), java.util.Map.of(),
                new Custody(custody.userId(), custody.role(), Instant.now(), custody.clientIp(), custody.requestId(), null), r))
            .thenAccept(reply -> {
              if (reply instanceof Specimen.Rejected rejected && rejected.rejection().kind() != Rejection.Kind.CONFLICT) {
                log.warn("specimen {} not moved by {}: {}", s.specimenId(), action, rejected.rejection().detail());
              }
            })
            .toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(moves).thenApply(x -> Done.getInstance());
  }

  /**
   * Every grant a device persists reaches the workflow it names, every finished execution
   * reaches the step that started it, and a device going offline under a workflow fails that
   * workflow. A holder not named like a workflow ({@link Workflow#ID}) booked on the device API
   * with no workflow behind it: its events ask nothing, as no entity would answer, and under
   * load each such ask waited out its time-out (decision 0041). An ask that times out (a
   * workflow whose node died, its shard not yet moved) fails this event, which is tried
   * again, not skipped (Projections.startReaction).
   */
  private final class GrantDelivery extends Handler<EventEnvelope<Device.Event>> {
    @Override
    public CompletionStage<Done> process(EventEnvelope<Device.Event> envelope) {
      if (envelope.event() instanceof Device.ExecutionFinished finished && isWorkflow(finished.workflowId())) {
        return ask(finished.workflowId(), r -> new Workflow.EndStep(null, finished.executionId(), finished.status(), finished.result(),
            finished.at(), r)).thenApply(reply -> Done.getInstance());
      }
      if (envelope.event() instanceof Device.StatusChanged offline && isWorkflow(offline.interrupted())) {
        return ask(offline.interrupted(), r -> new Workflow.Fail("device " + offline.deviceId() + " went offline", offline.at(), r))
            .thenApply(reply -> Done.getInstance());
      }
      if (!(envelope.event() instanceof Device.BookingGranted grant) || !isWorkflow(grant.booking().workflowId())) {
        return CompletableFuture.completedFuture(Done.getInstance());
      }
      Custody system = new Custody("system", "admin", Instant.now(), "-", "grant:" + grant.deviceId(), null);
      return ask(grant.booking().workflowId(), r -> new Workflow.Granted(grant.booking().bookedAt(), system, r))
          .thenCompose(reply -> {
            // Cancelled (or finished) while it waited in the queue: hand the device on at once.
            if (reply instanceof Workflow.Current c && (c.workflow().status().equals(Workflow.CANCELLED)
                || c.workflow().status().equals(Workflow.COMPLETED))) {
              return freeDevice(grant.deviceId(), grant.booking().workflowId(), false, "system");
            }
            return CompletableFuture.completedFuture(Done.getInstance());
          });
    }
  }

  /** Whether a device's holder is a workflow (else a booking made on the device API). */
  private static boolean isWorkflow(String holder) {
    return holder != null && Workflow.ID.matcher(holder).matches();
  }

  /** What a workflow's changes mean for its specimens and its device. */
  private final class WorkflowEffects extends Handler<EventEnvelope<Workflow.Event>> {
    @Override
    public CompletionStage<Done> process(EventEnvelope<Workflow.Event> envelope) {
      Workflow.Event event = envelope.event();
      if (event instanceof Workflow.WorkflowStarted e) {
        return moveSpecimens(e.samples(), "start_experiment", SpecimenState.QC_PASSED, e.custody());
      }
      if (event instanceof Workflow.WorkflowCompleted e) {
        return freeDevice(e.deviceId(), e.workflowId(), false, e.custody().userId())
            .thenCompose(d -> moveSpecimens(e.samples(), "finish_experiment", SpecimenState.IN_EXPERIMENT, e.custody()));
      }
      if (event instanceof Workflow.WorkflowFailed e) {
        return freeDevice(e.deviceId(), e.workflowId(), false, "system");
      }
      if (event instanceof Workflow.WorkflowCancelled e) {
        // Cancelled while "created": its queued start may have reached the device before the
        // workflow heard of it, so it leaves the queue all the same (nothing, if it never joined).
        boolean queued = !e.fromStatus().equals(Workflow.RUNNING);
        return freeDevice(e.deviceId(), e.workflowId(), queued, e.custody().userId());
      }
      return CompletableFuture.completedFuture(Done.getInstance());
    }
  }
}
