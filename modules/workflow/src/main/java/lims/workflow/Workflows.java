package lims.workflow;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lims.device.Device;
import lims.device.DeviceType;
import lims.device.Devices;
import lims.device.Priority;
import lims.kernel.Asked;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import lims.specimen.Barcodes;
import lims.specimen.Specimen;
import lims.specimen.Specimens;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * The workflow context's entry point: every caller (the HTTP routes, a lab test's workflow
 * action) creates, starts, steps, completes and cancels workflows here, and nowhere else.
 * Effects on other entities are delivered at least once by reactions, so a node dying halfway
 * loses none of them: the device's grants, step ends and alarms reach the workflow
 * ({@link DeviceEventDelivery}, {@code workflow-grants}), and a started, completed, failed or
 * cancelled workflow moves its specimens and hands its device over
 * ({@link WorkflowEffectDelivery}, {@code workflow-effects}). The request path does the same
 * work first, so a caller sees the result at once.
 */
public final class Workflows {

  /** How a request ended: the workflow as it is now, or why not. */
  public sealed interface Outcome {}

  public record Done(Workflow.State workflow) implements Outcome {}

  /** Refused by the workflow or by another entity (its device, say): the entity's own words. */
  public record Refused(Rejection rejection) implements Outcome, lims.kernel.Refused {}

  /** Fields of the request at fault. */
  public record Invalid(List<WorkflowSpec.Problem> problems) implements Outcome {}

  /** How running the next step ended. */
  public sealed interface StepOutcome {}

  /** The step ran and ended within the wait. */
  public record StepEnded(Workflow.StepRun step) implements StepOutcome {}

  /** The device runs the step still; it ends when the device reports it. */
  public record StepRunning(int index, String operation, String executionId) implements StepOutcome {}

  public record StepRefused(Rejection rejection) implements StepOutcome, lims.kernel.Refused {}

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final WorkflowReadModel readModel;
  private final Devices devices;
  private final Entities entities;

  public Workflows(ActorSystem<?> system, Devices devices, Specimens specimens, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.devices = devices;
    this.entities = new Entities(this::ask, devices::ask, specimens::ask);
    this.readModel = new WorkflowReadModel(ReadTable.of(system, WorkflowProjection.NAME, Workflow.TAGS));
    sharding.init(Entity.of(Workflow.TYPE, ctx -> Workflow.create(ctx.getEntityId())));
    Projections.<Workflow.Event>start(system, WorkflowProjection.NAME, Workflow.TAGS, tag -> new WorkflowProjection());
    // The reactions' names are their offsets' keys: renaming one would replay its whole journal.
    Projections.<Device.Event>startReaction(system, "workflow-grants", Device.TAGS, tag -> new DeviceEventDelivery(entities));
    Projections.<Workflow.Event>startReaction(system, "workflow-effects", Workflow.TAGS, tag -> new WorkflowEffectDelivery(entities));
  }

  public WorkflowReadModel readModel() {
    return readModel;
  }

  /** Only this context sends a workflow commands: callers go through the methods below. */
  CompletionStage<Workflow.Reply> ask(String workflowId, Function<ActorRef<Workflow.Reply>, Workflow.Command> command) {
    return Asked.ask(sharding.entityRefFor(Workflow.TYPE, workflowId), command, askTimeout);
  }

  public CompletionStage<Outcome> get(String workflowId) {
    return ask(workflowId, Workflow.Get::new).thenApply(Workflows::outcome);
  }

