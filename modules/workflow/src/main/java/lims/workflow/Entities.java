package lims.workflow;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.device.Device;
import lims.kernel.Custody;
import lims.kernel.EntityAsker;
import lims.kernel.Rejection;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.TransitionTable;
import org.apache.pekko.Done;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entities the workflow context asks: its workflows, their devices, their specimens
 * (through sharding in a node, stand-ins in a unit test), and the two effects a workflow has
 * on the others, shared by the request path and the reactions.
 */
record Entities(EntityAsker<Workflow.Command, Workflow.Reply> workflows, EntityAsker<Device.Command, Device.Reply> devices,
    EntityAsker<Specimen.Command, Specimen.Reply> specimens) {

  private static final Logger log = LoggerFactory.getLogger(Entities.class);

  /** The device's part of a workflow stopping: release the booking, or leave the queue. Idempotent. */
  CompletionStage<Done> handOver(String deviceId, String workflowId, DeviceHandover handover, String by) {
    CompletionStage<Device.Reply> done = switch (handover) {
      case RELEASE -> devices.ask(deviceId, r -> new Device.Release(workflowId, by, r));
      case LEAVE_QUEUE -> devices.ask(deviceId, r -> new Device.CancelQueued(workflowId, by, r));
    };
    // Already released or no longer queued is what we wanted: done.
    return done.thenApply(reply -> Done.getInstance());
  }

  /** Moves every sample's specimen with an action; a specimen already past it (or not in the expected state) is left alone. */
  CompletionStage<Done> moveSpecimens(List<Workflow.Sample> samples, TransitionTable.Action action, SpecimenState expected, Custody custody) {
    CompletableFuture<?>[] moves = samples.stream()
        .map(s -> specimens.ask(s.specimenId(), r -> new Specimen.Transition(action.wireName(), Optional.of(expected), Map.of(),
                new Custody(custody.userId(), custody.role(), Instant.now(), custody.clientIp(), custody.requestId(), null), r))
            .thenAccept(reply -> {
              if (reply instanceof Specimen.Rejected rejected && rejected.rejection().kind() != Rejection.Kind.CONFLICT) {
                log.warn("specimen {} not moved by {}: {}", s.specimenId(), action.wireName(), rejected.rejection().detail());
              }
            })
            .toCompletableFuture())
        .toArray(CompletableFuture[]::new);
    return CompletableFuture.allOf(moves).thenApply(x -> Done.getInstance());
  }
}
