package lims.scheduling;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import lims.kernel.Backoff;
import lims.kernel.CborSerializable;
import lims.kernel.Rejection;
import lims.kernel.WireNames;
import lims.kernel.deadline.Delay;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EffectBuilder;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A scheduled lab test (docs/domain.md, Scheduled lab tests). Invariants: one execution per due
 * instant, and at most one at a time; {@code ExecutionStarted} is persisted before the action
 * runs and its outcome after, so a crash in between resumes the same execution (same id,
 * the action's idempotency key) instead of starting another; the next fire instant lives in
 * the state and its timer is re-armed on every recovery, while the deadline index wakes a
 * passivated test in time (decision 0018).
 */
public final class LabTest extends ShardedEntity<LabTest.Command, LabTest.Event, LabTest.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "LabTest");
  public static final EventTags TAGS = new EventTags("lab-test", 4);
  /** 17 random hex digits ({@link LabTests#newId}); tests created before 2026-11-24 have 12. */
  public static final Pattern ID = Pattern.compile("LT-[0-9a-f]{12,17}");
  /** An execution: its test and its due instant in epoch milliseconds. */
  public static final Pattern EXECUTION_ID = Pattern.compile(ID.pattern() + "-[0-9]{1,19}");

  /**
   * Where a test is. Waiting for its next instant (scheduled), an execution under way or
   * waiting for its next attempt (running), no instant left (completed, or dead_lettered while
   * a failed execution waits to be retried by hand), paused by hand, deleted. Spelled on the
   * wire, in the read table and in a snapshot in lower case ({@link #wireName()}).
   */
  public enum Status {
    SCHEDULED,
    RUNNING,
    COMPLETED,
    PAUSED,
    DEAD_LETTERED,
    DELETED;

    @JsonValue
    public String wireName() {
      return WireNames.of(this);
    }

    @JsonCreator
    public static Status fromWireName(String name) {
      return WireNames.parse(Status.class, name).orElseThrow(() -> new IllegalArgumentException("no lab-test status " + name));
    }

    /** The wire name, so that a status in a message or a log line reads as the API spells it. */
    @Override
    public String toString() {
      return wireName();
    }

    /** The statuses a listed test can have (a deleted test is not listed), as the API spells them. */
    public static Set<String> listed() {
      return java.util.Arrays.stream(values()).filter(s -> s != DELETED).map(Status::wireName)
          .collect(java.util.stream.Collectors.toCollection(java.util.LinkedHashSet::new));
    }
  }

  public static final String FIRE_ONCE = "fire_once";
  /** Every missed instant fires, in due order, within the catch-up window (decision 0041). */
  public static final String FIRE_ALL = "fire_all";
  public static final String SKIP = "skip";
  /** The misfire policies a test may have, as the API spells them. */
  public static final List<String> MISFIRE_POLICIES = List.of(FIRE_ONCE, FIRE_ALL, SKIP);
  /** Dead letters a test keeps retryable. */
  static final int MAX_DEAD_LETTERS = 1000;

  /**
   * How executions are retried, how late a fire may be before it counts as missed (misfire
   * policy), and how long before its instant an execution is started: {@code ExecutionStarted}
   * is written {@code startAhead} early and the action runs at the instant itself, so the
   * journal's write latency does not make the action late. {@code catchUpWindow}: under
   * {@code fire_all}, how late a missed instant may still be fired (decision 0041).
   */
  public record Policy(Backoff retry, Duration misfireThreshold, Duration actionTimeout, Duration startAhead, Duration catchUpWindow) {}

  public record Definition(String title, String type, String experiment, List<String> recipients, Schedule schedule, LabTestAction action,
      int maxRetries, String misfirePolicy) implements CborSerializable {}

  /** The execution under way: started, or waiting for its next attempt at {@code retryAt}. */
  public record Execution(String executionId, Instant dueAt, int attempt, Instant startedAt, Instant retryAt) implements CborSerializable {}

  /** An execution whose last retry failed, kept until retried by hand. */
  public record DeadLetter(String executionId, Instant dueAt, int attempts, String error) implements CborSerializable {}

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Request, Wake, Stop, Internal {}

  /** A command someone waits on: it always gets a {@link Reply}. */
  public sealed interface Request extends Command permits Create, Get, Edit, Delete, Pause, Resume, Trigger, RetryDeadLetter {
    ActorRef<Reply> replyTo();
  }

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key a client sent with the create, or
   * null; a repeat carrying the same token is answered with the test it created.
   */
  public record Create(Definition definition, String by, String idempotencyToken, ActorRef<Reply> replyTo) implements Request {}

  public record Get(ActorRef<Reply> replyTo) implements Request {}

  public record Edit(Definition definition, String by, ActorRef<Reply> replyTo) implements Request {}

  public record Delete(String by, ActorRef<Reply> replyTo) implements Request {}

  public record Pause(String by, ActorRef<Reply> replyTo) implements Request {}

  public record Resume(String by, ActorRef<Reply> replyTo) implements Request {}

  /** Fire now, once, outside the schedule. */
  public record Trigger(String by, ActorRef<Reply> replyTo) implements Request {}

  public record RetryDeadLetter(String executionId, String by, ActorRef<Reply> replyTo) implements Request {}

  /** From the deadline sweeper: starting the entity re-arms its timers. */
  public record Wake() implements Command {}

  /**
   * Sharding's stop message (hand-off to another node, passivation): a test whose action is
   * under way stops once its outcome is journaled, so a graceful stop never makes the
   * execution's next home call the lab's system a second time.
   */
  public record Stop() implements Command {}

  sealed interface Internal extends Command permits Due, NextAttempt, RunAction, ActionDone {}

  record Due(Instant dueAt) implements Internal {}

  record NextAttempt(String executionId) implements Internal {}

  /** The started execution's instant has come: run its action. */
  record RunAction(String executionId, int attempt) implements Internal {}

  record ActionDone(String executionId, int attempt, Instant actionStartedAt, LabTestAction.Outcome outcome) implements Internal {}

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  public record Current(State labTest) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  public sealed interface Event extends CborSerializable permits LabTestCreated, LabTestEdited, LabTestDeleted, LabTestPaused,
      LabTestResumed, ExecutionStarted, ExecutionSucceeded, ExecutionFailed, ExecutionDeadLettered, MisfireSkipped, InstantsMissed {}

  public record LabTestCreated(String labTestId, Definition definition, Instant nextFireAt, String by, Instant at, String idempotencyToken)
      implements Event {}

  public record LabTestEdited(String labTestId, Definition definition, Instant nextFireAt, String by, Instant at) implements Event {}

  public record LabTestDeleted(String labTestId, String by, Instant at) implements Event {}

  public record LabTestPaused(String labTestId, String by, Instant at) implements Event {}

  public record LabTestResumed(String labTestId, Instant nextFireAt, String by, Instant at) implements Event {}

  /** Persisted before the action runs: this attempt of this execution is under way. */
  public record ExecutionStarted(String labTestId, String executionId, Instant dueAt, int attempt, Instant startedAt, String trigger)
      implements Event {}

  /** {@code actionStartedAt}: when the action was called, at or after the due instant. */
  public record ExecutionSucceeded(String labTestId, String executionId, Instant dueAt, int attempt, Instant actionStartedAt,
      Instant finishedAt, List<String> log, Instant nextFireAt) implements Event {
    /** When the action was called − the due instant. */
    public Duration lateness() {
      return Duration.between(dueAt, actionStartedAt);
    }
  }

  /** An attempt failed; {@code retryAt} is when the next one starts. */
  public record ExecutionFailed(String labTestId, String executionId, Instant dueAt, int attempt, Instant actionStartedAt,
      Instant finishedAt, List<String> log, Instant retryAt) implements Event {
    /** When the action was called − the due instant. */
    public Duration lateness() {
      return Duration.between(dueAt, actionStartedAt);
    }
  }

  public record ExecutionDeadLettered(String labTestId, String executionId, Instant dueAt, int attempts, String error, Instant at,
      Instant nextFireAt) implements Event {}

  /** An instant missed while the cluster was down, not fired under the "skip" policy. */
  public record MisfireSkipped(String labTestId, Instant missedDueAt, Instant nextFireAt, Instant at) implements Event {}

  /**
   * Under {@code fire_all}: every instant from {@code firstMissedAt} up to {@code nextFireAt}
   * (not included) is not fired, as each was more than {@code catchUpWindow} late when the
   * test came to it; the catch-up goes on from {@code nextFireAt}, the first instant within
   * the window, or the newest that had come when none had within it.
   */
  public record InstantsMissed(String labTestId, Instant firstMissedAt, Instant nextFireAt, Duration catchUpWindow, Instant at)
      implements Event {}

  /**
   * A test as its events left it; {@code definition} is null until it is created. Changed only
   * by the named steps below, one per event. An execution is under way ({@code current}) exactly
   * while the status is running.
   */
  public record State(String id, Definition definition, Status status, Instant nextFireAt, Execution current,
      Map<String, DeadLetter> deadLetters, String createdBy, Instant createdAt, String idempotencyToken) implements CborSerializable {

    /** A test nobody created (yet). */
    static State uncreated(String id) {
      return new State(id, null, null, null, null, Map.of(), null, null, null);
    }

    public boolean exists() {
      return definition != null && status != Status.DELETED;
    }

    static State created(LabTestCreated e) {
      return new State(e.labTestId(), e.definition(), Status.SCHEDULED, null, null, Map.of(), e.by(), e.at(), e.idempotencyToken())
          .settled(e.nextFireAt());
    }

    State edited(Definition definition, Instant next) {
      return new State(id, definition, status, nextFireAt, current, deadLetters, createdBy, createdAt, idempotencyToken).settled(next);
    }

    State deleted() {
      return new State(id, definition, Status.DELETED, null, current, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    State paused() {
      return new State(id, definition, Status.PAUSED, null, current, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    State resumed(Instant next) {
      return new State(id, definition, Status.SCHEDULED, null, current, deadLetters, createdBy, createdAt, idempotencyToken).settled(next);
    }

    /** Status when nothing runs: scheduled while there is a next instant, else completed or dead-lettered; a paused test stays paused. */
    State settled(Instant next) {
      if (this.status == Status.PAUSED) {
        return new State(id, definition, Status.PAUSED, null, null, deadLetters, createdBy, createdAt, idempotencyToken);
      }
      Status status = next != null ? Status.SCHEDULED : deadLetters.isEmpty() ? Status.COMPLETED : Status.DEAD_LETTERED;
      return new State(id, definition, status, next, null, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    /** An attempt is under way, or (with a {@code retryAt}) waits for the next one. */
    State running(Execution e) {
      return new State(id, definition, Status.RUNNING, nextFireAt, e, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    /** The execution succeeded: a dead letter it retried is gone. */
    State succeeded(String executionId, Instant next) {
      Map<String, DeadLetter> letters = new TreeMap<>(deadLetters);
      letters.remove(executionId);
      return withDeadLetters(letters).settled(next);
    }

    /**
     * The execution failed for good and waits to be retried by hand. A test that fails for
     * months must not grow without bound: the oldest letters beyond the cap stay listed (in
     * the read table), not retryable.
     */
    State deadLettered(DeadLetter letter, Instant next) {
      TreeMap<String, DeadLetter> letters = new TreeMap<>(deadLetters);
      letters.put(letter.executionId(), letter);
      while (letters.size() > MAX_DEAD_LETTERS) letters.pollFirstEntry();
      return withDeadLetters(letters).settled(next);
    }

    private State withDeadLetters(Map<String, DeadLetter> letters) {
      return new State(id, definition, status, nextFireAt, current, Map.copyOf(letters), createdBy, createdAt, idempotencyToken);
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String labTestId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActionCalls calls;
  private final Policy policy;
  private final Clock clock;
  private final Consumer<Event> observer;
  /** The attempt whose action this incarnation called and has not heard back from, or null. */
  private String calling;
  /** Asked to stop while {@link #calling}: stops once that outcome is journaled. */
  private boolean stopping;

  private LabTest(String labTestId, ActorContext<Command> context, TimerScheduler<Command> timers, ActionCalls calls,
      Policy policy, Clock clock, Consumer<Event> observer) {
    // A write that failed (the database stopped) starts the test again, from the journal, as soon
    // as it can recover: an execution whose outcome was not written then records the call this
    // node made (ActionCalls) before anything else can move the test to another node (decision 0043).
    super(PersistenceId.of(TYPE.name(), labTestId), clock, SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 0.2));
    this.labTestId = labTestId;
    this.context = context;
    this.timers = timers;
    this.calls = calls;
    this.policy = policy;
    this.clock = clock;
    this.observer = observer;
  }

  /** {@code observer} hears each event once it is persisted (metrics); never during recovery. */
  public static Behavior<Command> create(String labTestId, ActionCalls calls, Policy policy, Clock clock, Consumer<Event> observer) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new LabTest(labTestId, ctx, timers, calls, policy, clock, observer)));
  }

  /** A test on its own (unit tests): each incarnation starts remembering no call, as a test that moved to another node. */
  static Behavior<Command> create(String labTestId, LabTestAction.Runner runner, Policy policy, Clock clock, Consumer<Event> observer) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new LabTest(labTestId, ctx, timers, ActionCalls.unfenced(runner), policy, clock,
        observer)));
  }

  private EffectBuilder<Event, State> persist(List<Event> events) {
    return Effect().persist(events).thenRun(s -> events.forEach(observer));
  }

  @Override
  public State emptyState() {
    return State.uncreated(labTestId);
  }

  /**
   * A snapshot every 100 events (two kept; events are never deleted): a test that fires every
   * few minutes for a year writes some 100,000 events, and a passivated one is woken before
   * each instant; it should read a snapshot and the few events after it, not its whole history.
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(100, 2);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(labTestId);
  }

  /**
   * One method, not Pekko's handler builder: the builder makes some 150 objects per entity (a
   * case and two lambdas per command) and keeps them as long as the entity lives, which with
   * tens of thousands of tests in memory was the largest share of the heap (decision 0025).
   */
  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    return this::onCommand;
  }

  /**
   * What every test answers, then what it may do in its phase: {@link #whilePaused},
   * {@link #whileRunning} (an execution under way or waiting for its next attempt) or
   * {@link #whileIdle} (scheduled, completed, dead-lettered). A command no phase knows is a
   * bug: logged as an error, and a request is refused rather than left unanswered.
   */
  private ReplyEffect<Event, State> onCommand(State s, Command command) {
    if (command instanceof Stop) return stop();
    if (command instanceof ActionDone c && attempt(c.executionId(), c.attempt()).equals(calling)) heardBack();
    if (s.definition() == null && command instanceof Create c) return create(s, c);
    if (!s.exists()) {
      if (!(command instanceof Request r)) return Effect().noReply();
      return reject(r.replyTo(), r instanceof Create ? Rejection.conflict("lab test " + labTestId + " existed and was deleted") : notFound());
    }
    if (command instanceof Create c) {
      return c.idempotencyToken() != null && c.idempotencyToken().equals(s.idempotencyToken()) ? Effect().reply(c.replyTo(), new Current(s))
          : reject(c.replyTo(), Rejection.conflict("lab test " + labTestId + " already exists"));
    }
    if (command instanceof Get c) return Effect().reply(c.replyTo(), new Current(s));
    if (command instanceof Delete c) {
      return persist(List.of(new LabTestDeleted(labTestId, c.by(), clock.instant()))).thenRun(x -> timers.cancelAll())
          .thenReply(c.replyTo(), Current::new);
    }
    if (command instanceof RetryDeadLetter c && !s.deadLetters().containsKey(c.executionId())) {
      return reject(c.replyTo(), Rejection.notFound("no dead letter " + c.executionId() + " of lab test " + labTestId));
    }
    if (command instanceof Wake) return Effect().noReply(); // starting the entity was all it asked
    if (s.status() == Status.PAUSED) return whilePaused(s, command);
    if (s.current() != null) return whileRunning(s, command);
    return whileIdle(s, command);
  }

  /** Paused: edited or resumed by hand; it runs nothing, by hand either (decision 0028), and has no timers. */
  private ReplyEffect<Event, State> whilePaused(State s, Command command) {
    if (command instanceof Edit c) return edit(c);
    if (command instanceof Pause c) return Effect().reply(c.replyTo(), new Current(s));
    if (command instanceof Resume c) return resume(s, c);
    if (command instanceof Trigger c) return refusedWhilePaused(c.replyTo());
    if (command instanceof RetryDeadLetter c) return refusedWhilePaused(c.replyTo());
    if (isTimerOrAnswer(command)) return Effect().noReply(); // from before the pause
    return unknownCommand(s, command);
  }

  /** An execution under way: its attempts run, and a change by hand waits for it to end (a conflict naming it). */
  private ReplyEffect<Event, State> whileRunning(State s, Command command) {
    if (command instanceof RunAction c) return runActionAgain(s, c);
    if (command instanceof ActionDone c) return actionDone(s, c);
    if (command instanceof NextAttempt c) return nextAttempt(s, c);
    if (command instanceof Due) return Effect().noReply(); // the instant after this execution is planned when it ends
    if (command instanceof Resume c) return Effect().reply(c.replyTo(), new Current(s)); // not paused
    if (command instanceof Edit c) return busy(c.replyTo(), s);
    if (command instanceof Pause c) return busy(c.replyTo(), s);
    if (command instanceof Trigger c) return busy(c.replyTo(), s);
    if (command instanceof RetryDeadLetter c) return busy(c.replyTo(), s);
    return unknownCommand(s, command);
  }

  /** Nothing under way: its next instant fires; it may be edited, paused, run or retried by hand. */
  private ReplyEffect<Event, State> whileIdle(State s, Command command) {
    if (command instanceof Due c) return due(s, c);
    if (command instanceof Edit c) return edit(c);
    if (command instanceof Pause c) return persist(List.of(new LabTestPaused(labTestId, c.by(), clock.instant()))).thenRun(this::plan)
        .thenReply(c.replyTo(), Current::new);
    if (command instanceof Resume c) return Effect().reply(c.replyTo(), new Current(s)); // not paused
    if (command instanceof Trigger c) return trigger(c);
    if (command instanceof RetryDeadLetter c) return retryDeadLetter(s, c);
    if (isTimerOrAnswer(command)) return Effect().noReply(); // of an execution already settled
    return unknownCommand(s, command);
  }

  private static boolean isTimerOrAnswer(Command command) {
    return command instanceof Due || command instanceof NextAttempt || command instanceof RunAction || command instanceof ActionDone;
  }

  private ReplyEffect<Event, State> unknownCommand(State s, Command command) {
    context.getLog().error("lab test {}: no handler for {} while {}", labTestId, command.getClass().getName(), s.status());
    if (!(command instanceof Request r)) return Effect().noReply();
    return reject(r.replyTo(), Rejection.invalid("lab test " + labTestId + " does not handle " + command.getClass().getSimpleName()));
  }

  private Rejection notFound() {
    return Rejection.notFound("no lab test " + labTestId);
  }

  private ReplyEffect<Event, State> reject(ActorRef<Reply> replyTo, Rejection r) {
    return Effect().reply(replyTo, new Rejected(r));
  }

  private ReplyEffect<Event, State> busy(ActorRef<Reply> replyTo, State s) {
    return conflict(replyTo, "execution " + s.current().executionId() + " is under way", s.status());
  }

  /** A 409 naming the test's status, so a client sees what the test is doing. */
  private ReplyEffect<Event, State> conflict(ActorRef<Reply> replyTo, String detail, Status status) {
    return reject(replyTo, new Rejection(Rejection.Kind.CONFLICT, detail, Map.of("status", status.wireName())));
  }

  private ReplyEffect<Event, State> create(State s, Create c) {
    Instant now = clock.instant();
    Instant next = firstFire(c.definition().schedule(), now);
    return persist(List.of(new LabTestCreated(labTestId, c.definition(), next, c.by(), now, c.idempotencyToken()))).thenRun(this::plan)
        .thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> edit(Edit c) {
    Instant now = clock.instant();
    Instant next = firstFire(c.definition().schedule(), now);
    return persist(List.of(new LabTestEdited(labTestId, c.definition(), next, c.by(), now))).thenRun(this::plan)
        .thenReply(c.replyTo(), Current::new);
  }

  /**
   * The first instant of a new or edited schedule. A one-time test's instant is its first fire
   * even if it passed a moment ago (the API refuses past instants, but one can pass between
   * the check and the entity): it then fires at once, late, instead of never.
   */
  private static Instant firstFire(Schedule schedule, Instant now) {
    return schedule.recurring() ? schedule.nextAfter(now).orElse(null) : schedule.at();
  }

  /** Instants that passed while paused are not fired: the schedule resumes from now. */
  private ReplyEffect<Event, State> resume(State s, Resume c) {
    Instant now = clock.instant();
    Instant next = s.definition().schedule().nextAfter(now).orElse(null);
    return persist(List.of(new LabTestResumed(labTestId, next, c.by(), now))).thenRun(this::plan).thenReply(c.replyTo(), Current::new);
  }

  /**
   * A paused test runs nothing, by hand either (decision 0028): a run would end by settling the
   * test, and a paused test settles paused only if it never ran. Resume it first.
   */
  private ReplyEffect<Event, State> refusedWhilePaused(ActorRef<Reply> replyTo) {
    return conflict(replyTo, "lab test " + labTestId + " is paused; resume it to run it", Status.PAUSED);
  }

  private ReplyEffect<Event, State> trigger(Trigger c) {
    Instant now = clock.instant();
    return start(new ExecutionStarted(labTestId, executionId(now), now, 1, now, "manual:" + c.by()), c.replyTo());
  }

  private ReplyEffect<Event, State> retryDeadLetter(State s, RetryDeadLetter c) {
    DeadLetter letter = s.deadLetters().get(c.executionId());
    return start(new ExecutionStarted(labTestId, letter.executionId(), letter.dueAt(), letter.attempts() + 1, clock.instant(),
        "dead-letter-retry:" + c.by()), c.replyTo());
  }

  private ReplyEffect<Event, State> due(State s, Due c) {
    if (s.status() != Status.SCHEDULED || !c.dueAt().equals(s.nextFireAt())) return Effect().noReply(); // a stale timer
    Instant now = clock.instant();
    if (now.isBefore(c.dueAt().minus(policy.startAhead()))) return notYet();
    Duration late = Duration.between(c.dueAt(), now);
    String misfire = s.definition().misfirePolicy();
    if (late.compareTo(policy.misfireThreshold()) > 0 && SKIP.equals(misfire)) {
      Instant next = s.definition().schedule().nextAfter(now).orElse(null);
      return persist(List.of(new MisfireSkipped(labTestId, c.dueAt(), next, now))).thenRun(this::plan).thenNoReply();
    }
    if (late.compareTo(policy.catchUpWindow()) > 0 && FIRE_ALL.equals(misfire)) {
      Instant from = catchUpFrom(s.definition().schedule(), c.dueAt(), now);
      if (from.isAfter(c.dueAt())) {
        context.getLog().warn("lab test {}: instants from {} up to {} not fired, more than the catch-up window ({}) late", labTestId,
            c.dueAt(), from, policy.catchUpWindow());
        return persist(List.of(new InstantsMissed(labTestId, c.dueAt(), from, policy.catchUpWindow(), now))).thenRun(this::plan).thenNoReply();
      }
    }
    return start(new ExecutionStarted(labTestId, executionId(c.dueAt()), c.dueAt(), 1, now, "schedule"), null);
  }

  /** Steps one look for a catch-up's start takes at most; a longer run of missed instants is cut in several. */
  static final int CATCH_UP_STEPS = 10_000;

  /**
   * Where a {@code fire_all} catch-up from {@code dueAt}, more than the catch-up window late,
   * starts (decision 0041): the first instant within the window, if one has come; else the
   * latest instant that has come, so the newest always fires. The instants before it are
   * missed. The second case is a schedule sparser than the window (a daily test, a one-time
   * one) or with a gap before it, whose missed instants are few; the walk to the latest is
   * bounded all the same, and a run longer than its steps is cut again at the next look.
   */
  private Instant catchUpFrom(Schedule schedule, Instant dueAt, Instant now) {
    Optional<Instant> inWindow = schedule.nextAfter(now.minus(policy.catchUpWindow()).minusNanos(1)).filter(first -> !first.isAfter(now));
    if (inWindow.isPresent()) return inWindow.get();
    Instant latest = dueAt;
    for (int step = 0; step < CATCH_UP_STEPS; step++) {
      Optional<Instant> next = schedule.nextAfter(latest);
      if (next.isEmpty() || next.get().isAfter(now)) break;
      latest = next.get();
    }
    return latest;
  }

  private ReplyEffect<Event, State> nextAttempt(State s, NextAttempt c) {
    Execution e = s.current();
    if (e == null || e.retryAt() == null || !e.executionId().equals(c.executionId())) return Effect().noReply();
    Instant now = clock.instant();
    if (now.isBefore(e.retryAt())) return notYet();
    return start(new ExecutionStarted(labTestId, e.executionId(), e.dueAt(), e.attempt() + 1, now, "retry"), null);
  }

  /** A timer capped at {@link Delay#MAX} fired before its instant: arm it again. */
  private ReplyEffect<Event, State> notYet() {
    return Effect().none().thenRun(this::plan).thenNoReply();
  }

  private ReplyEffect<Event, State> start(ExecutionStarted started, ActorRef<Reply> replyTo) {
    var effect = persist(List.of(started)).thenRun(this::runAction);
    return replyTo == null ? effect.thenNoReply() : effect.thenReply(replyTo, Current::new);
  }

  private String executionId(Instant dueAt) {
    return executionId(labTestId, dueAt);
  }

  /** The id of a test's execution for a due instant: the same for every attempt and after any crash ({@link #EXECUTION_ID}). */
  public static String executionId(String labTestId, Instant dueAt) {
    return labTestId + "-" + dueAt.toEpochMilli();
  }

  /** The "run" timer fired early (a delay capped at {@link Delay#MAX}): arm it again, if its attempt is still the one under way. */
  private ReplyEffect<Event, State> runActionAgain(State s, RunAction c) {
    Execution e = s.current();
    if (e != null && e.retryAt() == null && e.executionId().equals(c.executionId()) && e.attempt() == c.attempt()) runAction(s);
    return Effect().noReply();
  }

  /** Runs the started execution's action at its due instant: now, if that has come, else by a timer (again, if it fired early). */
  private void runAction(State s) {
    Execution e = s.current();
    Duration wait = Delay.until(clock.instant(), e.dueAt());
    if (wait.isZero()) callAction(s);
    else timers.startSingleTimer("run", new RunAction(e.executionId(), e.attempt()), wait);
  }

  private void callAction(State s) {
    Execution e = s.current();
    // Real time, as the time-out (the entity's clock may be a test's).
    var execution = new LabTestAction.Execution(labTestId, e.executionId(), e.dueAt(), e.attempt(), Instant.now().plus(policy.actionTimeout()));
    ActionCalls.Call call = calls.call(s.definition().action(), execution, clock.instant(), policy.actionTimeout());
    calling = attempt(e.executionId(), e.attempt());
    context.pipeToSelf(call.outcome(), (done, error) -> new ActionDone(e.executionId(), e.attempt(), call.startedAt(), done));
  }

  private static String attempt(String executionId, int attempt) {
    return executionId + " attempt " + attempt;
  }

  /**
   * Stops now, or, with an action under way, once its outcome is journaled: stopped mid-call,
   * the test's next home would find the execution started and call again (at least once,
   * decision 0043), which a crash forces but a hand-off or a passivation need not.
   */
  private ReplyEffect<Event, State> stop() {
    if (calling == null) return Effect().stop().thenNoReply();
    stopping = true;
    return Effect().noReply();
  }

  /** The call under way answered. Stopping, the test stops after this answer's outcome is written (commands wait for a write). */
  private void heardBack() {
    calling = null;
    if (stopping) context.getSelf().tell(new Stop());
  }

  private ReplyEffect<Event, State> actionDone(State s, ActionDone c) {
    Execution e = s.current();
    if (e == null || e.retryAt() != null || !e.executionId().equals(c.executionId()) || e.attempt() != c.attempt()) {
      return Effect().noReply(); // an answer for an attempt already settled
    }
    Instant now = clock.instant();
    if (c.outcome().succeeded()) {
      return persist(List.of(new ExecutionSucceeded(labTestId, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, c.outcome().log(),
              nextAfterRun(s, e, now))))
          .thenRun(st -> outcomeRecorded(st, e)).thenNoReply();
    }
    if (e.attempt() <= s.definition().maxRetries()) {
      return persist(List.of(new ExecutionFailed(labTestId, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, c.outcome().log(),
          now.plus(policy.retry().after(e.attempt()))))).thenRun(st -> outcomeRecorded(st, e)).thenNoReply();
    }
    String error = c.outcome().log().isEmpty() ? "failed" : c.outcome().log().get(c.outcome().log().size() - 1);
    return persist(List.of(new ExecutionFailed(labTestId, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, c.outcome().log(), null),
            new ExecutionDeadLettered(labTestId, e.executionId(), e.dueAt(), e.attempt(), error, now, nextAfterRun(s, e, now))))
        .thenRun(st -> outcomeRecorded(st, e)).thenNoReply();
  }

  /** The attempt's outcome is journaled: this node forgets its call, and arms what comes next. */
  private void outcomeRecorded(State s, Execution e) {
    calls.recorded(e.executionId(), e.attempt());
    plan(s);
  }

  /**
   * The next instant once an execution is over: after its due instant and after now, so the
   * instants that passed while a scheduled run went on are not fired late one after another;
   * under {@code fire_all} the one after its due instant, so they are (decision 0041).
   * A manual run (trigger, dead-letter retry) leaves the schedule's next instant as it was:
   * one that passed while it ran is then due at once, and fires late or is skipped under the
   * misfire policy, as an instant missed any other way (decision 0028).
   */
  private Instant nextAfterRun(State s, Execution e, Instant now) {
    boolean scheduled = s.nextFireAt() != null && e.dueAt().equals(s.nextFireAt());
    if (!scheduled && s.nextFireAt() != null) return s.nextFireAt();
    boolean everyInstant = FIRE_ALL.equals(s.definition().misfirePolicy());
    Instant from = everyInstant || e.dueAt().isAfter(now) ? e.dueAt() : now;
    return s.definition().schedule().nextAfter(from).orElse(null);
  }

  /** Arms the one timer the state asks for: the next fire, or the next attempt. */
  private void plan(State s) {
    timers.cancel("fire");
    timers.cancel("attempt");
    if (!s.exists()) return;
    Instant now = clock.instant();
    Execution e = s.current();
    if (e != null && e.retryAt() != null) {
      timers.startSingleTimer("attempt", new NextAttempt(e.executionId()), Delay.until(now, e.retryAt()));
    } else if (e == null && s.status() == Status.SCHEDULED && s.nextFireAt() != null) {
      timers.startSingleTimer("fire", new Due(s.nextFireAt()), Delay.until(now, s.nextFireAt().minus(policy.startAhead())));
    }
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          if (!s.exists()) return;
          Execution e = s.current();
          // Started, and its outcome never recorded: the node stopped mid-action. Resume that execution, same id.
          if (e != null && e.retryAt() == null) runAction(s);
          else plan(s);
        })
        .build();
  }

  /** One method, not the handler builder, for the reason given at {@link #commands()}. */
  @Override
  public EventHandler<State, Event> eventHandler() {
    return this::onEvent;
  }

  private State onEvent(State s, Event event) {
    if (event instanceof LabTestCreated e) return State.created(e);
    if (event instanceof LabTestEdited e) return s.edited(e.definition(), e.nextFireAt());
    if (event instanceof LabTestDeleted) return s.deleted();
    if (event instanceof LabTestPaused) return s.paused();
    if (event instanceof LabTestResumed e) return s.resumed(e.nextFireAt());
    if (event instanceof ExecutionStarted e) return s.running(new Execution(e.executionId(), e.dueAt(), e.attempt(), e.startedAt(), null));
    if (event instanceof ExecutionSucceeded e) return s.succeeded(e.executionId(), e.nextFireAt());
    if (event instanceof ExecutionFailed e) {
      return e.retryAt() == null ? s // the dead letter that follows settles it
          : s.running(new Execution(e.executionId(), s.current().dueAt(), e.attempt(), s.current().startedAt(), e.retryAt()));
    }
    if (event instanceof ExecutionDeadLettered e) {
      return s.deadLettered(new DeadLetter(e.executionId(), e.dueAt(), e.attempts(), e.error()), e.nextFireAt());
    }
    if (event instanceof MisfireSkipped e) return s.settled(e.nextFireAt());
    if (event instanceof InstantsMissed e) return s.settled(e.nextFireAt());
    throw new IllegalStateException("unknown lab-test event " + event.getClass().getName());
  }

}