  /**
   * Creates workflow {@code workflowId} ({@link Workflow#newId}, or {@link Workflow#idForExecution}
   * for a lab test's execution) if the spec is valid: the device must exist, each step be an
   * operation of its type, each sample an existing specimen. A repeat with the creating
   * {@code idempotencyToken} is answered with the workflow it created; another create of an
   * existing id is refused (409).
   */
  public CompletionStage<Outcome> create(String workflowId, WorkflowSpec spec, Custody custody, String idempotencyToken) {
    List<WorkflowSpec.Problem> problems = spec.problems();
    if (!problems.isEmpty()) return done(new Invalid(problems));
    CompletionStage<Device.Reply> device = devices.ask(spec.deviceId(), Device.Get::new);
    List<CompletableFuture<Specimen.Reply>> samples = spec.sampleBarcodes().stream()
        .map(b -> entities.specimens().ask(Barcodes.specimenIdOf(b), Specimen.Get::new).toCompletableFuture()).toList();
    return device.thenCombine(CompletableFuture.allOf(samples.toArray(CompletableFuture[]::new)), (d, all) -> d).thenCompose(d -> {
      if (d instanceof Device.Rejected r) return done(new Refused(r.rejection()));
      DeviceType type = ((Device.Snapshot) d).registration().type();
      List<WorkflowSpec.Problem> unsupported = new ArrayList<>();
      for (int i = 0; i < spec.steps().size(); i++) {
        String operation = spec.steps().get(i).operation();
        if (!type.supports(operation)) {
          unsupported.add(new WorkflowSpec.Problem("steps[" + i + "]", "'" + operation + "' is not an operation of a " + type.wireName()));
        }
      }
      if (!unsupported.isEmpty()) return done(new Invalid(unsupported));
      List<String> unknown = new ArrayList<>();
      List<Workflow.Sample> found = new ArrayList<>();
      for (int i = 0; i < spec.sampleBarcodes().size(); i++) {
        String barcode = spec.sampleBarcodes().get(i);
        if (samples.get(i).join() instanceof Specimen.Rejected) unknown.add(barcode);
        else found.add(new Workflow.Sample(barcode, Barcodes.specimenIdOf(barcode)));
      }
      if (!unknown.isEmpty()) return done(new Refused(Rejection.notFound("unknown sample barcodes: " + unknown)));
      Workflow.Definition definition = new Workflow.Definition(spec.name(), spec.deviceId(), type.wireName(), found, spec.steps(), spec.priority());
      return ask(workflowId, r -> new Workflow.Create(definition, custody, idempotencyToken, r)).thenApply(Workflows::outcome);
    });
  }

  /**
   * Starts a created workflow: books its device, or with {@code queue} waits in the device's
   * queue (with the workflow's priority, or {@code priority}), and tells the workflow what the
   * device said. Only from {@code created} (else {@link Invalid} naming {@code status}); a
   * device held by another or not available, without {@code queue}, is the device's refusal.
   */
  public CompletionStage<Outcome> start(String workflowId, boolean queue, Optional<Priority> priority, Custody custody) {
    return ask(workflowId, Workflow.Get::new).thenCompose(reply -> {
      if (reply instanceof Workflow.Rejected r) return done(new Refused(r.rejection()));
      Workflow.State w = ((Workflow.Current) reply).workflow();
      if (w.status() != Workflow.Status.CREATED) {
        return done(new Invalid(List.of(new WorkflowSpec.Problem("status", "workflow " + workflowId + " is already " + w.status().wireName()))));
      }
      List<String> operations = w.steps().stream().map(Workflow.Step::operation).toList();
      Priority asked = priority.orElse(w.priority());
      CompletionStage<Device.Reply> booking = queue
          ? devices.ask(w.deviceId(), r -> new Device.Enqueue(workflowId, asked, operations, custody.userId(), r))
          : devices.ask(w.deviceId(), r -> new Device.Book(workflowId, operations, custody.userId(), r));
      return booking.thenCompose(answer -> {
        if (answer instanceof Device.Booked b) {
          return ask(workflowId, r -> new Workflow.Granted(b.booking().bookedAt(), custody, r)).thenApply(Workflows::outcome);
        }
        if (answer instanceof Device.Queued) {
          return ask(workflowId, r -> new Workflow.MarkQueued(asked, custody, r)).thenApply(Workflows::outcome);
        }
        return done(new Refused(((Device.Rejected) answer).rejection()));
      });
    });
  }

