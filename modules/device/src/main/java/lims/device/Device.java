package lims.device;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import lims.device.telemetry.Alarm;
import lims.device.telemetry.AlarmKind;
import lims.device.telemetry.Channel;
import lims.device.telemetry.DeviceTelemetry;
import lims.kernel.CborSerializable;
import lims.kernel.Rejection;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A lab instrument. Invariant: at most one active booking, ever. Commands to one device
 * are handled one at a time, so a second booker is refused without any database lock; a
 * release and the grant of the next queued request are persisted as one atomic write, so
 * no crash can leave the device free while someone waits, or held twice.
 */
public final class Device extends ShardedEntity<Device.Command, Device.Event, DeviceState> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "Device");
  public static final EventTags TAGS = new EventTags("device", 4);

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Request, DriverFinished, AbandonInterrupted {}

  /** A command from outside, which always gets a reply. */
  public sealed interface Request extends Command
      permits Register, Get, SetStatus, Book, Enqueue, Release, CancelQueued, Execute, AwaitExecution, GetExecution,
          DeclareChannels, GetTelemetry, RaiseAlarm, ClearAlarm, AcknowledgeAlarm {
    ActorRef<Reply> replyTo();
  }

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key a client sent with the
   * registration, or null; a repeat carrying the same token is answered as the registration was.
   */
  public record Register(String name, DeviceType type, List<String> capabilities, String by, String idempotencyToken, ActorRef<Reply> replyTo)
      implements Request {}

  public record Get(ActorRef<Reply> replyTo) implements Request {}

  public record SetStatus(OperationalStatus status, String by, ActorRef<Reply> replyTo) implements Request {}

  public record Book(String workflowId, List<String> operations, String by, ActorRef<Reply> replyTo) implements Request {}

  public record Enqueue(String workflowId, Priority priority, List<String> operations, String by, ActorRef<Reply> replyTo) implements Request {}

  public record Release(String workflowId, String by, ActorRef<Reply> replyTo) implements Request {}

  public record CancelQueued(String workflowId, String by, ActorRef<Reply> replyTo) implements Request {}

  public record Execute(String workflowId, String operation, Map<String, Object> parameters, String by, ActorRef<Reply> replyTo)
      implements Request {}

  /** Replies when the execution has finished (at once if it already has). */
  public record AwaitExecution(String executionId, ActorRef<Reply> replyTo) implements Request {}

  public record GetExecution(String executionId, ActorRef<Reply> replyTo) implements Request {}

  /** An administrator declares the device's own channels, which replace its type's (docs/domain.md, Telemetry channels). */
  public record DeclareChannels(List<Channel> channels, String by, ActorRef<Reply> replyTo) implements Request {}

  /** The device's channels and alarms, answered with {@link TelemetryReply}. */
  public record GetTelemetry(ActorRef<Reply> replyTo) implements Request {}

  /**
   * From the alarm watch: the channel's alarm of this kind is raised by a reading ({@code value}
   * at the instrument's {@code readingAt}) beyond {@code threshold}. A repeat while it is active
   * changes nothing, so the watch may send it again after a lost answer.
   */
  public record RaiseAlarm(String channel, AlarmKind kind, Channel.Severity severity, double value, double threshold, Instant readingAt,
      ActorRef<Reply> replyTo) implements Request {}

  /** From the alarm watch: the channel's active alarm of this kind clears; nothing when none is active. */
  public record ClearAlarm(String channel, AlarmKind kind, double value, ActorRef<Reply> replyTo) implements Request {}

  /** A person acknowledges an alarm, active or cleared: who, when, and what they say about it. */
  public record AcknowledgeAlarm(String alarmId, String by, String comment, ActorRef<Reply> replyTo) implements Request {}

  /** From the driver, through the entity's own mailbox. */
  public record DriverFinished(String executionId, boolean succeeded, Map<String, Object> result) implements Command {}

  /** After recovery: executions whose driver call died with the previous incarnation. */
  public record AbandonInterrupted() implements Command {}

  public sealed interface Reply extends CborSerializable permits Snapshot, Booked, Queued, Released, ExecutionReply, Rejected, TelemetryReply, AlarmReply {}

  public record Snapshot(DeviceState.Registration registration, String status, Optional<Booking> booking, List<QueueEntry> queue)
      implements Reply {}

  public record Booked(Booking booking) implements Reply {}

  public record Queued(QueueEntry entry, int position) implements Reply {}

  public record Released(Optional<Booking> nextBooking) implements Reply {}

  public record ExecutionReply(Execution execution) implements Reply {}

  /** The device's type (whose channels apply unless it declared its own) and its telemetry state. */
  public record TelemetryReply(DeviceType type, DeviceTelemetry telemetry) implements Reply {}

  public record AlarmReply(Alarm alarm) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  public sealed interface Event extends CborSerializable
      permits DeviceRegistered, StatusChanged, BookingGranted, RequestQueued, QueueEntryCancelled, BookingReleased,
          ExecutionStarted, ExecutionFinished, ChannelsDeclared, AlarmRaised, AlarmCleared, AlarmAcknowledged {}

  public record DeviceRegistered(String deviceId, String name, DeviceType type, List<String> capabilities, Instant at, String by,
      String idempotencyToken) implements Event {}

  /**
   * {@code interrupted}: the workflow holding the device when it went offline — an alarm, which
   * fails that workflow and releases the device (docs/domain.md, Workflows; decision 0030); null otherwise, and in
   * events written before it existed.
   */
  public record StatusChanged(String deviceId, OperationalStatus status, Instant at, String by, String interrupted) implements Event {}

  public record BookingGranted(String deviceId, Booking booking, boolean fromQueue, String by) implements Event {}

  public record RequestQueued(String deviceId, QueueEntry entry, String by) implements Event {}

  public record QueueEntryCancelled(String deviceId, String workflowId, Instant at, String by) implements Event {}

  public record BookingReleased(String deviceId, String workflowId, Instant at, String by) implements Event {}

  public record ExecutionStarted(Execution execution) implements Event {}

  public record ExecutionFinished(String deviceId, String executionId, String workflowId, String status, Instant at, Map<String, Object> result)
      implements Event {}

  public record ChannelsDeclared(String deviceId, List<Channel> channels, String by, Instant at) implements Event {}

  /**
   * {@code value} and {@code readingAt}: the reading that raised it (for a rate alarm the change
   * per second, for a stale one the seconds without a reading); {@code at}: the node's time.
   * A critical alarm is persisted together with the StatusChanged that takes the device offline.
   */
  public record AlarmRaised(String deviceId, String alarmId, String channel, AlarmKind kind, Channel.Severity severity, double value,
      double threshold, Instant readingAt, Instant at) implements Event {}

  public record AlarmCleared(String deviceId, String alarmId, double value, Instant at) implements Event {}

  public record AlarmAcknowledged(String deviceId, String alarmId, String by, String comment, Instant at) implements Event {}

  // --- behaviour ------------------------------------------------------------------------

  private final String deviceId;
  private final ActorContext<Command> context;
  private final InstrumentDriver driver;
  private final Runnable passivate;
  /** Callers waiting for a running execution; transient, like the driver call itself. */
  private final Map<String, List<ActorRef<Reply>>> waiting = new HashMap<>();

  private Device(String deviceId, ActorContext<Command> context, InstrumentDriver driver, Runnable passivate) {
    super(PersistenceId.of(TYPE.name(), deviceId));
    this.deviceId = deviceId;
    this.context = context;
    this.driver = driver;
    this.passivate = passivate;
  }

  public static Behavior<Command> create(String deviceId, InstrumentDriver driver) {
    return Behaviors.setup(ctx -> new Device(deviceId, ctx, driver, () -> {}));
  }

  /**
   * A device in its shard. Devices never passivate once registered; an id that names no device
   * asks its shard to stop it after answering 404, or every GET of a made-up id would leave
   * an actor in memory for good. Passivating, not stopping itself: the shard keeps what
   * arrives meanwhile (a Register, say) for the next incarnation.
   */
  public static Behavior<Command> create(String deviceId, InstrumentDriver driver,
      ActorRef<ClusterSharding.ShardCommand> shard) {
    return Behaviors.setup(ctx -> new Device(deviceId, ctx, driver, () -> shard.tell(new ClusterSharding.Passivate<>(ctx.getSelf()))));
  }

  @Override
  public DeviceState emptyState() {
    return DeviceState.empty();
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(deviceId);
  }

  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public SignalHandler<DeviceState> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), state -> {
          if (!state.runningExecutions().isEmpty()) context.getSelf().tell(new AbandonInterrupted());
        })
        .build();
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, DeviceState> commands() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder
        .forState(s -> s.registration().isEmpty())
        .onCommand(Register.class, this::register)
        .onCommand(DriverFinished.class, (s, c) -> Effect().noReply())
        .onCommand(AbandonInterrupted.class, (s, c) -> Effect().noReply())
        .onCommand(Request.class, (s, c) -> Effect().none().thenRun(x -> passivate.run()).thenReply(c.replyTo(), x -> notFound()));
    builder
        .forAnyState()
        .onCommand(Register.class, (s, c) -> Effect().reply(c.replyTo(), s.registration().get().registeredFor(c.idempotencyToken())
            ? snapshot(s) : rejected(Rejection.conflict("device " + deviceId + " is already registered"))))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), snapshot(s)))
        .onCommand(SetStatus.class, this::setStatus)
        .onCommand(Book.class, this::book)
        .onCommand(Enqueue.class, this::enqueue)
        .onCommand(Release.class, this::release)
        .onCommand(CancelQueued.class, this::cancelQueued)
        .onCommand(Execute.class, this::execute)
        .onCommand(AwaitExecution.class, this::awaitExecution)
        .onCommand(GetExecution.class, (s, c) -> Effect().reply(c.replyTo(), execution(s, c.executionId())))
        .onCommand(DeclareChannels.class, this::declareChannels)
        .onCommand(GetTelemetry.class, (s, c) -> Effect().reply(c.replyTo(), telemetry(s)))
        .onCommand(RaiseAlarm.class, this::raiseAlarm)
        .onCommand(ClearAlarm.class, this::clearAlarm)
        .onCommand(AcknowledgeAlarm.class, this::acknowledgeAlarm)
        .onCommand(DriverFinished.class, this::driverFinished)
        .onCommand(AbandonInterrupted.class, this::abandonInterrupted);
    return builder.build();
  }

  private ReplyEffect<Event, DeviceState> register(DeviceState s, Register c) {
    return Effect()
        .persist(new DeviceRegistered(deviceId, c.name(), c.type(), c.capabilities(), Instant.now(), c.by(), c.idempotencyToken()))
        .thenReply(c.replyTo(), Device::snapshot);
  }

  private ReplyEffect<Event, DeviceState> setStatus(DeviceState s, SetStatus c) {
    if (s.status() == c.status()) {
      return Effect().reply(c.replyTo(), snapshot(s));
    }
    // An instrument still out of range must not take work: its watch raises an alarm once, so
    // a device made available under it would never be taken offline again (decision 0060).
    Optional<Alarm> critical = s.telemetry().activeAlarms().stream().filter(a -> a.severity() == Channel.Severity.CRITICAL).findFirst();
    if (c.status() == OperationalStatus.AVAILABLE && critical.isPresent()) {
      Alarm a = critical.get();
      return Effect().reply(c.replyTo(), rejected(Rejection.conflict("critical alarm " + a.id() + " (" + a.channel() + " " + a.kind().wireName()
          + ") is active: the device may be made available once a reading back inside the range clears it")));
    }
    List<Event> events = new ArrayList<>();
    String interrupted = c.status() == OperationalStatus.OFFLINE ? s.booking().map(Booking::workflowId).orElse(null) : null;
    events.add(new StatusChanged(deviceId, c.status(), Instant.now(), c.by(), interrupted));
    // Back to available with a waiting queue: the next request is granted in the same write.
    if (c.status() == OperationalStatus.AVAILABLE && s.booking().isEmpty()) {
      s.nextInLine().ifPresent(next -> events.add(grantFromQueue(next, c.by())));
    }
    return Effect().persist(events).thenReply(c.replyTo(), Device::snapshot);
  }

  // --- telemetry ----------------------------------------------------------------------

  private ReplyEffect<Event, DeviceState> declareChannels(DeviceState s, DeclareChannels c) {
    return Effect().persist(new ChannelsDeclared(deviceId, List.copyOf(c.channels()), c.by(), Instant.now()))
        .thenReply(c.replyTo(), Device::telemetry);
  }

  /**
   * At most one active alarm per channel and kind. A critical one takes the device offline in
   * the same write, exactly as an administrator's SetStatus OFFLINE would (the workflow holding
   * it fails, its queue waits); clearing never brings it back (decision 0060).
   */
  private ReplyEffect<Event, DeviceState> raiseAlarm(DeviceState s, RaiseAlarm c) {
    if (s.telemetry().active(c.channel(), c.kind()).isPresent()) return Effect().reply(c.replyTo(), telemetry(s));
    String alarmId = s.telemetry().nextAlarmId(deviceId);
    Instant now = Instant.now();
    List<Event> events = new ArrayList<>();
    events.add(new AlarmRaised(deviceId, alarmId, c.channel(), c.kind(), c.severity(), c.value(), c.threshold(), c.readingAt(), now));
    if (c.severity() == Channel.Severity.CRITICAL && s.status() != OperationalStatus.OFFLINE) {
      events.add(new StatusChanged(deviceId, OperationalStatus.OFFLINE, now, "alarm " + alarmId, s.booking().map(Booking::workflowId).orElse(null)));
    }
    return Effect().persist(events).thenReply(c.replyTo(), Device::telemetry);
  }

  private ReplyEffect<Event, DeviceState> clearAlarm(DeviceState s, ClearAlarm c) {
    Optional<Alarm> active = s.telemetry().active(c.channel(), c.kind());
    if (active.isEmpty()) return Effect().reply(c.replyTo(), telemetry(s));
    return Effect().persist(new AlarmCleared(deviceId, active.get().id(), c.value(), Instant.now())).thenReply(c.replyTo(), Device::telemetry);
  }

  private ReplyEffect<Event, DeviceState> acknowledgeAlarm(DeviceState s, AcknowledgeAlarm c) {
    Alarm alarm = s.telemetry().alarms().get(c.alarmId());
    if (alarm == null) {
      return Effect().reply(c.replyTo(), rejected(Rejection.notFound(
          "no alarm " + c.alarmId() + " awaiting acknowledgement on device " + deviceId)));
    }
    if (alarm.acknowledged()) return Effect().reply(c.replyTo(), new AlarmReply(alarm));
    AlarmAcknowledged event = new AlarmAcknowledged(deviceId, c.alarmId(), c.by(), c.comment(), Instant.now());
    // A cleared alarm once acknowledged leaves the entity's state: answer from the event.
    return Effect().persist(event).thenReply(c.replyTo(), st -> new AlarmReply(alarm.acknowledgedBy(c.by(), c.comment(), event.at())));
  }

  private static Reply telemetry(DeviceState s) {
    return new TelemetryReply(s.registration().orElseThrow().type(), s.telemetry());
  }

  private ReplyEffect<Event, DeviceState> book(DeviceState s, Book c) {
    if (s.heldBy(c.workflowId())) {
      return Effect().reply(c.replyTo(), new Booked(s.booking().orElseThrow()));
    }
    Optional<Rejected> refusal = refusesBooking(s);
    if (refusal.isPresent()) {
      return Effect().reply(c.replyTo(), refusal.get());
    }
    Booking booking = new Booking(c.workflowId(), Instant.now(), c.operations());
    return Effect().persist(new BookingGranted(deviceId, booking, false, c.by())).thenReply(c.replyTo(), st -> new Booked(booking));
  }

  private ReplyEffect<Event, DeviceState> enqueue(DeviceState s, Enqueue c) {
    if (s.heldBy(c.workflowId())) {
      return Effect().reply(c.replyTo(), new Booked(s.booking().orElseThrow()));
    }
    Optional<QueueEntry> already = s.queued(c.workflowId());
    if (already.isPresent()) {
      return Effect().reply(c.replyTo(), new Queued(already.get(), s.positionOf(c.workflowId())));
    }
    if (s.grantsNow()) {
      Booking booking = new Booking(c.workflowId(), Instant.now(), c.operations());
      return Effect().persist(new BookingGranted(deviceId, booking, false, c.by())).thenReply(c.replyTo(), st -> new Booked(booking));
    }
    QueueEntry entry = new QueueEntry(c.workflowId(), c.priority(), Instant.now(), s.nextSequence(), c.operations());
    return Effect()
        .persist(new RequestQueued(deviceId, entry, c.by()))
        .thenReply(c.replyTo(), st -> new Queued(entry, st.positionOf(c.workflowId())));
  }

  private ReplyEffect<Event, DeviceState> release(DeviceState s, Release c) {
    if (!s.heldBy(c.workflowId())) {
      String holder = s.booking().map(b -> "held by workflow " + b.workflowId()).orElse("not booked");
      return Effect().reply(c.replyTo(), rejected(Rejection.forbidden("only the holder can release device " + deviceId + "; it is " + holder)));
    }
    List<Event> events = new ArrayList<>();
    events.add(new BookingReleased(deviceId, c.workflowId(), Instant.now(), c.by()));
    Optional<BookingGranted> next =
        s.status() == OperationalStatus.AVAILABLE ? s.nextInLine().map(e -> grantFromQueue(e, c.by())) : Optional.empty();
    next.ifPresent(events::add);
    return Effect().persist(events).thenReply(c.replyTo(), st -> new Released(next.map(BookingGranted::booking)));
  }

  private ReplyEffect<Event, DeviceState> cancelQueued(DeviceState s, CancelQueued c) {
    if (s.queued(c.workflowId()).isEmpty()) {
      return Effect().reply(c.replyTo(), rejected(Rejection.notFound("workflow " + c.workflowId() + " is not queued for device " + deviceId)));
    }
    return Effect()
        .persist(new QueueEntryCancelled(deviceId, c.workflowId(), Instant.now(), c.by()))
        .thenReply(c.replyTo(), Device::snapshot);
  }

  private ReplyEffect<Event, DeviceState> execute(DeviceState s, Execute c) {
    DeviceType type = s.registration().orElseThrow().type();
    if (!s.heldBy(c.workflowId())) {
      return Effect().reply(c.replyTo(), rejected(Rejection.forbidden("workflow " + c.workflowId() + " does not hold device " + deviceId)));
    }
    if (!type.supports(c.operation())) {
      return Effect().reply(c.replyTo(), rejected(Rejection.invalid(
          "a " + type.wireName() + " does not support '" + c.operation() + "'; it supports " + type.operations())));
    }
    if (s.status() != OperationalStatus.AVAILABLE) {
      return Effect().reply(c.replyTo(), rejected(Rejection.conflict("device " + deviceId + " is " + s.status().wireName())));
    }
    // An instrument does one thing at a time.
    Optional<Execution> running = s.runningExecutions().stream().findFirst();
    if (running.isPresent()) {
      return Effect().reply(c.replyTo(), new Rejected(new Rejection(Rejection.Kind.CONFLICT,
          "device " + deviceId + " is still running " + running.get().executionId(), Map.of("running", running.get().executionId()))));
    }
    Execution started = new Execution(deviceId + "." + (s.executionCount() + 1), deviceId, type.wireName(), c.workflowId(),
        c.operation(), c.parameters(), Execution.RUNNING, Instant.now(), null, null, null);
    return Effect()
        .persist(new ExecutionStarted(started))
        .thenRun(st -> context.pipeToSelf(
            driver.run(deviceId, type, c.operation(), c.parameters()),
            (result, failure) -> failure == null
                ? new DriverFinished(started.executionId(), true, result)
                : new DriverFinished(started.executionId(), false, Map.of("error", String.valueOf(rootMessage(failure))))))
        .thenReply(c.replyTo(), st -> new ExecutionReply(started));
  }

  private ReplyEffect<Event, DeviceState> awaitExecution(DeviceState s, AwaitExecution c) {
    Execution e = s.recentExecutions().get(c.executionId());
    if (e != null && e.running()) {
      waiting.computeIfAbsent(c.executionId(), k -> new ArrayList<>()).add(c.replyTo());
      return Effect().noReply();
    }
    return Effect().reply(c.replyTo(), execution(s, c.executionId()));
  }

  private ReplyEffect<Event, DeviceState> driverFinished(DeviceState s, DriverFinished c) {
    Execution e = s.recentExecutions().get(c.executionId());
    if (e == null || !e.running()) {
      return Effect().noReply();
    }
    String outcome = c.succeeded() ? Execution.SUCCEEDED : Execution.FAILED;
    return Effect()
        .persist(new ExecutionFinished(deviceId, c.executionId(), e.workflowId(), outcome, Instant.now(), c.result()))
        .thenRun(st -> notifyWaiting(st, c.executionId()))
        .thenNoReply();
  }

  private ReplyEffect<Event, DeviceState> abandonInterrupted(DeviceState s, AbandonInterrupted c) {
    List<Event> events = s.runningExecutions().stream()
        .map(e -> (Event) new ExecutionFinished(deviceId, e.executionId(), e.workflowId(), Execution.FAILED, Instant.now(),
            Map.of("error", "interrupted: the node stopped while the operation ran")))
        .toList();
    return Effect().persist(events).thenNoReply();
  }

  private void notifyWaiting(DeviceState s, String executionId) {
    List<ActorRef<Reply>> callers = waiting.remove(executionId);
    if (callers != null) callers.forEach(r -> r.tell(execution(s, executionId)));
  }

  private Optional<Rejected> refusesBooking(DeviceState s) {
    if (s.booking().isPresent()) {
      Booking b = s.booking().get();
      return Optional.of(new Rejected(new Rejection(Rejection.Kind.CONFLICT,
          "device " + deviceId + " is held by workflow " + b.workflowId() + " since " + b.bookedAt(),
          Map.of("holder", b.workflowId(), "booked_at", b.bookedAt().toString()))));
    }
    if (s.status() != OperationalStatus.AVAILABLE) {
      return Optional.of(rejected(Rejection.conflict("device " + deviceId + " is " + s.status().wireName() + "; queue to wait for it")));
    }
    return Optional.empty();
  }

  private BookingGranted grantFromQueue(QueueEntry next, String by) {
    return new BookingGranted(deviceId, new Booking(next.workflowId(), Instant.now(), next.operations()), true, by);
  }

  private static Reply execution(DeviceState s, String executionId) {
    Execution e = s.recentExecutions().get(executionId);
    return e == null ? rejected(Rejection.notFound("no recent execution " + executionId)) : new ExecutionReply(e);
  }

  private Reply notFound() {
    return rejected(Rejection.notFound("no device " + deviceId));
  }

  private static Rejected rejected(Rejection r) {
    return new Rejected(r);
  }

  static Snapshot snapshot(DeviceState s) {
    return new Snapshot(s.registration().orElse(null), s.reportedStatus(), s.booking(), s.queue());
  }

  private static String rootMessage(Throwable t) {
    while (t.getCause() != null) t = t.getCause();
    return t.getMessage();
  }

  @Override
  public EventHandler<DeviceState, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(DeviceRegistered.class, (s, e) -> s.registered(new DeviceState.Registration(e.deviceId(), e.name(), e.type(), e.capabilities(), e.at(),
            e.idempotencyToken())))
        .onEvent(StatusChanged.class, (s, e) -> s.withStatus(e.status()))
        .onEvent(BookingGranted.class, (s, e) -> s.granted(e.booking()))
        .onEvent(RequestQueued.class, (s, e) -> s.enqueued(e.entry()))
        .onEvent(QueueEntryCancelled.class, (s, e) -> s.dequeued(e.workflowId()))
        .onEvent(BookingReleased.class, (s, e) -> s.released())
        .onEvent(ExecutionStarted.class, (s, e) -> s.executionStarted(e.execution()))
        .onEvent(ExecutionFinished.class, (s, e) -> s.executionFinished(e.executionId(), e.status(), e.at(), e.result()))
        .onEvent(ChannelsDeclared.class, (s, e) -> s.withTelemetry(s.telemetry().declared(e.channels())))
        .onEvent(AlarmRaised.class, (s, e) -> s.withTelemetry(s.telemetry().raised(new Alarm(e.alarmId(), e.deviceId(), e.channel(), e.kind(),
            e.severity(), e.value(), e.threshold(), e.readingAt(), e.at(), null, null, null, null, null))))
        .onEvent(AlarmCleared.class, (s, e) -> s.withTelemetry(s.telemetry().cleared(e.alarmId(), e.value(), e.at())))
        .onEvent(AlarmAcknowledged.class, (s, e) -> s.withTelemetry(s.telemetry().acknowledged(e.alarmId(), e.by(), e.comment(), e.at())))
        .build();
  }
}
