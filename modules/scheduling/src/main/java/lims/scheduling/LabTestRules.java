package lims.scheduling;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lims.kernel.Rejection;
import lims.scheduling.LabTest.ActionDone;
import lims.scheduling.LabTest.Command;
import lims.scheduling.LabTest.Create;
import lims.scheduling.LabTest.DeadLetter;
import lims.scheduling.LabTest.Delete;
import lims.scheduling.LabTest.Due;
import lims.scheduling.LabTest.Edit;
import lims.scheduling.LabTest.Event;
import lims.scheduling.LabTest.Execution;
import lims.scheduling.LabTest.ExecutionDeadLettered;
import lims.scheduling.LabTest.ExecutionFailed;
import lims.scheduling.LabTest.ExecutionStarted;
import lims.scheduling.LabTest.ExecutionSucceeded;
import lims.scheduling.LabTest.Get;
import lims.scheduling.LabTest.InstantsMissed;
import lims.scheduling.LabTest.LabTestCreated;
import lims.scheduling.LabTest.LabTestDeleted;
import lims.scheduling.LabTest.LabTestEdited;
import lims.scheduling.LabTest.LabTestPaused;
import lims.scheduling.LabTest.LabTestResumed;
import lims.scheduling.LabTest.MisfireSkipped;
import lims.scheduling.LabTest.NextAttempt;
import lims.scheduling.LabTest.Pause;
import lims.scheduling.LabTest.Policy;
import lims.scheduling.LabTest.Request;
import lims.scheduling.LabTest.Resume;
import lims.scheduling.LabTest.RetryDeadLetter;
import lims.scheduling.LabTest.State;
import lims.scheduling.LabTest.Status;
import lims.scheduling.LabTest.Trigger;
import org.slf4j.Logger;

/**
 * What one lab test does with a command at an instant: the events it writes and whether it
 * answers (with the test as those events leave it) or refuses. Pure: the
 * {@link LabTestPartition} holding the test writes the events, with those of every other test
 * decided meanwhile, and then runs what they start (decisions 0019, 0028, 0041, 0064).
 */
final class LabTestRules {

  /** The events to write, and the answer: none, the test after the events ({@code answer}), or a refusal. */
  record Decision(List<Event> events, boolean answer, Rejection refusal) {
    static final Decision NOTHING = new Decision(List.of(), false, null);

    static Decision answer(List<Event> events) {
      return new Decision(events, true, null);
    }

    static Decision write(List<Event> events) {
      return new Decision(events, false, null);
    }

    static Decision refuse(Rejection refusal) {
      return new Decision(List.of(), false, refusal);
    }
  }

  /** Steps one look for a catch-up's start takes at most; a longer run of missed instants is cut in several. */
  static final int CATCH_UP_STEPS = 10_000;

  private final Policy policy;
  private final Logger log;

  LabTestRules(Policy policy, Logger log) {
    this.policy = policy;
    this.log = log;
  }

  /**
   * What every test answers, then what it may do in its phase: paused, running (an execution
   * under way or waiting for its next attempt) or idle (scheduled, completed, dead-lettered).
   * A command no phase knows is a bug: logged as an error, and a request is refused rather
   * than left unanswered.
   */
  Decision decide(State s, Command command, Instant now) {
    String id = s.id();
    if (s.definition() == null && command instanceof Create c) return create(id, c, now);
    if (!s.exists()) {
      if (!(command instanceof Request r)) return Decision.NOTHING;
      return Decision.refuse(r instanceof Create ? Rejection.conflict("lab test " + id + " existed and was deleted") : notFound(id));
    }
    if (command instanceof Create c) {
      return c.idempotencyToken() != null && c.idempotencyToken().equals(s.idempotencyToken()) ? Decision.answer(List.of())
          : Decision.refuse(Rejection.conflict("lab test " + id + " already exists"));
    }
    if (command instanceof Get) return Decision.answer(List.of());
    if (command instanceof Delete c) return Decision.answer(List.of(new LabTestDeleted(id, c.by(), now)));
    if (command instanceof RetryDeadLetter c && !s.deadLetters().containsKey(c.executionId())) {
      return Decision.refuse(Rejection.notFound("no dead letter " + c.executionId() + " of lab test " + id));
    }
    if (s.status() == Status.PAUSED) return whilePaused(s, command, now);
    if (s.current() != null) return whileRunning(s, command, now);
    return whileIdle(s, command, now);
  }

