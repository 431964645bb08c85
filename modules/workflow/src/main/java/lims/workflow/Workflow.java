package lims.workflow;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import lims.kernel.CborSerializable;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A workflow: steps to run on one device for some samples. Invariant: it runs only while
 * its device has granted it the booking, and every change is idempotent, because the
 * grant may be delivered more than once (directly, and again by the grant reaction).
 * States: created → (queued →) running → completed; also cancelled, and failed (its device
 * went offline while it held it: the running step fails with it, and the device is released).
 */
public final class Workflow extends ShardedEntity<Workflow.Command, Workflow.Event, Workflow.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "Workflow");
  public static final EventTags TAGS = new EventTags("workflow", 4);
  /**
   * A workflow's id: random ({@code POST /workflows}) or derived from a lab test's execution
   * (WorkflowAction), always this form. A device's holder named otherwise is a booking made on
   * the device API with no workflow behind it.
   */
  public static final Pattern ID = Pattern.compile("WF-[0-9a-f]{12}");

  public static final String CREATED = "created";
  public static final String QUEUED = "queued";
  public static final String RUNNING = "running";
  public static final String COMPLETED = "completed";
  public static final String CANCELLED = "cancelled";
  public static final String FAILED = "failed";

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Create, Get, MarkQueued, Granted, Complete, Cancel, BeginStep, StepAccepted, EndStep, Fail,
      ReleaseStep {
    ActorRef<Reply> replyTo();
  }

  public record Sample(String barcode, String specimenId) implements CborSerializable {}

  public record Step(String operation, Map<String, Object> parameters) implements CborSerializable {}

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key a client sent with the create, or
   * null; a repeat carrying the same token is answered with the workflow it created.
   */
  public record Create(String name, String deviceId, String deviceType, List<Sample> samples, List<Step> steps, String priority,
      Custody custody, String idempotencyToken, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** The device put the start request in its queue. */
  public record MarkQueued(String priority, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  /** The device granted this workflow its booking: from the start request, or from the grant reaction. */
  public record Granted(Instant bookedAt, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  public record Complete(Custody custody, ActorRef<Reply> replyTo) implements Command {}

  public record Cancel(Custody custody, ActorRef<Reply> replyTo) implements Command {}

  /** An alarm from its device (it went offline while this workflow held it). Idempotent. */
  public record Fail(String reason, Instant at, ActorRef<Reply> replyTo) implements Command {}

  /** Claim the next step: only one caller gets it, so steps are never skipped or repeated. */
  public record BeginStep(Custody custody, ActorRef<Reply> replyTo) implements Command {}

  /** The device accepted step {@code index} as execution {@code executionId}. */
  public record StepAccepted(int index, String executionId, ActorRef<Reply> replyTo) implements Command {}

  /** The device refused to start claimed step {@code index} (it ran nothing): the step is pending again. Idempotent. */
  public record ReleaseStep(int index, ActorRef<Reply> replyTo) implements Command {}

  /** A step ended; found by index, or by execution id when the device reports it later. Idempotent. */
  public record EndStep(Integer index, String executionId, String status, Map<String, Object> result, Instant at, ActorRef<Reply> replyTo)
      implements Command {}

  /** Progress of one step. */
  public record StepRun(int index, String operation, String status, String executionId, Instant startedAt, Instant finishedAt,
      Map<String, Object> result) implements CborSerializable {
    boolean running() {
      return "running".equals(status);
    }
  }

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  public record Current(State workflow) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  public sealed interface Event extends CborSerializable
      permits WorkflowCreated, WorkflowQueued, WorkflowStarted, WorkflowCompleted, WorkflowCancelled, WorkflowFailed, StepStarted, StepExecuting,
      StepEnded, StepReleased {}

  public record StepStarted(String workflowId, int index, String operation, Custody custody) implements Event {}

  public record StepExecuting(String workflowId, int index, String executionId) implements Event {}

  public record StepEnded(String workflowId, int index, String status, Map<String, Object> result, Instant at) implements Event {}

  /** A claimed step that never started on the device: pending again, to be run later (it was neither run nor skipped). */
  public record StepReleased(String workflowId, int index) implements Event {}

  public record WorkflowCreated(String workflowId, String name, String deviceId, String deviceType, List<Sample> samples, List<Step> steps,
      String priority, Custody custody, String idempotencyToken) implements Event {}

  public record WorkflowQueued(String workflowId, String priority, Custody custody) implements Event {}

  /** Started on the device's grant; {@code custody} is the one who asked to start it. */
  public record WorkflowStarted(String workflowId, String deviceId, Instant bookedAt, List<Sample> samples, Custody custody) implements Event {}

  public record WorkflowCompleted(String workflowId, String deviceId, List<Sample> samples, Custody custody) implements Event {}

  public record WorkflowCancelled(String workflowId, String deviceId, String fromStatus, Custody custody) implements Event {}

  /** {@code failedStep}: the step that was running, failed with the workflow; null if none was. */
  public record WorkflowFailed(String workflowId, String deviceId, String reason, Integer failedStep, Instant at) implements Event {}

  public record State(String id, String name, String deviceId, String deviceType, List<Sample> samples, List<Step> steps, String priority,
      String status, Instant bookedAt, Custody createdBy, Custody startRequestedBy, Instant finishedAt, List<StepRun> runs,
      String idempotencyToken) implements CborSerializable {

    public boolean exists() {
      return status != null;
    }

    State with(String newStatus, Instant booked, Custody starter, Instant finished) {
      return new State(id, name, deviceId, deviceType, samples, steps, priority, newStatus, booked, createdBy, starter, finished, runs,
          idempotencyToken);
    }

    State withRun(StepRun run) {
      List<StepRun> next = new java.util.ArrayList<>(runs);
      if (run.index() < next.size()) next.set(run.index(), run);
      else next.add(run);
      return new State(id, name, deviceId, deviceType, samples, steps, priority, status, bookedAt, createdBy, startRequestedBy, finishedAt,
          List.copyOf(next), idempotencyToken);
    }

    /** The step under way, if any: at most one runs at a time, and it is the last one claimed. */
    java.util.Optional<StepRun> runningStep() {
      return runs.stream().filter(StepRun::running).findFirst();
    }

    /** A step claimed but not yet accepted by the device (no execution id). */
    java.util.Optional<StepRun> unacceptedStep() {
      return runningStep().filter(r -> r.executionId() == null);
    }

    State withoutLastRun() {
      return new State(id, name, deviceId, deviceType, samples, steps, priority, status, bookedAt, createdBy, startRequestedBy, finishedAt,
          List.copyOf(runs.subList(0, runs.size() - 1)), idempotencyToken);
    }

    java.util.Optional<StepRun> run(Integer index, String executionId) {
      return runs.stream().filter(r -> (index != null && r.index() == index) || (executionId != null && executionId.equals(r.executionId())))
          .findFirst();
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String workflowId;

  private Workflow(String workflowId) {
    super(PersistenceId.of(TYPE.name(), workflowId));
    this.workflowId = workflowId;
  }

  public static Behavior<Command> create(String workflowId) {
    return new Workflow(workflowId);
  }

  @Override
  public State emptyState() {
    return new State(workflowId, null, null, null, List.of(), List.of(), null, null, null, null, null, null, List.of(), null);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(workflowId);
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> !s.exists())
        .onCommand(Create.class, (s, c) -> Effect()
            .persist(new WorkflowCreated(workflowId, c.name(), c.deviceId(), c.deviceType(), c.samples(), c.steps(), c.priority(), c.custody(),
                c.idempotencyToken()))
            .thenReply(c.replyTo(), Current::new))
        .onCommand(Command.class, (s, c) -> reject(c, Rejection.notFound("no workflow " + workflowId)));
    builder.forAnyState()
        .onCommand(Create.class, (s, c) -> c.idempotencyToken() != null && c.idempotencyToken().equals(s.idempotencyToken())
            ? Effect().reply(c.replyTo(), new Current(s)) : reject(c, Rejection.conflict("workflow " + workflowId + " already exists")))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(MarkQueued.class, this::markQueued)
        .onCommand(Granted.class, this::granted)
        .onCommand(Complete.class, this::complete)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(Fail.class, this::fail)
        .onCommand(BeginStep.class, this::beginStep)
        .onCommand(StepAccepted.class, (s, c) -> s.unacceptedStep().filter(r -> r.index() == c.index()).isPresent()
            ? Effect().persist(new StepExecuting(workflowId, c.index(), c.executionId())).thenReply(c.replyTo(), Current::new)
            : Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(EndStep.class, this::endStep)
        .onCommand(ReleaseStep.class, (s, c) -> {
          boolean claimedOnly = s.unacceptedStep().filter(r -> r.index() == c.index()).isPresent();
          return claimedOnly ? Effect().persist(new StepReleased(workflowId, c.index())).thenReply(c.replyTo(), Current::new)
              : Effect().reply(c.replyTo(), new Current(s));
        });
    return builder.build();
  }

  private ReplyEffect<Event, State> endStep(State s, EndStep c) {
    var run = s.run(c.index(), c.executionId()).filter(StepRun::running);
    if (run.isPresent()) {
      return Effect().persist(new StepEnded(workflowId, run.get().index(), c.status(), c.result(), c.at())).thenReply(c.replyTo(), Current::new);
    }
    boolean known = c.executionId() == null || s.runs().stream().anyMatch(r -> c.executionId().equals(r.executionId()));
    var unaccepted = s.unacceptedStep();
    if (known || unaccepted.isEmpty()) return Effect().reply(c.replyTo(), new Current(s)); // already ended: a repeat
    // The device reports an execution whose acceptance never reached this workflow (the node
    // stopped, or the ask timed out, in between). One step runs at a time, so it is the step
    // running without an execution id: record which execution it was, then its end.
    int index = unaccepted.get().index();
    return Effect().persist(List.of(new StepExecuting(workflowId, index, c.executionId()),
        new StepEnded(workflowId, index, c.status(), c.result(), c.at()))).thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> markQueued(State s, MarkQueued c) {
    if (!s.status().equals(CREATED)) return Effect().reply(c.replyTo(), new Current(s)); // repeat, or the grant came first
    return Effect().persist(new WorkflowQueued(workflowId, c.priority(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  /** Idempotent: a second delivery of the same grant changes nothing. */
  private ReplyEffect<Event, State> granted(State s, Granted c) {
    if (!(s.status().equals(CREATED) || s.status().equals(QUEUED))) {
      return Effect().reply(c.replyTo(), new Current(s));
    }
    Custody starter = s.startRequestedBy() != null ? s.startRequestedBy() : c.custody();
    return Effect()
        .persist(new WorkflowStarted(workflowId, s.deviceId(), c.bookedAt(), s.samples(), starter))
        .thenReply(c.replyTo(), Current::new);
  }

  /**
   * Only once every step has run and ended: steps cannot be skipped (docs/domain.md, Workflows),
   * and the device is not released mid-operation.
   */
  private ReplyEffect<Event, State> complete(State s, Complete c) {
    if (!s.status().equals(RUNNING)) {
      return reject(c, Rejection.invalid("workflow " + workflowId + " is " + s.status() + ", not running"));
    }
    if (s.runningStep().isPresent()) return reject(c, Rejection.invalid(stillRunning(s)));
    if (s.runs().size() < s.steps().size()) {
      return reject(c, Rejection.invalid("workflow " + workflowId + " has run " + s.runs().size() + " of its " + s.steps().size()
          + " steps; steps cannot be skipped"));
    }
    return Effect().persist(new WorkflowCompleted(workflowId, s.deviceId(), s.samples(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> cancel(State s, Cancel c) {
    if (s.status().equals(COMPLETED) || s.status().equals(CANCELLED) || s.status().equals(FAILED)) {
      return reject(c, Rejection.conflict("workflow " + workflowId + " is already " + s.status()));
    }
    return Effect().persist(new WorkflowCancelled(workflowId, s.deviceId(), s.status(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  /** Only a running workflow fails: one queued keeps its place, and an ended one stays as it ended. */
  private ReplyEffect<Event, State> fail(State s, Fail c) {
    if (!s.status().equals(RUNNING)) return Effect().reply(c.replyTo(), new Current(s));
    Integer step = s.runningStep().map(StepRun::index).orElse(null);
    return Effect().persist(new WorkflowFailed(workflowId, s.deviceId(), c.reason(), step, c.at())).thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> beginStep(State s, BeginStep c) {
    if (!s.status().equals(RUNNING)) {
      return reject(c, Rejection.invalid("workflow " + workflowId + " is " + s.status() + ", not running"));
    }
    if (s.runningStep().isPresent()) return reject(c, Rejection.conflict(stillRunning(s)));
    int next = s.runs().size();
    if (next >= s.steps().size()) {
      return reject(c, Rejection.invalid("workflow " + workflowId + " has no step left"));
    }
    return Effect().persist(new StepStarted(workflowId, next, s.steps().get(next).operation(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  private String stillRunning(State s) {
    return "step " + s.runningStep().orElseThrow().index() + " of workflow " + workflowId + " is still running";
  }

  private ReplyEffect<Event, State> reject(Command c, Rejection r) {
    return Effect().reply(c.replyTo(), new Rejected(r));
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(WorkflowCreated.class, (s, e) -> new State(workflowId, e.name(), e.deviceId(), e.deviceType(), e.samples(), e.steps(),
            e.priority(), CREATED, null, e.custody(), null, null, List.of(), e.idempotencyToken()))
        .onEvent(StepStarted.class, (s, e) -> s.withRun(new StepRun(e.index(), e.operation(), "running", null, e.custody().at(), null, null)))
        .onEvent(StepExecuting.class, (s, e) -> {
          StepRun r = s.runs().get(e.index());
          return s.withRun(new StepRun(r.index(), r.operation(), r.status(), e.executionId(), r.startedAt(), null, null));
        })
        .onEvent(StepEnded.class, (s, e) -> {
          StepRun r = s.runs().get(e.index());
          return s.withRun(new StepRun(r.index(), r.operation(), e.status(), r.executionId(), r.startedAt(), e.at(), e.result()));
        })
        .onEvent(StepReleased.class, (s, e) -> s.withoutLastRun())
        .onEvent(WorkflowQueued.class, (s, e) -> s.with(QUEUED, null, e.custody(), null))
        .onEvent(WorkflowStarted.class, (s, e) -> s.with(RUNNING, e.bookedAt(), e.custody(), null))
        .onEvent(WorkflowCompleted.class, (s, e) -> s.with(COMPLETED, s.bookedAt(), s.startRequestedBy(), e.custody().at()))
        .onEvent(WorkflowCancelled.class, (s, e) -> s.with(CANCELLED, s.bookedAt(), s.startRequestedBy(), e.custody().at()))
        .onEvent(WorkflowFailed.class, (s, e) -> {
          State failed = s.with(FAILED, s.bookedAt(), s.startRequestedBy(), e.at());
          if (e.failedStep() == null) return failed;
          StepRun r = s.runs().get(e.failedStep());
          return failed.withRun(new StepRun(r.index(), r.operation(), "failed", r.executionId(), r.startedAt(), e.at(), Map.of("error", e.reason())));
        })
        .build();
  }
}
