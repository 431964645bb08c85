package lims.scheduling;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import lims.kernel.Failures;
import lims.kernel.PauseFence;

/**
 * The lab-test action calls this node has made, one per execution attempt, kept until the
 * attempt's outcome is journaled (decision 0043). A lab test whose outcome could not be written
 * (the database stopped, the entity stopped with it) resumes the execution when it starts again;
 * on this node it then takes the call already made, finished or still under way, instead of
 * calling the lab's system a second time. A call waits for {@code clear} first, so that a node
 * frozen past its removal does not call at all (lims.kernel.PauseFence).
 *
 * <p>A call is made again elsewhere, with the same execution id as its Idempotency-Key, only when
 * its node dies between the call and the journaled outcome, or when Pekko stops a partition
 * handed off before the outcome is journaled (the hand-off's bound, decision 0066).
 */
public final class ActionCalls {

  /** A call: when it was first made, and its outcome (never failed: a failure is a failed outcome). */
  record Call(Instant startedAt, CompletableFuture<LabTestAction.Outcome> outcome, long madeAtNanos) {}

  /** How long an unrecorded call is kept: longer than any stop of the database a lab would ride out. */
  static final Duration KEPT = Duration.ofHours(1);
  private static final Duration SWEEP_EVERY = Duration.ofMinutes(1);
  private final AtomicLong lastSweep = new AtomicLong(System.nanoTime());

  private final LabTestAction.Runner runner;
  private final Supplier<CompletionStage<Void>> clear;
  private final Map<String, Call> calls = new ConcurrentHashMap<>();

  public ActionCalls(LabTestAction.Runner runner, Supplier<CompletionStage<Void>> clear) {
    this.runner = runner;
    this.clear = clear;
  }

  /** Without a fence: for a single entity under test. */
  static ActionCalls unfenced(LabTestAction.Runner runner) {
    return new ActionCalls(runner, () -> CompletableFuture.completedFuture(null));
  }

  /**
   * The call of this attempt: the one this node made already, or a new one, bounded by
   * {@code timeout} (the fence's wait included).
   */
  Call call(LabTestAction action, LabTestAction.Execution execution, Instant now, Duration timeout) {
    forgetOld();
    Call mine = new Call(now, new CompletableFuture<>(), System.nanoTime());
    Call made = calls.putIfAbsent(key(execution.executionId(), execution.attempt()), mine);
    if (made != null) return made;
    // Started outside the map's lock; through a future, so that a runner that throws fails this attempt instead of the entity.
    PauseFence.afterClear(clear.get(), () -> runner.run(action, execution), timeout)
        .toCompletableFuture().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .handle((done, error) -> error == null ? done : LabTestAction.Outcome.failed(describe(error)))
        .thenAccept(mine.outcome()::complete);
    return mine;
  }

  /** The call of this attempt if this node made it and its outcome is not journaled yet; never makes one. */
  Optional<Call> made(String executionId, int attempt) {
    return Optional.ofNullable(calls.get(key(executionId, attempt)));
  }

  /** The attempt's outcome is in the journal: a resumed execution can no longer ask for it. */
  void recorded(String executionId, int attempt) {
    calls.remove(key(executionId, attempt));
  }

  int size() {
    return calls.size();
  }

  /** At most once a minute: drops finished calls older than {@link #KEPT} (left by a test deleted while it ran, or moved away). */
  private void forgetOld() {
    long now = System.nanoTime();
    long last = lastSweep.get();
    if (now - last < SWEEP_EVERY.toNanos() || !lastSweep.compareAndSet(last, now)) return;
    long oldest = now - KEPT.toNanos();
    calls.values().removeIf(c -> c.outcome().isDone() && c.madeAtNanos() - oldest < 0);
  }

  private static String key(String executionId, int attempt) {
    return executionId + "#" + attempt;
  }

  private static String describe(Throwable error) {
    if (Failures.cause(error) instanceof PauseFence.NotConfirmed held) return "not called: " + held.getMessage();
    boolean timedOut = Failures.cause(error) instanceof java.util.concurrent.TimeoutException;
    return "action failed: " + (timedOut ? "no answer within the action time-out" : Failures.message(error));
  }
}