  /** Paused: edited or resumed by hand; it runs nothing, by hand either (decision 0028). */
  private Decision whilePaused(State s, Command command, Instant now) {
    if (command instanceof Edit c) return edit(s.id(), c, now);
    if (command instanceof Pause) return Decision.answer(List.of());
    if (command instanceof Resume c) return resume(s, c, now);
    if (command instanceof Trigger || command instanceof RetryDeadLetter) return refusedWhilePaused(s.id());
    if (isTimerOrAnswer(command)) return Decision.NOTHING; // from before the pause
    return unknownCommand(s, command);
  }

  /** An execution under way: its attempts run, and a change by hand waits for it to end (a conflict naming it). */
  private Decision whileRunning(State s, Command command, Instant now) {
    if (command instanceof ActionDone c) return actionDone(s, c, now);
    if (command instanceof NextAttempt c) return nextAttempt(s, c, now);
    if (command instanceof Due) return Decision.NOTHING; // the instant after this execution is planned when it ends
    if (command instanceof Resume) return Decision.answer(List.of()); // not paused
    if (command instanceof Edit || command instanceof Pause || command instanceof Trigger || command instanceof RetryDeadLetter) {
      return conflict("execution " + s.current().executionId() + " is under way", s.status());
    }
    return unknownCommand(s, command);
  }

  /** Nothing under way: its next instant fires; it may be edited, paused, run or retried by hand. */
  private Decision whileIdle(State s, Command command, Instant now) {
    if (command instanceof Due c) return due(s, c, now);
    if (command instanceof Edit c) return edit(s.id(), c, now);
    if (command instanceof Pause c) return Decision.answer(List.of(new LabTestPaused(s.id(), c.by(), now)));
    if (command instanceof Resume) return Decision.answer(List.of()); // not paused
    if (command instanceof Trigger c) {
      return Decision.answer(List.of(new ExecutionStarted(s.id(), LabTest.executionId(s.id(), now), now, 1, now, "manual:" + c.by())));
    }
    if (command instanceof RetryDeadLetter c) {
      DeadLetter letter = s.deadLetters().get(c.executionId());
      return Decision.answer(List.of(new ExecutionStarted(s.id(), letter.executionId(), letter.dueAt(), letter.attempts() + 1, now,
          "dead-letter-retry:" + c.by())));
    }
    if (isTimerOrAnswer(command)) return Decision.NOTHING; // of an execution already settled
    return unknownCommand(s, command);
  }

  private static boolean isTimerOrAnswer(Command command) {
    return command instanceof Due || command instanceof NextAttempt || command instanceof ActionDone;
  }

  private Decision unknownCommand(State s, Command command) {
    log.error("lab test {}: no handler for {} while {}", s.id(), command.getClass().getName(), s.status());
    if (!(command instanceof Request)) return Decision.NOTHING;
    return Decision.refuse(Rejection.invalid("lab test " + s.id() + " does not handle " + command.getClass().getSimpleName()));
  }

  private static Rejection notFound(String id) {
    return Rejection.notFound("no lab test " + id);
  }

  /** A 409 naming the test's status, so a client sees what the test is doing. */
  private static Decision conflict(String detail, Status status) {
    return Decision.refuse(new Rejection(Rejection.Kind.CONFLICT, detail, Map.of("status", status.wireName())));
  }

  /**
   * A paused test runs nothing, by hand either (decision 0028): a run would end by settling the
   * test, and a paused test settles paused only if it never ran. Resume it first.
   */
  private static Decision refusedWhilePaused(String id) {
    return conflict("lab test " + id + " is paused; resume it to run it", Status.PAUSED);
  }

  private static Decision create(String id, Create c, Instant now) {
    return Decision.answer(List.of(new LabTestCreated(id, c.definition(), firstFire(c.definition().schedule(), now), c.by(), now,
        c.idempotencyToken())));
  }

  private static Decision edit(String id, Edit c, Instant now) {
    return Decision.answer(List.of(new LabTestEdited(id, c.definition(), firstFire(c.definition().schedule(), now), c.by(), now)));
  }

  /**
   * The first instant of a new or edited schedule. A one-time test's instant is its first fire
   * even if it passed a moment ago (the API refuses past instants, but one can pass between
   * the check and the test): it then fires at once, late, instead of never.
   */
  private static Instant firstFire(Schedule schedule, Instant now) {
    return schedule.recurring() ? schedule.nextAfter(now).orElse(null) : schedule.at();
  }

