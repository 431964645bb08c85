package lims.workflow;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import lims.device.Priority;
import lims.kernel.CborSerializable;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.ShardedEntity;
import lims.kernel.WireNames;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A workflow: steps to run on one device for some samples. Invariant: it runs only while
 * its device has granted it the booking, and every change is idempotent, because the
 * grant may be delivered more than once (directly, and again by the device-event reaction).
 * Lifecycle ({@link Status}): created → (queued →) running → completed; also cancelled, and
 * failed (its device went offline while it held it: the running step fails with it, and the
 * device is released). The command handler reads one phase at a time: no workflow yet,
 * waiting for its device, running, ended.
 */
public final class Workflow extends ShardedEntity<Workflow.Command, Workflow.Event, Workflow.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "Workflow");
  public static final EventTags TAGS = new EventTags("workflow", 4);
  /**
   * A workflow's id, always this form: random ({@link #newId}) or derived from a lab test's
   * execution ({@link #idForExecution}). A device's holder named otherwise is a booking made on
   * the device API with no workflow behind it.
   */
  public static final Pattern ID = Pattern.compile("WF-[0-9a-f]{12}");

  /** A new id for a workflow created on request: 48 random bits. */
  public static String newId() {
    return "WF-" + HexFormat.of().formatHex(ByteBuffer.allocate(8).putLong(ThreadLocalRandom.current().nextLong()).array()).substring(0, 12);
  }

  /** The id of the workflow a lab test's execution creates: the same for every attempt, so a retried or resumed execution finds it. */
  public static String idForExecution(String executionId) {
    try {
      byte[] digest = MessageDigest.getInstance("SHA-256").digest(executionId.getBytes(StandardCharsets.UTF_8));
      return "WF-" + HexFormat.of().formatHex(digest).substring(0, 12);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** A workflow's status; the wire name is the constant's name in lower case. */
  public enum Status {
    CREATED,
    QUEUED,
    RUNNING,
    COMPLETED,
    CANCELLED,
    FAILED;

    public String wireName() {
      return WireNames.of(this);
    }

    public static Optional<Status> fromWireName(String name) {
      return WireNames.parse(Status.class, name);
    }

    /** Created or queued: the device has not granted it yet. */
    public boolean waitingForDevice() {
      return this == CREATED || this == QUEUED;
    }

    /** Completed, cancelled or failed: nothing moves it again. */
    public boolean ended() {
      return this == COMPLETED || this == CANCELLED || this == FAILED;
    }
  }

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Create, Get, MarkQueued, Granted, Complete, Cancel, BeginStep, StepAccepted, EndStep, Fail,
      ReleaseStep {
    ActorRef<Reply> replyTo();
  }

  public record Sample(String barcode, String specimenId) implements CborSerializable {}

  public record Step(String operation, Map<String, Object> parameters) implements CborSerializable {}

  /** What the workflow is, fixed at creation: checked by {@link Workflows#create} against its device and samples. */
  public record Definition(String name, String deviceId, String deviceType, List<Sample> samples, List<Step> steps, Priority priority)
      implements CborSerializable {}

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key a client sent with the create (or
   * of the lab-test execution that creates it), or null; a repeat carrying the same token is
   * answered with the workflow it created.
   */
  public record Create(Definition definition, Custody custody, String idempotencyToken, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /** The device put the start request in its queue. */
  public record MarkQueued(Priority priority, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  /** The device granted this workflow its booking: from the start request, or from the device-event reaction. */
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

  /** Progress of one step; {@code status} is a wire name: running, succeeded or failed (a step not claimed yet is pending). */
  public record StepRun(int index, String operation, String status, String executionId, Instant startedAt, Instant finishedAt,
      Map<String, Object> result) implements CborSerializable {

    public static final String PENDING = "pending";
    public static final String RUNNING = "running";
    public static final String FAILED = "failed";

    boolean running() {
      return RUNNING.equals(status);
    }
  }

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  public record Current(State workflow) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply {}

  /** Stored events keep statuses and priorities as wire names, as they were first written. */
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

  /**
   * A workflow as it is: its definition (null before it is created), status, who created and
   * who started it, and its step runs in order. Pure: each transition returns a new state.
   */
  public record State(String id, Definition definition, Status status, Instant bookedAt, Custody createdBy, Custody startRequestedBy,
      Instant finishedAt, List<StepRun> runs, String idempotencyToken) implements CborSerializable {

    static State none(String id) {
      return new State(id, null, null, null, null, null, null, List.of(), null);
    }

    public boolean exists() {
      return status != null;
    }

    public String name() {
      return definition.name();
    }

    public String deviceId() {
      return definition.deviceId();
    }

    public List<Sample> samples() {
      return definition.samples();
    }

    public List<Step> steps() {
      return definition.steps();
    }

    public Priority priority() {
      return definition.priority();
    }

    // --- transitions, one per event ---

    static State created(WorkflowCreated e) {
      // Every stored priority is a wire name; one missing would be the default.
      Priority priority = Priority.fromWireName(e.priority()).orElse(Priority.NORMAL);
      Definition d = new Definition(e.name(), e.deviceId(), e.deviceType(), e.samples(), e.steps(), priority);
      return new State(e.workflowId(), d, Status.CREATED, null, e.custody(), null, null, List.of(), e.idempotencyToken());
    }

    State queued(Custody starter) {
      return new State(id, definition, Status.QUEUED, null, createdBy, starter, null, runs, idempotencyToken);
    }

    State started(Instant booked, Custody starter) {
      return new State(id, definition, Status.RUNNING, booked, createdBy, starter, null, runs, idempotencyToken);
    }

    /** Completed or cancelled at {@code at}. */
    State ended(Status end, Instant at) {
      return new State(id, definition, end, bookedAt, createdBy, startRequestedBy, at, runs, idempotencyToken);
    }

    /** Failed at {@code at}, with its running step {@code step} (if any) failed alongside. */
    State failed(Instant at, Integer step, String reason) {
      State failed = ended(Status.FAILED, at);
      if (step == null) return failed;
      StepRun r = runs.get(step);
      return failed.withRun(new StepRun(r.index(), r.operation(), StepRun.FAILED, r.executionId(), r.startedAt(), at, Map.of("error", reason)));
    }

    State stepClaimed(int index, String operation, Instant at) {
      return withRun(new StepRun(index, operation, StepRun.RUNNING, null, at, null, null));
    }

    State stepAccepted(int index, String executionId) {
      StepRun r = runs.get(index);
      return withRun(new StepRun(r.index(), r.operation(), r.status(), executionId, r.startedAt(), null, null));
    }

    State stepEnded(int index, String outcome, Map<String, Object> result, Instant at) {
      StepRun r = runs.get(index);
      return withRun(new StepRun(r.index(), r.operation(), outcome, r.executionId(), r.startedAt(), at, result));
    }

    /** The last claimed step is pending again. */
    State stepReleased() {
      return new State(id, definition, status, bookedAt, createdBy, startRequestedBy, finishedAt, List.copyOf(runs.subList(0, runs.size() - 1)),
          idempotencyToken);
    }

    private State withRun(StepRun run) {
      List<StepRun> next = new ArrayList<>(runs);
      if (run.index() < next.size()) next.set(run.index(), run);
      else next.add(run);
      return new State(id, definition, status, bookedAt, createdBy, startRequestedBy, finishedAt, List.copyOf(next), idempotencyToken);
    }

    // --- questions ---

    /** The step under way, if any: at most one runs at a time, and it is the last one claimed. */
    Optional<StepRun> runningStep() {
      return runs.stream().filter(StepRun::running).findFirst();
    }

    /** A step claimed but not yet accepted by the device (no execution id). */
    Optional<StepRun> unacceptedStep() {
      return runningStep().filter(r -> r.executionId() == null);
    }

    Optional<StepRun> run(Integer index, String executionId) {
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
    return State.none(workflowId);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(workflowId);
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    var builder = newCommandHandlerWithReplyBuilder();
    // No workflow yet: it can only be created.
    builder.forState(s -> !s.exists())
        .onCommand(Create.class, this::create)
        .onCommand(Command.class, (s, c) -> reject(c, Rejection.notFound("no workflow " + workflowId)));
    // Created or queued: waiting for its device, whose answer moves it on. An alarm does not
    // concern it (a queued workflow keeps its place).
    builder.forState(s -> s.status().waitingForDevice())
        .onCommand(MarkQueued.class, this::markQueued)
        .onCommand(Granted.class, this::granted)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(Fail.class, this::unchanged)
        .onCommand(BeginStep.class, this::notRunning)
        .onCommand(Complete.class, this::notRunning);
    // Running: its steps one at a time, then complete; or cancelled, or failed by an alarm.
    // A repeated grant or queue report changes nothing.
    builder.forState(s -> s.status() == Status.RUNNING)
        .onCommand(BeginStep.class, this::beginStep)
        .onCommand(Complete.class, this::complete)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(Fail.class, this::fail)
        .onCommand(Granted.class, this::unchanged)
        .onCommand(MarkQueued.class, this::unchanged);
    // Completed, cancelled or failed: it stays as it ended.
    builder.forState(s -> s.status().ended())
        .onCommand(Cancel.class, (s, c) -> reject(c, Rejection.conflict("workflow " + workflowId + " is already " + s.status().wireName())))
        .onCommand(Complete.class, this::notRunning)
        .onCommand(BeginStep.class, this::notRunning)
        .onCommand(Fail.class, this::unchanged)
        .onCommand(Granted.class, this::unchanged)
        .onCommand(MarkQueued.class, this::unchanged);
    // Whatever its status: reads, a repeated create, and the device's reports on a claimed
    // step (a step of a workflow cancelled while it ran still ends as its operation ends).
    builder.forAnyState()
        .onCommand(Create.class, (s, c) -> c.idempotencyToken() != null && c.idempotencyToken().equals(s.idempotencyToken())
            ? Effect().reply(c.replyTo(), new Current(s)) : reject(c, Rejection.conflict("workflow " + workflowId + " already exists")))
        .onCommand(Get.class, this::unchanged)
        .onCommand(StepAccepted.class, this::stepAccepted)
        .onCommand(ReleaseStep.class, this::releaseStep)
        .onCommand(EndStep.class, this::endStep);
    return builder.build();
  }

  // --- no workflow yet ---

  private ReplyEffect<Event, State> create(State s, Create c) {
    Definition d = c.definition();
    return Effect()
        .persist(new WorkflowCreated(workflowId, d.name(), d.deviceId(), d.deviceType(), d.samples(), d.steps(), d.priority().wireName(),
            c.custody(), c.idempotencyToken()))
        .thenReply(c.replyTo(), Current::new);
  }

  // --- waiting for its device ---

  private ReplyEffect<Event, State> markQueued(State s, MarkQueued c) {
    if (s.status() != Status.CREATED) return unchanged(s, c); // a repeat, or the grant came first
    return Effect().persist(new WorkflowQueued(workflowId, c.priority().wireName(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  /** Idempotent: once running, a second delivery of the same grant changes nothing. */
  private ReplyEffect<Event, State> granted(State s, Granted c) {
    Custody starter = s.startRequestedBy() != null ? s.startRequestedBy() : c.custody();
    return Effect()
        .persist(new WorkflowStarted(workflowId, s.deviceId(), c.bookedAt(), s.samples(), starter))
        .thenReply(c.replyTo(), Current::new);
  }

  /** From created, queued or running; what the device does about it is {@link DeviceHandover#afterCancel}. */
  private ReplyEffect<Event, State> cancel(State s, Cancel c) {
    return Effect().persist(new WorkflowCancelled(workflowId, s.deviceId(), s.status().wireName(), c.custody()))
        .thenReply(c.replyTo(), Current::new);
  }

  // --- running ---

  private ReplyEffect<Event, State> beginStep(State s, BeginStep c) {
    if (s.runningStep().isPresent()) return reject(c, Rejection.conflict(stillRunning(s)));
    int next = s.runs().size();
    if (next >= s.steps().size()) {
      return reject(c, Rejection.invalid("workflow " + workflowId + " has no step left"));
    }
    return Effect().persist(new StepStarted(workflowId, next, s.steps().get(next).operation(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  /**
   * Only once every step has run and ended: steps cannot be skipped (docs/domain.md, Workflows),
   * and the device is not released mid-operation.
   */
  private ReplyEffect<Event, State> complete(State s, Complete c) {
    if (s.runningStep().isPresent()) return reject(c, Rejection.invalid(stillRunning(s)));
    if (s.runs().size() < s.steps().size()) {
      return reject(c, Rejection.invalid("workflow " + workflowId + " has run " + s.runs().size() + " of its " + s.steps().size()
          + " steps; steps cannot be skipped"));
    }
    return Effect().persist(new WorkflowCompleted(workflowId, s.deviceId(), s.samples(), c.custody())).thenReply(c.replyTo(), Current::new);
  }

  /** The alarm fails the workflow and the step it was running. */
  private ReplyEffect<Event, State> fail(State s, Fail c) {
    Integer step = s.runningStep().map(StepRun::index).orElse(null);
    return Effect().persist(new WorkflowFailed(workflowId, s.deviceId(), c.reason(), step, c.at())).thenReply(c.replyTo(), Current::new);
  }

  // --- the device's reports on a claimed step, in any status ---

  private ReplyEffect<Event, State> stepAccepted(State s, StepAccepted c) {
    if (s.unacceptedStep().filter(r -> r.index() == c.index()).isEmpty()) return unchanged(s, c);
    return Effect().persist(new StepExecuting(workflowId, c.index(), c.executionId())).thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> releaseStep(State s, ReleaseStep c) {
    if (s.unacceptedStep().filter(r -> r.index() == c.index()).isEmpty()) return unchanged(s, c);
    return Effect().persist(new StepReleased(workflowId, c.index())).thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> endStep(State s, EndStep c) {
    var run = s.run(c.index(), c.executionId()).filter(StepRun::running);
    if (run.isPresent()) {
      return Effect().persist(new StepEnded(workflowId, run.get().index(), c.status(), c.result(), c.at())).thenReply(c.replyTo(), Current::new);
    }
    boolean known = c.executionId() == null || s.runs().stream().anyMatch(r -> c.executionId().equals(r.executionId()));
    var unaccepted = s.unacceptedStep();
    if (known || unaccepted.isEmpty()) return unchanged(s, c); // already ended: a repeat
    // The device reports an execution whose acceptance never reached this workflow (the node
    // stopped, or the ask timed out, in between). One step runs at a time, so it is the step
    // running without an execution id: record which execution it was, then its end.
    int index = unaccepted.get().index();
    return Effect().persist(List.of(new StepExecuting(workflowId, index, c.executionId()),
        new StepEnded(workflowId, index, c.status(), c.result(), c.at()))).thenReply(c.replyTo(), Current::new);
  }

  // --- answers ---

  private ReplyEffect<Event, State> unchanged(State s, Command c) {
    return Effect().reply(c.replyTo(), new Current(s));
  }

  private ReplyEffect<Event, State> notRunning(State s, Command c) {
    return reject(c, Rejection.invalid("workflow " + workflowId + " is " + s.status().wireName() + ", not running"));
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
        .onEvent(WorkflowCreated.class, (s, e) -> State.created(e))
        .onEvent(WorkflowQueued.class, (s, e) -> s.queued(e.custody()))
        .onEvent(WorkflowStarted.class, (s, e) -> s.started(e.bookedAt(), e.custody()))
        .onEvent(WorkflowCompleted.class, (s, e) -> s.ended(Status.COMPLETED, e.custody().at()))
        .onEvent(WorkflowCancelled.class, (s, e) -> s.ended(Status.CANCELLED, e.custody().at()))
        .onEvent(WorkflowFailed.class, (s, e) -> s.failed(e.at(), e.failedStep(), e.reason()))
        .onEvent(StepStarted.class, (s, e) -> s.stepClaimed(e.index(), e.operation(), e.custody().at()))
        .onEvent(StepExecuting.class, (s, e) -> s.stepAccepted(e.index(), e.executionId()))
        .onEvent(StepEnded.class, (s, e) -> s.stepEnded(e.index(), e.status(), e.result(), e.at()))
        .onEvent(StepReleased.class, (s, e) -> s.stepReleased())
        .build();
  }
}
