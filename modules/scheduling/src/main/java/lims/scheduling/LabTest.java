package lims.scheduling;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Pattern;
import lims.kernel.Backoff;
import lims.kernel.CborSerializable;
import lims.kernel.Failures;
import lims.kernel.Rejection;
import lims.kernel.deadline.Delay;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
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

  public static final String SCHEDULED = "scheduled";
  public static final String RUNNING = "running";
  public static final String COMPLETED = "completed";
  public static final String PAUSED = "paused";
  public static final String DEAD_LETTERED = "dead_lettered";
  public static final String DELETED = "deleted";
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

  public sealed interface Command extends CborSerializable permits Request, Wake, Internal {}

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

  public record State(String id, Definition definition, String status, Instant nextFireAt, Execution current,
      Map<String, DeadLetter> deadLetters, String createdBy, Instant createdAt, String idempotencyToken) implements CborSerializable {

    public boolean exists() {
      return definition != null && !DELETED.equals(status);
    }

    /** Status when nothing runs: scheduled while there is a next instant, else completed or dead-lettered. */
    State settled(Instant next) {
      if (this.status.equals(PAUSED)) return new State(id, definition, PAUSED, null, null, deadLetters, createdBy, createdAt, idempotencyToken);
      String status = next != null ? SCHEDULED : deadLetters.isEmpty() ? COMPLETED : DEAD_LETTERED;
      return new State(id, definition, status, next, null, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    State running(Execution e) {
      return new State(id, definition, RUNNING, nextFireAt, e, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    State with(String status, Definition definition, Instant next) {
      return new State(id, definition, status, next, current, deadLetters, createdBy, createdAt, idempotencyToken);
    }

    State withDeadLetters(Map<String, DeadLetter> letters) {
      return new State(id, definition, status, nextFireAt, current, Map.copyOf(letters), createdBy, createdAt, idempotencyToken);
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String labTestId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final LabTestAction.Runner runner;
  private final Policy policy;
  private final Clock clock;
  private final Consumer<Event> observer;

  private LabTest(String labTestId, ActorContext<Command> context, TimerScheduler<Command> timers, LabTestAction.Runner runner,
      Policy policy, Clock clock, Consumer<Event> observer) {
    super(PersistenceId.of(TYPE.name(), labTestId), clock);
    this.labTestId = labTestId;
    this.context = context;
    this.timers = timers;
    this.runner = runner;
    this.policy = policy;
    this.clock = clock;
    this.observer = observer;
  }

  /** {@code observer} hears each event once it is persisted (metrics); never during recovery. */
  public static Behavior<Command> create(String labTestId, LabTestAction.Runner runner, Policy policy, Clock clock, Consumer<Event> observer) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new LabTest(labTestId, ctx, timers, runner, policy, clock, observer)));
  }

  private EffectBuilder<Event, State> persist(List<Event> events) {
    return Effect().persist(events).thenRun(s -> events.forEach(observer));
  }

  @Override
  public State emptyState() {
    return new State(labTestId, null, null, null, null, Map.of(), null, null, null);
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

  private ReplyEffect<Event, State> onCommand(State s, Command command) {
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
    if (command instanceof Edit c) return edit(s, c);
    if (command instanceof Delete c) {
      return persist(List.of(new LabTestDeleted(labTestId, c.by(), clock.instant()))).thenRun(x -> timers.cancelAll())
          .thenReply(c.replyTo(), Current::new);
    }
    if (command instanceof Pause c) return pause(s, c);
    if (command instanceof Resume c) return resume(s, c);
    if (command instanceof Trigger c) return trigger(s, c);
    if (command instanceof RetryDeadLetter c) return retryDeadLetter(s, c);
    if (command instanceof Due c) return due(s, c);
    if (command instanceof NextAttempt c) return nextAttempt(s, c);
    if (command instanceof RunAction c) return runActionAgain(s, c);
    if (command instanceof ActionDone c) return actionDone(s, c);
    return Effect().noReply(); // Wake: starting the entity was all it asked
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
  private ReplyEffect<Event, State> conflict(ActorRef<Reply> replyTo, String detail, String status) {
    return reject(replyTo, new Rejection(Rejection.Kind.CONFLICT, detail, Map.of("status", status)));
  }

  private ReplyEffect<Event, State> create(State s, Create c) {
    Instant now = clock.instant();
    Instant next = firstFire(c.definition().schedule(), now);
    return persist(List.of(new LabTestCreated(labTestId, c.definition(), next, c.by(), now, c.idempotencyToken()))).thenRun(this::plan)
        .thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> edit(State s, Edit c) {
    if (s.current() != null) return busy(c.replyTo(), s);
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

  private ReplyEffect<Event, State> pause(State s, Pause c) {
    if (s.status().equals(PAUSED)) return Effect().reply(c.replyTo(), new Current(s));
    if (s.current() != null) return busy(c.replyTo(), s);
    return persist(List.of(new LabTestPaused(labTestId, c.by(), clock.instant()))).thenRun(this::plan).thenReply(c.replyTo(), Current::new);
  }

  /** Instants that passed while paused are not fired: the schedule resumes from now. */
  private ReplyEffect<Event, State> resume(State s, Resume c) {
    if (!s.status().equals(PAUSED)) return Effect().reply(c.replyTo(), new Current(s));
    Instant now = clock.instant();
    Instant next = s.definition().schedule().nextAfter(now).orElse(null);
    return persist(List.of(new LabTestResumed(labTestId, next, c.by(), now))).thenRun(this::plan).thenReply(c.replyTo(), Current::new);
  }

  /**
   * A paused test runs nothing, by hand either (decision 0028): a run would end by settling the
   * test, and a paused test settles paused only if it never ran. Resume it first.
   */
  private ReplyEffect<Event, State> refusedWhilePaused(ActorRef<Reply> replyTo) {
    return conflict(replyTo, "lab test " + labTestId + " is paused; resume it to run it", PAUSED);
  }

  private ReplyEffect<Event, State> trigger(State s, Trigger c) {
    if (s.status().equals(PAUSED)) return refusedWhilePaused(c.replyTo());
    if (s.current() != null) return busy(c.replyTo(), s);
    Instant now = clock.instant();
    return start(new ExecutionStarted(labTestId, executionId(now), now, 1, now, "manual:" + c.by()), c.replyTo());
  }

  private ReplyEffect<Event, State> retryDeadLetter(State s, RetryDeadLetter c) {
    DeadLetter letter = s.deadLetters().get(c.executionId());
    if (letter == null) return reject(c.replyTo(), Rejection.notFound("no dead letter " + c.executionId() + " of lab test " + labTestId));
    if (s.status().equals(PAUSED)) return refusedWhilePaused(c.replyTo());
    if (s.current() != null) return busy(c.replyTo(), s);
    return start(new ExecutionStarted(labTestId, letter.executionId(), letter.dueAt(), letter.attempts() + 1, clock.instant(),
        "dead-letter-retry:" + c.by()), c.replyTo());
  }

  private ReplyEffect<Event, State> due(State s, Due c) {
    if (!s.status().equals(SCHEDULED) || !c.dueAt().equals(s.nextFireAt())) return Effect().noReply(); // a stale timer
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
    Instant actionStartedAt = clock.instant();
    // Real time, as the time-out below (the entity's clock may be a test's).
    var execution = new LabTestAction.Execution(labTestId, e.executionId(), e.dueAt(), e.attempt(), Instant.now().plus(policy.actionTimeout()));
    // Through a future, so that a runner that throws fails this attempt instead of the entity.
    var outcome = CompletableFuture.completedFuture(execution).thenCompose(x -> runner.run(s.definition().action(), x))
        .orTimeout(policy.actionTimeout().toMillis(), TimeUnit.MILLISECONDS);
    context.pipeToSelf(outcome, (done, error) -> new ActionDone(e.executionId(), e.attempt(), actionStartedAt,
        error == null ? done : LabTestAction.Outcome.failed("action failed: " + describe(error))));
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
          .thenRun(this::plan).thenNoReply();
    }
    if (e.attempt() <= s.definition().maxRetries()) {
      return persist(List.of(new ExecutionFailed(labTestId, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, c.outcome().log(),
          now.plus(policy.retry().after(e.attempt()))))).thenRun(this::plan).thenNoReply();
    }
    String error = c.outcome().log().isEmpty() ? "failed" : c.outcome().log().get(c.outcome().log().size() - 1);
    return persist(List.of(new ExecutionFailed(labTestId, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, c.outcome().log(), null),
            new ExecutionDeadLettered(labTestId, e.executionId(), e.dueAt(), e.attempt(), error, now, nextAfterRun(s, e, now))))
        .thenRun(this::plan).thenNoReply();
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
    } else if (e == null && s.status().equals(SCHEDULED) && s.nextFireAt() != null) {
      timers.startSingleTimer("fire", new Due(s.nextFireAt()), Delay.until(now, s.nextFireAt().minus(policy.startAhead())));
    }
  }

  private static String describe(Throwable error) {
    return Failures.cause(error) instanceof java.util.concurrent.TimeoutException ? "no answer within the action time-out" : Failures.message(error);
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
    if (event instanceof LabTestCreated e) {
      return new State(labTestId, e.definition(), SCHEDULED, null, null, Map.of(), e.by(), e.at(), e.idempotencyToken()).settled(e.nextFireAt());
    }
    if (event instanceof LabTestEdited e) return s.with(s.status(), e.definition(), s.nextFireAt()).settled(e.nextFireAt());
    if (event instanceof LabTestDeleted) return s.with(DELETED, s.definition(), null);
    if (event instanceof LabTestPaused) return s.with(PAUSED, s.definition(), null);
    if (event instanceof LabTestResumed e) return s.with(SCHEDULED, s.definition(), null).settled(e.nextFireAt());
    if (event instanceof ExecutionStarted e) return s.running(new Execution(e.executionId(), e.dueAt(), e.attempt(), e.startedAt(), null));
    if (event instanceof ExecutionSucceeded e) {
      Map<String, DeadLetter> letters = new TreeMap<>(s.deadLetters());
      letters.remove(e.executionId());
      return s.withDeadLetters(letters).settled(e.nextFireAt());
    }
    if (event instanceof ExecutionFailed e) {
      return e.retryAt() == null ? s
          : s.running(new Execution(e.executionId(), s.current().dueAt(), e.attempt(), s.current().startedAt(), e.retryAt()));
    }
    if (event instanceof ExecutionDeadLettered e) {
      TreeMap<String, DeadLetter> letters = new TreeMap<>(s.deadLetters());
      letters.put(e.executionId(), new DeadLetter(e.executionId(), e.dueAt(), e.attempts(), e.error()));
      // A test that fails for months must not grow without bound: the oldest letters beyond the cap stay listed, not retryable.
      while (letters.size() > MAX_DEAD_LETTERS) letters.pollFirstEntry();
      return s.withDeadLetters(letters).settled(e.nextFireAt());
    }
    if (event instanceof MisfireSkipped e) return s.settled(e.nextFireAt());
    if (event instanceof InstantsMissed e) return s.settled(e.nextFireAt());
    throw new IllegalStateException("unknown lab-test event " + event.getClass().getName());
  }

}
