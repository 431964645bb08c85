package lims.workflow;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.device.Device;
import lims.kernel.Custody;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * The reaction {@code workflow-grants}: what a device's journal means for the workflows it
 * names. Every grant reaches the workflow it names (and a workflow cancelled or completed
 * meanwhile hands the device on at once), every finished execution reaches the step that
 * started it, and a device going offline under a workflow fails that workflow (decision 0030).
 * A holder not named like a workflow ({@link Workflow#ID}) booked on the device API with no
 * workflow behind it: its events ask nothing, as no entity would answer, and under load each
 * such ask waited out its time-out (decision 0041). An ask that times out (a workflow whose
 * node died, its shard not yet moved) fails this event, which is tried again, not skipped
 * (Projections.startReaction). Every command it sends is idempotent.
 */
public final class DeviceEventDelivery extends Handler<EventEnvelope<Device.Event>> {

  private final Entities entities;

  DeviceEventDelivery(Entities entities) {
    this.entities = entities;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Device.Event> envelope) {
    Device.Event event = envelope.event();
    if (event instanceof Device.ExecutionFinished finished && isWorkflow(finished.workflowId())) {
      return entities.workflows().ask(finished.workflowId(), r -> new Workflow.EndStep(null, finished.executionId(), finished.status(),
          finished.result(), finished.at(), r)).thenApply(reply -> Done.getInstance());
    }
    if (event instanceof Device.StatusChanged offline && isWorkflow(offline.interrupted())) {
      return entities.workflows().ask(offline.interrupted(), r -> new Workflow.Fail("device " + offline.deviceId() + " went offline",
          offline.at(), r)).thenApply(reply -> Done.getInstance());
    }
    if (event instanceof Device.BookingGranted grant && isWorkflow(grant.booking().workflowId())) {
      return deliver(grant);
    }
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  private CompletionStage<Done> deliver(Device.BookingGranted grant) {
    String workflowId = grant.booking().workflowId();
    Custody system = Custody.system(Instant.now(), "grant:" + grant.deviceId(), null);
    return entities.workflows().ask(workflowId, r -> new Workflow.Granted(grant.booking().bookedAt(), system, r)).thenCompose(reply -> {
      // Cancelled (or finished) while it waited in the queue: hand the device on at once.
      if (reply instanceof Workflow.Current c
          && (c.workflow().status() == Workflow.Status.CANCELLED || c.workflow().status() == Workflow.Status.COMPLETED)) {
        return entities.handOver(grant.deviceId(), workflowId, DeviceHandover.RELEASE, "system");
      }
      return CompletableFuture.completedFuture(Done.getInstance());
    });
  }

  /** Whether a device's holder is a workflow (else a booking made on the device API). */
  private static boolean isWorkflow(String holder) {
    return holder != null && Workflow.ID.matcher(holder).matches();
  }
}
