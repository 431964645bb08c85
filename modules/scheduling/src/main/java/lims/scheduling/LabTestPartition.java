package lims.scheduling;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Consumer;
import lims.kernel.CborSerializable;
import lims.kernel.ShardedEntity;
import lims.kernel.deadline.Delay;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.ActorContext;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.actor.typed.javadsl.TimerScheduler;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.RecoveryCompleted;
import org.apache.pekko.persistence.typed.SnapshotAdapter;
import org.apache.pekko.persistence.typed.SnapshotCompleted;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;
import org.apache.pekko.persistence.typed.javadsl.RetentionCriteria;
import org.apache.pekko.persistence.typed.javadsl.SignalHandler;

/**
 * A firing partition (decision 0064): a sharded, event-sourced owner of every lab test whose id
 * hashes to it. It holds its tests and their next wake-ups in memory, with one timer for the
 * earliest, and writes in groups: whatever its tests decide while a write is under way —
 * instants come, actions answer, tests are created or edited — goes into the next write, one
 * journal event ({@link Batch}) for all of them. The journal's sequence numbers still allow one
 * writer, so the partition is the lock that the test entity was: never two executions for one
 * due instant, and an execution started and not finished is resumed with the same id after a
 * crash. Replies go out once their write is in the journal.
 */
