package lims.analysis;

import com.fasterxml.jackson.annotation.JsonCreator;
import com.fasterxml.jackson.annotation.JsonValue;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import lims.kernel.Backoff;
import lims.kernel.CborSerializable;
import lims.kernel.Failures;
import lims.kernel.Rejection;
import lims.kernel.WireNames;
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
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * One run of a remote pipeline for one specimen (docs/domain.md, Analyses). Invariants: the
 * pipeline is started at most once per run (a repeated start finds the tmux session and
 * counts it as started); the run ends exactly once, as succeeded, failed, timed_out or
 * cancelled; a result that arrives after the end is recorded but changes nothing; a run
 * that ended while its session may still be running gets that session killed, however
 * often the node stops on the way. The deadline lives in the state and its timer is
 * re-armed on every recovery; the deadline index wakes a passivated run in time.
 */
public final class Analysis extends ShardedEntity<Analysis.Command, Analysis.Event, Analysis.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "Analysis");
  public static final EventTags TAGS = new EventTags("analysis", 4);
  /**
   * Analysis ids; result folders are named by them. A specimen's runs are numbered
   * ({@code lims.specimen.Specimen#analysisId}); a run a scheduled lab test starts is named by
   * its execution ({@code AN-LT-<test>-<due epoch ms>}, and {@code -<attempt>} for a retry after
   * a run that failed; the lab-test part as LabTest.EXECUTION_ID, which this module cannot see).
   */
  public static final Pattern ID = Pattern.compile("AN-(SP-[0-9]{4}-[0-9]{6,12}-[0-9]{1,6}|LT-[0-9a-f]{12,17}-[0-9]{1,19}(-[0-9]{1,9})?)");

  /**
   * Where a run is. In flight: dispatching (its start not yet confirmed), running. Ended, once
   * and for good: succeeded, failed, timed_out, cancelled. Spelled on the wire, in the read
   * table and in a serialized state in lower case ({@link #wireName()}).
   */
  public enum Status {
    DISPATCHING,
    RUNNING,
    SUCCEEDED,
    FAILED,
    TIMED_OUT,
    CANCELLED;

    @JsonValue
    public String wireName() {
      return WireNames.of(this);
    }

    /** The wire name, so that a status in a message or a log line reads as the API spells it. */
    @Override
    public String toString() {
      return wireName();
    }

    @JsonCreator
    public static Status fromWireName(String name) {
      return WireNames.parse(Status.class, name).orElseThrow(() -> new IllegalArgumentException("no analysis status " + name));
    }

    public boolean inFlight() {
      return this == DISPATCHING || this == RUNNING;
    }

    /** Runs that end early (cancelled, timed out) may leave their tmux session running: it is killed. */
    public boolean killsSession() {
      return this == CANCELLED || this == TIMED_OUT;
    }
  }

  /** The failure reason of a run whose pipeline reported failure. */
  public static final String PIPELINE_FAILED = "the pipeline reported failure";

  /** How a run ended: its final status, why (null for success), when, and for which specimen (null for a scheduled run). */
  public record Ending(Status state, String reason, Instant at, String specimenId) {
    public boolean succeeded() {
      return state == Status.SUCCEEDED;
    }
  }

  /**
   * The one rule for how an event ends a run, read by the entity, its read table and the
   * reaction that moves the specimen. Empty for events that end nothing (a late result too).
   */
  public static Optional<Ending> ending(Event event) {
    if (event instanceof AnalysisFailed e) return Optional.of(new Ending(Status.FAILED, e.reason(), e.at(), e.specimenId()));
    if (event instanceof ResultRecorded e && e.counted()) {
      return Optional.of(e.status().equals(Status.SUCCEEDED.wireName()) ? new Ending(Status.SUCCEEDED, null, e.at(), e.specimenId())
          : new Ending(Status.FAILED, PIPELINE_FAILED, e.at(), e.specimenId()));
    }
    if (event instanceof AnalysisTimedOut e) return Optional.of(new Ending(Status.TIMED_OUT, "timeout", e.at(), e.specimenId()));
    if (event instanceof AnalysisCancelled e) {
      String why = e.reason() == null || e.reason().isBlank() ? "cancelled" : "cancelled: " + e.reason();
      return Optional.of(new Ending(Status.CANCELLED, why, e.at(), e.specimenId()));
    }
    return Optional.empty();
  }

  /** How dispatch failures are retried. */
  public record DispatchPolicy(int attempts, Backoff backoff) {}

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Request, Get, AwaitDispatch, Cancel, RecordResult, Wake, Internal {}

  /** Start a run for a specimen; a repeat changes nothing and answers the run. */
  public record Request(String specimenId, String barcode, List<String> testsRequested, String pipeline, Map<String, String> parameters,
      ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  /**
   * Replies with the run once it has left dispatching (at once if it has), as a device's
   * AwaitExecution does. The wait is not stored: an asker whose run's entity restarted meanwhile
   * hears nothing, and asks again after its own time-out.
   */
  public record AwaitDispatch(ActorRef<Reply> replyTo) implements Command {}

  public record Cancel(String reason, String by, ActorRef<Reply> replyTo) implements Command {}

  /** A result file's content, from the results watcher; {@code status} is succeeded or failed. */
  public record RecordResult(String status, Map<String, Object> result, ActorRef<Reply> replyTo) implements Command {}

  /** From the deadline sweeper: starting the entity is the point; recovery re-arms its timers. */
  public record Wake() implements Command {}

  /** Messages the entity sends itself. */
  sealed interface Internal extends Command permits Dispatch, DispatchDone, DeadlineReached, Kill, KillDone, TellDispatchAwaiters {}

  record Dispatch(int attempt) implements Internal {}

  record DispatchDone(int attempt, String failure) implements Internal {}

  record DeadlineReached() implements Internal {}

  record Kill() implements Internal {}

  /** {@code round}: the kill round it was sent in; an answer from an earlier round confirms nothing. */
  record KillDone(String failure, int round) implements Internal {}

  /** After a command, once its events are stored: answer the AwaitDispatch askers if the run has left dispatching. */
  record TellDispatchAwaiters() implements Internal {}

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  public record Current(State analysis) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  public sealed interface Event extends CborSerializable permits AnalysisRequested, DispatchAttemptFailed, AnalysisDispatched,
      AnalysisFailed, ResultRecorded, AnalysisTimedOut, AnalysisCancelled, RemoteSessionEnded, SessionStartedAfterEnd {
    String analysisId();
  }

  /** {@code command} is null when no command could be built; an AnalysisFailed follows then. */
  public record AnalysisRequested(String analysisId, String specimenId, String pipeline, String remoteSession, String command,
      Instant requestedAt, Instant deadline) implements Event {}

  public record DispatchAttemptFailed(String analysisId, int attempt, String reason, Instant at) implements Event {}

  public record AnalysisDispatched(String analysisId, int attempt, Instant at) implements Event {}

  /** The run could not be started (no pipeline, a bad value, every dispatch attempt failed). */
  public record AnalysisFailed(String analysisId, String specimenId, String reason, Instant at) implements Event {}

  /** A result file; {@code counted} is false when it came after the run had ended (recorded, not acted on). */
  public record ResultRecorded(String analysisId, String specimenId, String status, Map<String, Object> result, boolean counted,
      Instant at) implements Event {}

  public record AnalysisTimedOut(String analysisId, String specimenId, Instant deadline, Instant at) implements Event {}

  public record AnalysisCancelled(String analysisId, String specimenId, String reason, String by, Instant at) implements Event {}

  /** The tmux session of a cancelled or timed-out run is gone. */
  public record RemoteSessionEnded(String analysisId, Instant at) implements Event {}

  /**
   * A start that was under way when the run ended answered after its session had been
   * killed: it may have started the session again, which must be killed again.
   */
  public record SessionStartedAfterEnd(String analysisId, Instant at) implements Event {}

  /**
   * A run as its events left it; {@code status} is null until it is requested. Changed only by
   * the named steps below, one per event, each saying what that event changes.
   */
  public record State(
      String id,
      String specimenId,
      String pipeline,
      String remoteSession,
      String command,
      Status status,
      Instant requestedAt,
      Instant dispatchedAt,
      Instant deadline,
      Instant finishedAt,
      int attempts,
      String failureReason,
      String resultStatus,
      Map<String, Object> result,
      boolean resultCounted,
      boolean sessionEnded)
      implements CborSerializable {

    /** A run nobody asked for (yet). */
    static State unrequested(String id) {
      return new State(id, null, null, null, null, null, null, null, null, null, 0, null, null, null, false, false);
    }

    public boolean exists() {
      return status != null;
    }

    public boolean inFlight() {
      return exists() && status.inFlight();
    }

    public boolean hasEnded() {
      return exists() && !status.inFlight();
    }

    /** Ended early while its tmux session may still run: the session must be killed. */
    public boolean sessionToKill() {
      return exists() && status.killsSession() && command != null && !sessionEnded;
    }

    /** Asked for: dispatching, its start not yet tried. */
    static State requested(AnalysisRequested e) {
      return new State(e.analysisId(), e.specimenId(), e.pipeline(), e.remoteSession(), e.command(), Status.DISPATCHING, e.requestedAt(),
          null, e.deadline(), null, 0, null, null, null, false, false);
    }

    /** A start failed: still dispatching, with the attempt and why. */
    State dispatchFailed(int attempt, String reason) {
      return new State(id, specimenId, pipeline, remoteSession, command, status, requestedAt, null, deadline, null, attempt, reason,
          resultStatus, result, resultCounted, sessionEnded);
    }

    /** The start got through: running since {@code at}. */
    State dispatched(int attempt, Instant at) {
      return new State(id, specimenId, pipeline, remoteSession, command, Status.RUNNING, requestedAt, at, deadline, null, attempt, null,
          resultStatus, result, resultCounted, sessionEnded);
    }

    State ended(Ending end) {
      return new State(id, specimenId, pipeline, remoteSession, command, end.state(), requestedAt, dispatchedAt, deadline, end.at(), attempts,
          end.reason(), resultStatus, result, resultCounted, sessionEnded);
    }

    /** A result file, counted or (after the end) only kept. */
    State resultRecorded(ResultRecorded e) {
      return new State(id, specimenId, pipeline, remoteSession, command, status, requestedAt, dispatchedAt, deadline, finishedAt, attempts,
          failureReason, e.status(), e.result(), e.counted(), sessionEnded);
    }

    /** Its tmux session is gone ({@code true}), or may run again after a late start ({@code false}). */
    State sessionGone(boolean gone) {
      return new State(id, specimenId, pipeline, remoteSession, command, status, requestedAt, dispatchedAt, deadline, finishedAt, attempts,
          failureReason, resultStatus, result, resultCounted, gone);
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String analysisId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final Pipelines pipelines;
  private final RemoteHost remote;
  private final DispatchPolicy policy;
  /** "Now" for the time limit and the events' instants: the system clock, or a test's moved with its timers. */
  private final Clock clock;
  private int killAttempts;
  /**
   * Raised whenever a start answers after the run ended: a kill sent before that may have run
   * before the start did, so its success no longer proves the session gone.
   */
  private int killRound;
  /** Askers of AwaitDispatch while the run dispatches; transient, like the dispatch itself. */
  private final List<ActorRef<Reply>> awaitingDispatch = new ArrayList<>();

  private Analysis(String analysisId, ActorContext<Command> context, TimerScheduler<Command> timers, Pipelines pipelines, RemoteHost remote,
      DispatchPolicy policy, Clock clock) {
    super(PersistenceId.of(TYPE.name(), analysisId), clock);
    this.analysisId = analysisId;
    this.context = context;
    this.timers = timers;
    this.pipelines = pipelines;
    this.remote = remote;
    this.policy = policy;
    this.clock = clock;
  }

  public static Behavior<Command> create(String analysisId, Pipelines pipelines, RemoteHost remote, DispatchPolicy policy, Clock clock) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new Analysis(analysisId, ctx, timers, pipelines, remote, policy, clock)));
  }

  @Override
  public State emptyState() {
    return State.unrequested(analysisId);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(analysisId);
  }

  /** What a run may do in each phase: before it is requested, while in flight, once ended; then what every run answers. */
  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    var builder = newCommandHandlerWithReplyBuilder();
    builder.forState(s -> !s.exists())
        .onCommand(Request.class, this::request)
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), unknown()))
        .onCommand(Cancel.class, (s, c) -> Effect().reply(c.replyTo(), unknown()))
        .onCommand(RecordResult.class, (s, c) -> Effect().reply(c.replyTo(), unknown()))
        .onCommand(AwaitDispatch.class, (s, c) -> Effect().reply(c.replyTo(), unknown()))
        .onAnyCommand(c -> Effect().noReply());
    builder.forState(State::inFlight)
        .onCommand(Dispatch.class, (s, c) -> {
          if (s.status() == Status.DISPATCHING) dispatch(s, c.attempt());
          return Effect().noReply();
        })
        .onCommand(DispatchDone.class, this::dispatchDone)
        .onCommand(DeadlineReached.class, this::deadlineReached)
        .onCommand(Cancel.class, this::cancel)
        .onCommand(RecordResult.class, this::recordResult);
    builder.forState(State::hasEnded)
        .onCommand(DispatchDone.class, this::startAnsweredAfterEnd)
        .onCommand(Kill.class, (s, c) -> {
          if (s.sessionToKill()) kill(s);
          return Effect().noReply();
        })
        .onCommand(KillDone.class, this::killDone)
        .onCommand(Cancel.class, (s, c) -> s.status() == Status.CANCELLED ? Effect().reply(c.replyTo(), new Current(s))
            : Effect().reply(c.replyTo(), new Rejected(new Rejection(Rejection.Kind.CONFLICT, "analysis " + analysisId + " is already "
                + s.status().wireName(), Map.of("state", s.status().wireName())))))
        .onCommand(RecordResult.class, this::recordResult);
    builder.forAnyState()
        .onCommand(Request.class, (s, c) -> Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), new Current(s)))
        .onCommand(AwaitDispatch.class, this::awaitDispatch)
        .onCommand(TellDispatchAwaiters.class, this::tellDispatchAwaiters)
        // A wake-up, or a timer or an answer the run's phase has no use for (a kill in flight, a deadline after the end).
        .onAnyCommand(c -> Effect().noReply());
    CommandHandlerWithReply<Command, Event, State> handler = builder.build();
    // A run leaves dispatching only by a command's events (dispatched, failed, timed out,
    // cancelled, a result): after each command, once its events are stored, the askers hear.
    return (s, c) -> {
      ReplyEffect<Event, State> effect = handler.apply(s, c);
      if (!awaitingDispatch.isEmpty() && !(c instanceof TellDispatchAwaiters)) context.getSelf().tell(new TellDispatchAwaiters());
      return effect;
    };
  }

  private ReplyEffect<Event, State> awaitDispatch(State s, AwaitDispatch c) {
    if (s.status() != Status.DISPATCHING) return Effect().reply(c.replyTo(), new Current(s));
    awaitingDispatch.add(c.replyTo());
    return Effect().noReply();
  }

  private ReplyEffect<Event, State> tellDispatchAwaiters(State s, TellDispatchAwaiters c) {
    if (s.status() != Status.DISPATCHING) {
      awaitingDispatch.forEach(r -> r.tell(new Current(s)));
      awaitingDispatch.clear();
    }
    return Effect().noReply();
  }

  private Rejected unknown() {
    return new Rejected(Rejection.notFound("no analysis " + analysisId));
  }

  private ReplyEffect<Event, State> request(State s, Request c) {
    Instant now = clock.instant();
    Pipelines.Resolved resolved = pipelines.resolve(c.pipeline(), c.testsRequested());
    if (resolved.pipeline() == null) return failedAtOnce(c, c.pipeline() == null ? "none" : c.pipeline(), resolved.failure(), now);
    Pipeline p = resolved.pipeline();
    String command;
    try {
      command = p.command().render(analysisId, c.specimenId(), c.barcode(), p.resultFolder(analysisId).toString(), c.parameters());
    } catch (IllegalArgumentException e) {
      return failedAtOnce(c, p.name(), e.getMessage(), now);
    }
    return Effect()
        .persist(new AnalysisRequested(analysisId, c.specimenId(), p.name(), p.remoteSession(analysisId), command, now,
            now.plus(p.timeLimit())))
        .thenRun(started -> {
          armDeadline(started);
          dispatch(started, 1);
        })
        .thenReply(c.replyTo(), Current::new);
  }

  /** A run that cannot start (no pipeline, a value the command refuses) is recorded and fails at once, with the reason. */
  private ReplyEffect<Event, State> failedAtOnce(Request c, String pipeline, String reason, Instant now) {
    return Effect().persist(List.of(new AnalysisRequested(analysisId, c.specimenId(), pipeline, null, null, now, now),
            new AnalysisFailed(analysisId, c.specimenId(), reason, now)))
        .thenReply(c.replyTo(), Current::new);
  }

  private void dispatch(State s, int attempt) {
    Pipeline p = pipelines.named(s.pipeline()).orElse(null);
    if (p == null) {
      context.getSelf().tell(new DispatchDone(attempt, "pipeline '" + s.pipeline() + "' is no longer configured"));
      return;
    }
    context.pipeToSelf(remote.start(p, analysisId, s.command()),
        (ok, error) -> new DispatchDone(attempt, error == null ? null : Failures.message(error)));
  }

  /**
   * A start answered after the run ended. Ended early (cancelled, timed out): whatever it
   * answered (a time-out may hide a start that got through), it may have started the session
   * after a kill: kill again, and let only this round's answers confirm the end. Durably so if
   * the end was already confirmed. Any other end: nothing to do.
   */
  private ReplyEffect<Event, State> startAnsweredAfterEnd(State s, DispatchDone c) {
    if (!s.status().killsSession()) return Effect().noReply();
    if (pipelines.named(s.pipeline()).isEmpty()) return Effect().noReply(); // no longer configured: nothing was started
    killRound++;
    if (s.sessionEnded()) return Effect().persist(new SessionStartedAfterEnd(analysisId, clock.instant())).thenRun(this::kill).thenNoReply();
    kill(s);
    return Effect().noReply();
  }

  /** A start answered in flight: counted once per attempt, while dispatching; a stale or repeated answer changes nothing. */
  private ReplyEffect<Event, State> dispatchDone(State s, DispatchDone c) {
    Instant now = clock.instant();
    if (s.status() != Status.DISPATCHING || c.attempt() <= s.attempts()) return Effect().noReply();
    if (c.failure() == null) {
      return Effect().persist(new AnalysisDispatched(analysisId, c.attempt(), now)).thenNoReply();
    }
    context.getLog().warn("analysis {}: dispatch attempt {} of {} failed: {}", analysisId, c.attempt(), policy.attempts(), c.failure());
    if (c.attempt() >= policy.attempts()) {
      return Effect().persist(List.of(new DispatchAttemptFailed(analysisId, c.attempt(), c.failure(), now),
          new AnalysisFailed(analysisId, s.specimenId(), "dispatch failed after " + c.attempt() + " attempts: " + c.failure(), now)))
          .thenRun(x -> {
            timers.cancelAll();
            // A start whose answer was lost may have started the session all the same: one kill,
            // so that a retry of the analysis does not run beside it (best effort: the host
            // just refused several starts; its answer changes nothing here).
            kill(x);
          })
          .thenNoReply();
    }
    return Effect().persist(new DispatchAttemptFailed(analysisId, c.attempt(), c.failure(), now))
        .thenRun(x -> timers.startSingleTimer("dispatch", new Dispatch(c.attempt() + 1), policy.backoff().after(c.attempt())))
        .thenNoReply();
  }

  private ReplyEffect<Event, State> deadlineReached(State s, DeadlineReached c) {
    Instant now = clock.instant();
    if (now.isBefore(s.deadline())) { // a timer capped at Delay.MAX: not yet
      armDeadline(s);
      return Effect().noReply();
    }
    return Effect().persist(new AnalysisTimedOut(analysisId, s.specimenId(), s.deadline(), now)).thenRun(this::end).thenNoReply();
  }

  /** Cancels a run in flight; an ended run's answer is in {@link #commands()}. */
  private ReplyEffect<Event, State> cancel(State s, Cancel c) {
    return Effect().persist(new AnalysisCancelled(analysisId, s.specimenId(), c.reason(), c.by(), clock.instant()))
        .thenRun(this::end)
        .thenReply(c.replyTo(), Current::new);
  }

  private ReplyEffect<Event, State> recordResult(State s, RecordResult c) {
    if (s.resultStatus() != null) return Effect().reply(c.replyTo(), new Current(s));
    ResultRecorded recorded = new ResultRecorded(analysisId, s.specimenId(), c.status(), c.result(), s.inFlight(), clock.instant());
    if (!recorded.counted()) {
      context.getLog().info("analysis {} is {}: its result is recorded and changes nothing", analysisId, s.status().wireName());
    }
    return Effect().persist(recorded).thenRun(x -> timers.cancel("deadline")).thenReply(c.replyTo(), Current::new);
  }

  /** After a run ended early: no more deadline or dispatch timers; kill its session if it may be running. */
  private void end(State s) {
    timers.cancelAll();
    if (s.sessionToKill()) kill(s);
  }

  private void kill(State s) {
    Pipeline p = pipelines.named(s.pipeline()).orElse(null);
    if (p == null) {
      context.getLog().warn("analysis {}: pipeline '{}' is no longer configured; its session cannot be killed", analysisId, s.pipeline());
      return;
    }
    int round = killRound;
    context.pipeToSelf(remote.kill(p, analysisId), (ok, error) -> new KillDone(error == null ? null : Failures.message(error), round));
  }

  private ReplyEffect<Event, State> killDone(State s, KillDone c) {
    if (!s.sessionToKill() || c.round() != killRound) return Effect().noReply();
    if (c.failure() == null) return Effect().persist(new RemoteSessionEnded(analysisId, clock.instant())).thenNoReply();
    killAttempts++;
    context.getLog().warn("analysis {}: killing {} failed (try {}): {}", analysisId, s.remoteSession(), killAttempts, c.failure());
    timers.startSingleTimer("kill", new Kill(), policy.backoff().after(killAttempts));
    return Effect().noReply();
  }

  private void armDeadline(State s) {
    timers.startSingleTimer("deadline", new DeadlineReached(), Delay.until(clock.instant(), s.deadline()));
  }

  @Override
  public SignalHandler<State> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), s -> {
          if (!s.exists()) return;
          if (s.inFlight()) armDeadline(s);
          // At least once: a start whose outcome was not recorded is repeated; tmux refuses a second session of the same name.
          if (s.status() == Status.DISPATCHING) dispatch(s, s.attempts() + 1);
          if (s.sessionToKill()) kill(s);
        })
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(AnalysisRequested.class, (s, e) -> State.requested(e))
        .onEvent(DispatchAttemptFailed.class, (s, e) -> s.dispatchFailed(e.attempt(), e.reason()))
        .onEvent(AnalysisDispatched.class, (s, e) -> s.dispatched(e.attempt(), e.at()))
        .onEvent(AnalysisFailed.class, (s, e) -> s.ended(ending(e).orElseThrow()))
        .onEvent(ResultRecorded.class, (s, e) -> ending(e).map(s.resultRecorded(e)::ended).orElse(s.resultRecorded(e)))
        .onEvent(AnalysisTimedOut.class, (s, e) -> s.ended(ending(e).orElseThrow()))
        .onEvent(AnalysisCancelled.class, (s, e) -> s.ended(ending(e).orElseThrow()))
        .onEvent(RemoteSessionEnded.class, (s, e) -> s.sessionGone(true))
        .onEvent(SessionStartedAfterEnd.class, (s, e) -> s.sessionGone(false))
        .build();
  }
}