  /** Instants that passed while paused are not fired: the schedule resumes from now. */
  private static Decision resume(State s, Resume c, Instant now) {
    Instant next = s.definition().schedule().nextAfter(now).orElse(null);
    return Decision.answer(List.of(new LabTestResumed(s.id(), next, c.by(), now)));
  }

  private Decision due(State s, Due c, Instant now) {
    if (s.status() != Status.SCHEDULED || !c.dueAt().equals(s.nextFireAt())) return Decision.NOTHING; // a stale wake-up
    if (now.isBefore(c.dueAt().minus(policy.startAhead()))) return Decision.NOTHING; // early: planned again
    Duration late = Duration.between(c.dueAt(), now);
    String misfire = s.definition().misfirePolicy();
    if (late.compareTo(policy.misfireThreshold()) > 0 && LabTest.SKIP.equals(misfire)) {
      Instant next = s.definition().schedule().nextAfter(now).orElse(null);
      return Decision.write(List.of(new MisfireSkipped(s.id(), c.dueAt(), next, now)));
    }
    if (late.compareTo(policy.catchUpWindow()) > 0 && LabTest.FIRE_ALL.equals(misfire)) {
      Instant from = catchUpFrom(s.definition().schedule(), c.dueAt(), now);
      if (from.isAfter(c.dueAt())) {
        log.warn("lab test {}: instants from {} up to {} not fired, more than the catch-up window ({}) late", s.id(), c.dueAt(), from,
            policy.catchUpWindow());
        return Decision.write(List.of(new InstantsMissed(s.id(), c.dueAt(), from, policy.catchUpWindow(), now)));
      }
    }
    return Decision.write(List.of(new ExecutionStarted(s.id(), LabTest.executionId(s.id(), c.dueAt()), c.dueAt(), 1, now, "schedule")));
  }

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

  private static Decision nextAttempt(State s, NextAttempt c, Instant now) {
    Execution e = s.current();
    if (e.retryAt() == null || !e.executionId().equals(c.executionId()) || now.isBefore(e.retryAt())) return Decision.NOTHING;
    return Decision.write(List.of(new ExecutionStarted(s.id(), e.executionId(), e.dueAt(), e.attempt() + 1, now, "retry")));
  }

  private Decision actionDone(State s, ActionDone c, Instant now) {
    Execution e = s.current();
    String id = s.id();
    if (e.retryAt() != null || !e.executionId().equals(c.executionId()) || e.attempt() != c.attempt()) {
      return Decision.NOTHING; // an answer for an attempt already settled
    }
    List<String> log = c.outcome().log();
    if (c.outcome().succeeded()) {
      return Decision.write(List.of(new ExecutionSucceeded(id, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, log,
          nextAfterRun(s, e, now))));
    }
    if (e.attempt() <= s.definition().maxRetries()) {
      return Decision.write(List.of(new ExecutionFailed(id, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, log,
          now.plus(policy.retry().after(e.attempt())))));
    }
    String error = log.isEmpty() ? "failed" : log.get(log.size() - 1);
    return Decision.write(List.of(new ExecutionFailed(id, e.executionId(), e.dueAt(), e.attempt(), c.actionStartedAt(), now, log, null),
        new ExecutionDeadLettered(id, e.executionId(), e.dueAt(), e.attempt(), error, now, nextAfterRun(s, e, now))));
  }

  /**
   * The next instant once an execution is over: after its due instant and after now, so the
   * instants that passed while a scheduled run went on are not fired late one after another;
   * under {@code fire_all} the one after its due instant, so they are (decision 0041).
   * A manual run (trigger, dead-letter retry) leaves the schedule's next instant as it was:
   * one that passed while it ran is then due at once, and fires late or is skipped under the
   * misfire policy, as an instant missed any other way (decision 0028).
   */
  private static Instant nextAfterRun(State s, Execution e, Instant now) {
    boolean scheduled = s.nextFireAt() != null && e.dueAt().equals(s.nextFireAt());
    if (!scheduled && s.nextFireAt() != null) return s.nextFireAt();
    boolean everyInstant = LabTest.FIRE_ALL.equals(s.definition().misfirePolicy());
    Instant from = everyInstant || e.dueAt().isAfter(now) ? e.dueAt() : now;
    return s.definition().schedule().nextAfter(from).orElse(null);
  }
}