  /**
   * Runs the next step on the device: the workflow claims it (so concurrent callers can run
   * neither one step twice nor skip one), the device starts it, and the step ends with the
   * operation if it finishes within {@code wait}; else it ends when the device reports it
   * (through {@link DeviceEventDelivery}). A step the device refuses ran nothing: it is pending
   * again, and the refusal is the answer (decision 0015, amended).
   */
  public CompletionStage<StepOutcome> executeNextStep(String workflowId, Custody custody, Duration wait) {
    return ask(workflowId, r -> new Workflow.BeginStep(custody, r)).thenCompose(reply -> {
      if (reply instanceof Workflow.Rejected r) return done(new StepRefused(r.rejection()));
      Workflow.State w = ((Workflow.Current) reply).workflow();
      int index = w.runs().size() - 1;
      Workflow.Step step = w.steps().get(index);
      return devices.ask(w.deviceId(), r -> new Device.Execute(workflowId, step.operation(), step.parameters(), custody.userId(), r))
          .thenCompose(started -> {
            if (started instanceof Device.Rejected refused) {
              return ask(workflowId, r -> new Workflow.ReleaseStep(index, r)).thenApply(released -> new StepRefused(refused.rejection()));
            }
            String executionId = ((Device.ExecutionReply) started).execution().executionId();
            return ask(workflowId, r -> new Workflow.StepAccepted(index, executionId, r))
                .thenCompose(accepted -> devices.awaitExecution(w.deviceId(), executionId, wait))
                .thenCompose(finished -> {
                  if (finished.isEmpty()) return done(new StepRunning(index, step.operation(), executionId));
                  var x = finished.get();
                  return ask(workflowId, r -> new Workflow.EndStep(index, executionId, x.status(), x.result(), x.finishedAt(), r))
                      .thenApply(ended -> ended instanceof Workflow.Current c
                          ? new StepEnded(c.workflow().runs().get(index)) : new StepRefused(((Workflow.Rejected) ended).rejection()));
                });
          });
    });
  }

  /** Completes a running workflow whose steps have all run, and releases its device (the reaction repeats that after a crash). */
  public CompletionStage<Outcome> complete(String workflowId, Custody custody) {
    return ask(workflowId, r -> new Workflow.Complete(custody, r)).thenCompose(reply -> {
      if (reply instanceof Workflow.Rejected r) return done(new Refused(r.rejection()));
      Workflow.State w = ((Workflow.Current) reply).workflow();
      return entities.handOver(w.deviceId(), workflowId, DeviceHandover.RELEASE, custody.userId()).thenApply(x -> new Done(w));
    });
  }

  /** Cancels a created, queued or running workflow and hands its device over as {@link DeviceHandover#afterCancel} says. */
  public CompletionStage<Outcome> cancel(String workflowId, Custody custody) {
    return ask(workflowId, r -> new Workflow.Cancel(custody, r)).thenCompose(reply -> {
      if (reply instanceof Workflow.Rejected r) return done(new Refused(r.rejection()));
      Workflow.State w = ((Workflow.Current) reply).workflow();
      // Only a start granted by the device sets bookedAt, so it tells whether the workflow was running.
      DeviceHandover handover = DeviceHandover.afterCancel(w.bookedAt() != null);
      return entities.handOver(w.deviceId(), workflowId, handover, custody.userId()).thenApply(x -> new Done(w));
    });
  }

  private static Outcome outcome(Workflow.Reply reply) {
    return reply instanceof Workflow.Current c ? new Done(c.workflow()) : new Refused(((Workflow.Rejected) reply).rejection());
  }

  private static <T> CompletionStage<T> done(T outcome) {
    return CompletableFuture.completedFuture(outcome);
  }
}
