package lims.scheduling;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;
import lims.kernel.Backoff;
import lims.kernel.CborSerializable;
import lims.kernel.Rejection;
import lims.kernel.WireNames;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * A scheduled lab test (docs/domain.md, Scheduled lab tests): its definition, state, commands
 * and events. Invariants: one execution per due instant, and at most one at a time;
 * {@code ExecutionStarted} is persisted before the action runs and its outcome after, so a
 * crash in between resumes the same execution (same id, the action's idempotency key)
 * instead of starting another. What a test does with a command is decided in
 * {@link LabTestRules}; tests live, are written and fire in groups in a
 * {@link LabTestPartition} (decision 0064).
 */
public final class LabTest {

  private LabTest() {}

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

  /** What a test is told: a request someone waits on, or its partition's own step (an instant came, an action answered). */
  public sealed interface Command extends CborSerializable permits Request, Internal {}

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

  sealed interface Internal extends Command permits Due, NextAttempt, ActionDone {}

  /** The test's next instant (less the start-ahead) has come. */
  record Due(Instant dueAt) implements Internal {}

  /** A failed execution's retry is due. */
  record NextAttempt(String executionId) implements Internal {}

  record ActionDone(String executionId, int attempt, Instant actionStartedAt, LabTestAction.Outcome outcome) implements Internal {}

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  public record Current(State labTest) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  public sealed interface Event extends CborSerializable permits LabTestCreated, LabTestEdited, LabTestDeleted, LabTestPaused,
      LabTestResumed, ExecutionStarted, ExecutionSucceeded, ExecutionFailed, ExecutionDeadLettered, MisfireSkipped, InstantsMissed, LabTestRestored {
    /** The test the event is about. */
    String labTestId();
  }

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
   * A completed test its partition had forgotten (decision 0064), taken back from the read
   * table as it was, so that a change by hand applies to it; written just before that change.
   */
  public record LabTestRestored(String labTestId, State state, Instant at) implements Event {}

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

  /** The id of a test's execution for a due instant: the same for every attempt and after any crash ({@link #EXECUTION_ID}). */
  public static String executionId(String labTestId, Instant dueAt) {
    return labTestId + "-" + dueAt.toEpochMilli();
  }

  /** A test after one of its events: the one place the events change a test (the partition applies them in order). */
  public static State apply(State s, Event event) {
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
    if (event instanceof LabTestRestored e) return e.state();
    throw new IllegalStateException("unknown lab-test event " + event.getClass().getName());
  }

}
