package lims.workflow;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.specimen.SpecimenState;
import lims.specimen.TransitionTable;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * The reaction {@code workflow-effects}: what a workflow's changes mean for its specimens and
 * its device. Started moves the specimens with {@code start_experiment}; completed releases the
 * device, then moves them with {@code finish_experiment}; failed releases the device; cancelled
 * hands the device over as {@link DeviceHandover#afterCancel} says. The request path does the
 * same first, so a caller sees it at once; this repeats it after a crash (decision 0015), and
 * every step is idempotent.
 */
public final class WorkflowEffectDelivery extends Handler<EventEnvelope<Workflow.Event>> {

  private final Entities entities;

  WorkflowEffectDelivery(Entities entities) {
    this.entities = entities;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Workflow.Event> envelope) {
    Workflow.Event event = envelope.event();
    if (event instanceof Workflow.WorkflowStarted e) {
      return entities.moveSpecimens(e.samples(), TransitionTable.Action.START_EXPERIMENT, SpecimenState.QC_PASSED, e.custody());
    }
    if (event instanceof Workflow.WorkflowCompleted e) {
      return entities.handOver(e.deviceId(), e.workflowId(), DeviceHandover.RELEASE, e.custody().userId())
          .thenCompose(d -> entities.moveSpecimens(e.samples(), TransitionTable.Action.FINISH_EXPERIMENT, SpecimenState.IN_EXPERIMENT, e.custody()));
    }
    if (event instanceof Workflow.WorkflowFailed e) {
      return entities.handOver(e.deviceId(), e.workflowId(), DeviceHandover.RELEASE, "system");
    }
    if (event instanceof Workflow.WorkflowCancelled e) {
      boolean wasRunning = e.fromStatus().equals(Workflow.Status.RUNNING.wireName());
      return entities.handOver(e.deviceId(), e.workflowId(), DeviceHandover.afterCancel(wasRunning), e.custody().userId());
    }
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