public final class LabTestPartition extends ShardedEntity<LabTestPartition.Command, LabTestPartition.Event, LabTestPartition.Tests> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "LabTestPartition");

  /** The partition a test belongs to, of {@code partitions}: fixed for the cluster's life (its journal is the test's). */
  public static String of(String labTestId, int partitions) {
    return String.valueOf(Math.floorMod(labTestId.hashCode(), partitions));
  }

  /**
   * Events per journal event: a burst of 100,000 due at one instant is written as 400 rows in
   * one transaction, not one huge row; and a row's changes fit in half an event-stream client's
   * queue (the stream hands on a row whole).
   */
  static final int EVENTS_PER_BATCH = 250;

  /** Wake-ups taken in one pass: a large burst is decided in slices, each written while the next is decided. */
  static final int WAKEUPS_PER_PASS = 2000;

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits ForTest, CreateAll, Wake, Stop, Tick, Flush {}

  /**
   * A command for one of the partition's tests. {@code restore}: the test as the read table
   * keeps it, when the partition has forgotten it (completed, decision 0064), else null.
   */
  public record ForTest(String labTestId, @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS) LabTest.Command command, LabTest.State restore)
      implements Command {
    public ForTest(String labTestId, LabTest.Command command) {
      this(labTestId, command, null);
    }
  }

  /**
   * Many new tests of this partition at once (LabTests#createAll): one message and one answer
   * for all of them, each decided as its own create, in the order given.
   */
  public record CreateAll(List<NewTest> tests, ActorRef<Created> replyTo) implements Command {}

  /** A test to create: its id (of this partition), definition and creator. */
  public record NewTest(String labTestId, LabTest.Definition definition, String by) implements CborSerializable {}

  /** The answers to a {@link CreateAll}, in its order. */
  public record Created(@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS) List<LabTest.Reply> replies) implements CborSerializable {}

  /** From the keeper: starting the partition is all it asks (its recovery plans every test). */
  public record Wake() implements Command {}

  /**
   * Sharding's stop message (hand-off, shutdown): the partition starts nothing new and stops
   * once the outcomes of the calls under way are journaled, so its next home does not call
   * the lab's systems a second time for a graceful stop. Pekko bounds the wait (the hand-off
   * time-out less 5 s, decision 0066; 9 s on shutdown): a call cut off by it is made again by
   * the next home, with the same Idempotency-Key.
   */
  public record Stop() implements Command {}

  /** The earliest wake-up has come. */
  record Tick() implements Command {}

  /** Write what the tests decided since the last write. */
  record Flush() implements Command {}

  public sealed interface Event extends CborSerializable permits Batch {}

  /** One group of lab-test events, in the order they were decided. */
  public record Batch(@JsonTypeInfo(use = JsonTypeInfo.Id.CLASS) List<LabTest.Event> events) implements Event {}

  /** A snapshot: the tests with something left to do. */
  public record Snapshot(List<LabTest.State> tests) implements CborSerializable {}

  /**
   * The partition's tests. {@code live}: every test with something left to do (scheduled,
   * running, paused, dead-lettered). {@code retired}: completed or deleted since the last
   * snapshot; a snapshot leaves them out, so the partition's memory and recovery hold the tests
   * that can still fire, not every test it ever had (a completed test is read from the read
   * tables after that). Mutable, as the partition holds thousands: it is changed only by its
   * events, and copied into an immutable {@link Snapshot} in the actor.
   */
  public static final class Tests {
    final Map<String, LabTest.State> live = new HashMap<>();
    final Map<String, LabTest.State> retired = new HashMap<>();

    /** The test, or an uncreated one. */
    LabTest.State get(String id) {
      LabTest.State s = live.get(id);
      if (s == null) s = retired.get(id);
      return s != null ? s : LabTest.State.uncreated(id);
    }

    public int size() {
      return live.size();
    }

    void put(LabTest.State s) {
      if (retires(s)) {
        live.remove(s.id());
        retired.put(s.id(), s);
      } else {
        retired.remove(s.id());
        live.put(s.id(), s);
      }
    }

    /** Nothing left to do: deleted, or completed (no next instant, no dead letter, nothing under way). */
    static boolean retires(LabTest.State s) {
      return s.status() == LabTest.Status.DELETED || s.status() == LabTest.Status.COMPLETED;
    }
  }

  /** When a test must next be looked at, and why. */
  private enum Reason { DUE, ATTEMPT }

  private record Wakeup(Instant at, String labTestId, Reason reason) implements Comparable<Wakeup> {
    @Override
    public int compareTo(Wakeup o) {
      int c = at.compareTo(o.at);
      return c != 0 ? c : labTestId.compareTo(o.labTestId);
    }
  }

  /** A reply waiting for its write. */
  private record Answer<R>(ActorRef<R> replyTo, R reply) {
    void send() {
      replyTo.tell(reply);
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String partitionId;
  private final ActorContext<Command> context;
  private final TimerScheduler<Command> timers;
  private final ActionCalls calls;
  private final LabTest.Policy policy;
  private final LabTestRules rules;
  private final Clock clock;
  private final Consumer<LabTest.Event> observer;
  private final int snapshotEvery;

  /** Each test's one wake-up, and all of them in order. */
  private final Map<String, Wakeup> planned = new HashMap<>();
  private final TreeSet<Wakeup> wakeups = new TreeSet<>();
  private Instant timerAt;

  /** Decided and not yet written: the events, the tests as they leave them, and the replies that wait for them. */
  private final List<LabTest.Event> pending = new ArrayList<>();
  private final Map<String, LabTest.State> pendingTests = new HashMap<>();
  private final List<Answer<?>> answers = new ArrayList<>();

  /** The attempts this incarnation called, or set on the clock to call, and has not heard back from. */
  private final Set<String> calling = new HashSet<>();

  /**
   * Calls set on the clock, by test: a started execution is called at its instant by the
   * system's scheduler, not by a message to the partition, which Pekko holds back while a
   * write is under way (a busy partition is nearly always writing). Cancelled when the test
   * changes first, and on a stop.
   */
  private final Map<String, ClockedCall> clocked = new HashMap<>();

  private record ClockedCall(String attempt, org.apache.pekko.actor.Cancellable timer) {}

  /** This incarnation's clocked calls may run: false once it stops or restarts (a task already due checks it). */
  private java.util.concurrent.atomic.AtomicBoolean live = new java.util.concurrent.atomic.AtomicBoolean(true);
  private boolean stopping;

  private LabTestPartition(String partitionId, ActorContext<Command> context, TimerScheduler<Command> timers, ActionCalls calls,
      LabTest.Policy policy, Clock clock, Consumer<LabTest.Event> observer, int snapshotEvery) {
    // A failed write starts the partition again from the journal, as soon as it can recover; an
    // execution whose outcome was not written then takes the call this node made (ActionCalls,
    // decision 0043) before anything else can move the partition to another node.
    super(PersistenceId.of(TYPE.name(), partitionId), clock, SupervisorStrategy.restartWithBackoff(Duration.ofSeconds(1), Duration.ofSeconds(10), 0.2));
    this.partitionId = partitionId;
    this.context = context;
    this.timers = timers;
    this.calls = calls;
    this.policy = policy;
    this.rules = new LabTestRules(policy, context.getLog());
    this.clock = clock;
    this.observer = observer;
    this.snapshotEvery = snapshotEvery;
  }

  /** {@code observer} hears each event once it is written (metrics); never during recovery. */
  public static Behavior<Command> create(String partitionId, ActionCalls calls, LabTest.Policy policy, Clock clock,
      Consumer<LabTest.Event> observer, int snapshotEvery) {
    return Behaviors.setup(ctx -> Behaviors.withTimers(timers -> new LabTestPartition(partitionId, ctx, timers, calls, policy, clock, observer,
        snapshotEvery)));
  }

  @Override
  public Tests emptyState() {
    return new Tests();
  }

  /**
   * A snapshot every {@code snapshotEvery} journal events (each a {@link Batch}; two kept, events
   * are never deleted): a partition that recovers reads its live tests and the writes after
   * them, not its history.
   */
  @Override
  public RetentionCriteria retentionCriteria() {
    return RetentionCriteria.snapshotEvery(snapshotEvery, 2);
  }

  @Override
  public SnapshotAdapter<Tests> snapshotAdapter() {
    return new SnapshotAdapter<>() {
      @Override
      public Object toJournal(Tests tests) {
        return new Snapshot(List.copyOf(tests.live.values()));
      }

      @Override
      public Tests fromJournal(Object from) {
        Tests tests = new Tests();
        for (LabTest.State s : ((Snapshot) from).tests()) tests.live.put(s.id(), s);
        return tests;
      }
    };
  }

  /** The partition's tag (of the read tables' few): a projection instance reads whole partitions. */
  @Override
  public Set<String> tagsFor(Event event) {
    return LabTest.TAGS.tagSetFor(partitionId);
  }

  @Override
  public EventHandler<Tests, Event> eventHandler() {
    return (tests, event) -> {
      for (LabTest.Event e : ((Batch) event).events()) tests.put(LabTest.apply(tests.get(e.labTestId()), e));
      return tests;
    };
  }

  @Override
  public SignalHandler<Tests> signalHandler() {
    return newSignalHandlerBuilder()
        .onSignal(RecoveryCompleted.instance(), tests -> {
          forgetIncarnation();
          tests.live.values().forEach(this::plan);
          fireDue(tests);
          writeOrWait();
          if (stopping && calling.isEmpty() && pending.isEmpty()) context.getSelf().tell(new Stop());
        })
        // The retired tests are in the read tables and out of the snapshot just written: forget them.
        .onSignal(SnapshotCompleted.class, (tests, done) -> tests.retired.clear())
        .onSignal(org.apache.pekko.actor.typed.PostStop.instance(), tests -> endClock())
        .onSignal(org.apache.pekko.actor.typed.PreRestart.instance(), tests -> endClock())
        .build();
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, Tests> commands() {
    return this::onCommand;
  }

  private ReplyEffect<Event, Tests> onCommand(Tests tests, Command command) {
    if (command instanceof ForTest c) {
      if (c.command() instanceof LabTest.ActionDone done) {
        String key = attempt(done.executionId(), done.attempt());
        calling.remove(key);
        ClockedCall set = clocked.get(c.labTestId());
        if (set != null && set.attempt().equals(key)) {
          set.timer().cancel(); // an earlier incarnation's answer for the attempt this one has on the clock
          clocked.remove(c.labTestId());
        }
      }
      LabTest.Reply reply = decide(tests, c.labTestId(), c.command(), c.restore());
      if (c.command() instanceof LabTest.Request r) answers.add(new Answer<>(r.replyTo(), reply));
      return afterDeciding(tests);
    }
    if (command instanceof CreateAll c) {
      List<LabTest.Reply> replies = new ArrayList<>(c.tests().size());
      for (NewTest t : c.tests()) replies.add(decide(tests, t.labTestId(), new LabTest.Create(t.definition(), t.by(), null, null), null));
      answers.add(new Answer<>(c.replyTo(), new Created(replies)));
      return afterDeciding(tests);
    }
    if (command instanceof Tick) {
      timerAt = null;
      fireDue(tests);
      return afterDeciding(tests);
    }
    if (command instanceof Flush) return flush(tests);
    if (command instanceof Stop) return stop(tests);
    // Wake: starting was all it asked; a running partition looks at its wake-ups again (a lost timer costs one keeper interval).
    timerAt = null;
    fireDue(tests);
    return afterDeciding(tests);
  }

  /**
   * Decides one command for one test, against the test as the pending events leave it. A
   * forgotten test given back ({@code restore}) is decided as it was; if the command changes
   * it, the restore is written first. Answers what a request is answered (once written).
   */
  private LabTest.Reply decide(Tests tests, String labTestId, LabTest.Command command, LabTest.State restore) {
    Instant now = clock.instant();
    LabTest.State before = pendingTests.getOrDefault(labTestId, tests.get(labTestId));
    boolean restoring = restore != null && before.definition() == null;
    if (restoring) before = restore;
    LabTestRules.Decision d = rules.decide(before, command, now);
    LabTest.State after = before;
    for (LabTest.Event e : d.events()) after = LabTest.apply(after, e);
    if (restoring && !d.events().isEmpty()) pending.add(new LabTest.LabTestRestored(labTestId, restore, now));
    if (!d.events().isEmpty()) {
      pending.addAll(d.events());
      pendingTests.put(labTestId, after);
      unclock(labTestId);
    } else if (!pendingTests.containsKey(labTestId)) {
      plan(after); // a stale or early wake-up: planned again; a test with a pending write is planned after it
    }
    return d.refusal() != null ? new LabTest.Rejected(d.refusal()) : new LabTest.Current(after);
  }

  /**
   * After deciding: with nothing to write the answers go out at once; the next write is asked
   * for, or the timer armed. Stopping, with no call under way and nothing to write, it stops
   * (an answer that decided nothing, such as the call of a test deleted meanwhile, ends the wait).
   */
  private ReplyEffect<Event, Tests> afterDeciding(Tests tests) {
    if (pending.isEmpty()) {
      answers.forEach(Answer::send);
      answers.clear();
      if (stopping && calling.isEmpty()) return Effect().stop().thenNoReply();
    }
    writeOrWait();
    return Effect().noReply();
  }

  /**
   * A failed write restarts the partition from its journal with this same object (the
   * supervision sits inside the behaviour): what this incarnation planned, decided and armed
   * is forgotten, as its timers are. The calls it made stay in {@link ActionCalls}, which
   * hands them to the resumed executions.
   */
  private void forgetIncarnation() {
    planned.clear();
    wakeups.clear();
    timerAt = null;
    pending.clear();
    pendingTests.clear();
    answers.clear();
    flushAsked = false;
    endClock();
    calling.clear();
    // stopping stays: a write that failed during a hand-off does not cancel the hand-off, and
    // the partition started again from its journal stops as soon as nothing is left to write.
  }

  /**
   * Asks for a write of what is pending, once: the Flush queues behind the commands already in
   * the mailbox, so everything they decide goes into the same write (the group commit).
   * Nothing pending: the timer is armed for the earliest wake-up.
   */
  private void writeOrWait() {
    if (pending.isEmpty()) {
      armTimer();
    } else if (!flushAsked) {
      flushAsked = true;
      context.getSelf().tell(new Flush());
    }
  }

  private boolean flushAsked;

  /** Writes everything pending as one write ({@link #EVENTS_PER_BATCH} events a journal event), then answers and runs what it started. */
  private ReplyEffect<Event, Tests> flush(Tests tests) {
    flushAsked = false;
    if (pending.isEmpty()) return Effect().noReply();
    List<LabTest.Event> events = List.copyOf(pending);
    List<Answer<?>> waiting = List.copyOf(answers);
    pending.clear();
    pendingTests.clear();
    answers.clear();
    List<Event> batches = new ArrayList<>();
    for (int from = 0; from < events.size(); from += EVENTS_PER_BATCH) {
      batches.add(new Batch(events.subList(from, Math.min(events.size(), from + EVENTS_PER_BATCH))));
    }
    return Effect().persist(batches).thenRun(written -> afterWrite(written, events, waiting)).thenNoReply();
  }

  private void afterWrite(Tests tests, List<LabTest.Event> events, List<Answer<?>> waiting) {
    Set<String> touched = new HashSet<>();
    for (LabTest.Event e : events) {
      observer.accept(e);
      touched.add(e.labTestId());
      if (e instanceof LabTest.ExecutionSucceeded s) calls.recorded(s.executionId(), s.attempt());
      else if (e instanceof LabTest.ExecutionFailed f) calls.recorded(f.executionId(), f.attempt());
    }
    waiting.forEach(Answer::send);
    for (String id : touched) plan(tests.get(id));
    fireDue(tests);
    writeOrWait();
    if (stopping && calling.isEmpty() && pending.isEmpty()) context.getSelf().tell(new Stop());
  }

  /**
   * Takes the wake-ups that have come (a slice of them, the rest at the next pass): an instant
   * that came or a retry decides an execution's start (its call is set on the clock once the
   * start is written). While stopping nothing starts.
   */
  private void fireDue(Tests tests) {
    if (stopping) return;
    Instant now = clock.instant();
    int taken = 0;
    while (!wakeups.isEmpty() && !wakeups.first().at().isAfter(now) && taken < WAKEUPS_PER_PASS) {
      Wakeup w = wakeups.pollFirst();
      planned.remove(w.labTestId());
      taken++;
      LabTest.State s = pendingTests.getOrDefault(w.labTestId(), tests.get(w.labTestId()));
      if (!s.exists()) continue;
      switch (w.reason()) {
        case DUE -> decide(tests, w.labTestId(), new LabTest.Due(s.nextFireAt()), null);
        case ATTEMPT -> decide(tests, w.labTestId(), new LabTest.NextAttempt(s.current().executionId()), null);
      }
    }
    if (taken == WAKEUPS_PER_PASS && pending.isEmpty()) context.getSelf().tell(new Tick());
  }

  /** Arms the one timer for the earliest wake-up (capped, as every delay, at {@link Delay#MAX}). */
  private void armTimer() {
    if (wakeups.isEmpty()) {
      timers.cancel("tick");
      timerAt = null;
      return;
    }
    Instant first = wakeups.first().at();
    if (first.equals(timerAt)) return;
    timerAt = first;
    timers.startSingleTimer("tick", new Tick(), Delay.until(clock.instant(), first));
  }

  /**
   * The one wake-up a test's state asks for: its next attempt or its next fire; a started
   * execution (its start written) is set on the clock for its instant instead, unless this
   * incarnation has called it.
   */
  private void plan(LabTest.State s) {
    Wakeup old = planned.remove(s.id());
    if (old != null) wakeups.remove(old);
    LabTest.Execution e = s.exists() ? s.current() : null;
    if (e == null || e.retryAt() != null) unclock(s.id());
    if (!s.exists()) return;
    Wakeup w = null;
    if (e != null && e.retryAt() != null) w = new Wakeup(e.retryAt(), s.id(), Reason.ATTEMPT);
    else if (e != null) clock(s, e);
    else if (s.status() == LabTest.Status.SCHEDULED && s.nextFireAt() != null) {
      w = new Wakeup(s.nextFireAt().minus(policy.startAhead()), s.id(), Reason.DUE);
    }
    if (w != null) {
      planned.put(s.id(), w);
      wakeups.add(w);
    }
  }

  /**
   * Calls a started execution at its instant (after a crash, a resume with the same id): at
   * once if the instant has come, else from the system's scheduler, whose task calls the
   * action and tells the partition the outcome (it touches no state of the partition's).
   * While stopping nothing new is called: the next home resumes it. A call this node made
   * already is still taken (a partition started again after a failed write during its hand-off),
   * so that its outcome is journaled here and the next home does not call a second time.
   */
  private void clock(LabTest.State s, LabTest.Execution e) {
    String key = attempt(e.executionId(), e.attempt());
    if (calling.contains(key)) return;
    if (stopping) {
      calls.made(e.executionId(), e.attempt()).ifPresent(made -> {
        calling.add(key);
        reportOutcome(context.getSelf(), s.id(), e, made);
      });
      return;
    }
    unclock(s.id());
    calling.add(key);
    Duration in = Duration.between(clock.instant(), e.dueAt());
    Runnable call = caller(s.id(), s.definition().action(), e);
    if (in.isNegative() || in.isZero()) {
      call.run();
    } else {
      clocked.put(s.id(), new ClockedCall(key, context.getSystem().scheduler().scheduleOnce(Delay.until(clock.instant(), e.dueAt()), call,
          context.getSystem().executionContext())));
    }
  }

  /**
   * Ends this incarnation's clock: its calls not yet made are not made (the partition's next
   * start plans them again), as its actor timers end with it.
   */
  private void endClock() {
    live.set(false);
    live = new java.util.concurrent.atomic.AtomicBoolean(true);
    clocked.values().forEach(c -> c.timer().cancel());
    clocked.clear();
  }

  /** Takes a test's call off the clock, if it has not started: it is planned again from the test as written. */
  private void unclock(String labTestId) {
    ClockedCall set = clocked.remove(labTestId);
    if (set != null && set.timer().cancel()) calling.remove(set.attempt());
  }

  /** The call of one attempt, as a task any thread may run: the outcome comes back to the partition as a message. */
  private Runnable caller(String labTestId, LabTestAction action, LabTest.Execution e) {
    ActorRef<Command> self = context.getSelf();
    java.util.concurrent.atomic.AtomicBoolean mine = live;
    return () -> {
      if (!mine.get()) return;
      Instant startedAt = clock.instant();
      try {
        // Real time, as the time-out (the partition's clock may be a test's).
        var execution = new LabTestAction.Execution(labTestId, e.executionId(), e.dueAt(), e.attempt(), Instant.now().plus(policy.actionTimeout()));
        reportOutcome(self, labTestId, e, calls.call(action, execution, startedAt, policy.actionTimeout()));
      } catch (RuntimeException failed) {
        // Off the actor, nothing would restart the partition: the attempt fails, so it is never left waiting.
        self.tell(new ForTest(labTestId, new LabTest.ActionDone(e.executionId(), e.attempt(), startedAt,
            LabTestAction.Outcome.failed("action failed: " + failed))));
      }
    };
  }

  /** The call's outcome, once it has one, to the partition as a message (from any thread). */
  private static void reportOutcome(ActorRef<Command> self, String labTestId, LabTest.Execution e, ActionCalls.Call call) {
    call.outcome().whenComplete((done, error) ->
        self.tell(new ForTest(labTestId, new LabTest.ActionDone(e.executionId(), e.attempt(), call.startedAt(), done))));
  }

  private static String attempt(String executionId, int attempt) {
    return executionId + " attempt " + attempt;
  }

  /** Stops now, or, with calls under way or a write pending, once their outcomes are journaled. */
  private ReplyEffect<Event, Tests> stop(Tests tests) {
    // Calls not made yet stay for the next home, which resumes their executions.
    List.copyOf(clocked.keySet()).forEach(this::unclock);
    if (calling.isEmpty() && pending.isEmpty()) return Effect().stop().thenNoReply();
    stopping = true;
    timers.cancel("tick");
    return Effect().noReply();
  }
}
