package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lims.kernel.Rejection;
import lims.kernel.testing.ManualClock;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The LabTest entity's rules under ManualTime, with a wall clock moved in step with it, and
 * an action runner the test answers by hand (the HTTP action is tested for real in LabTestApiTest).
 */
class LabTestTest {

  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config()
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final ManualTime time = ManualTime.get(kit.system());
  static final AtomicInteger ids = new AtomicInteger();
  static final LabTest.Policy POLICY = new LabTest.Policy(new lims.kernel.Backoff(Duration.ofSeconds(1), Duration.ofMinutes(5)), Duration.ofMinutes(1),
      Duration.ofMinutes(10), Duration.ofMillis(500), Duration.ofHours(1));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  record Call(LabTestAction.Execution execution, CompletableFuture<LabTestAction.Outcome> answer) {}

  static final class ScriptedRunner implements LabTestAction.Runner {
    final LinkedBlockingQueue<Call> calls = new LinkedBlockingQueue<>();

    @Override
    public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
      CompletableFuture<LabTestAction.Outcome> f = new CompletableFuture<>();
      calls.add(new Call(execution, f));
      return f;
    }

    Call next() throws InterruptedException {
      Call c = calls.poll(5, TimeUnit.SECONDS);
      if (c == null) throw new AssertionError("the action was not run");
      return c;
    }

    void assertNone() throws InterruptedException {
      Call c = calls.poll(100, TimeUnit.MILLISECONDS);
      if (c != null) throw new AssertionError("unexpected run of " + c.execution());
    }
  }

  /** The entity's wall clock; {@link #advance} moves it together with the actor timers. */
  final ManualClock clock = new ManualClock(Instant.parse("2026-03-27T12:00:00Z"));
  final ScriptedRunner runner = new ScriptedRunner();
  OneLabTest test;

  void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  static LabTest.Definition definition(Schedule schedule, int maxRetries, String misfire) {
    return new LabTest.Definition("OD600 of culture 7", "measurement", "EXP-7", List.of("lab@example.org"), schedule,
        new LabTestAction("http", Map.of("url", "http://receiver.example/hook")), maxRetries, misfire);
  }

  LabTest.State create(Schedule schedule, int maxRetries, String misfire) {
    return create(schedule, maxRetries, misfire, POLICY);
  }

  LabTest.State create(Schedule schedule, int maxRetries, String misfire, LabTest.Policy policy) {
    test = new OneLabTest(kit.system(), "LT-" + String.format("%012x", ids.incrementAndGet()), () -> ActionCalls.unfenced(runner), policy, clock, 100);
    var reply = test.runCommand(r -> new LabTest.Create(definition(schedule, maxRetries, misfire), "sam", null, r));
    return ((LabTest.Current) reply.reply()).labTest();
  }

  void awaitStatus(LabTest.Status status) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(status, test.getState().status());
      return null;
    });
  }

  @Test
  void aCronTestFiresAtEachLocalInstantAcrossTheSpringChange() throws Exception {
    LabTest.State created = create(Schedule.cron("0 0 6 * * ?", "Europe/Berlin"), 0, LabTest.FIRE_ONCE);
    assertEquals(Instant.parse("2026-03-28T05:00:00Z"), created.nextFireAt());
    advance(Duration.between(clock.instant(), Instant.parse("2026-03-28T04:59:59Z")));
    runner.assertNone();
    advance(Duration.ofSeconds(1));
    Call first = runner.next();
    assertEquals(Instant.parse("2026-03-28T05:00:00Z"), first.execution().dueAt());
    first.answer().complete(LabTestAction.Outcome.succeeded("200"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-29T04:00:00Z"), test.getState().nextFireAt(), "06:00 CEST, an hour earlier in UTC");
      return null;
    });
    advance(Duration.ofHours(23).minusSeconds(1));
    runner.assertNone();
    advance(Duration.ofSeconds(1));
    assertEquals(Instant.parse("2026-03-29T04:00:00Z"), runner.next().execution().dueAt());
  }

  @Test
  void aFailedExecutionIsRetriedWithBackOffUnderTheSameIdThenDeadLetteredAndRetriedByHand() throws Exception {
    Instant at = clock.instant().plusSeconds(60);
    create(Schedule.once(at), 2, LabTest.FIRE_ONCE);
    advance(Duration.ofSeconds(60));
    Call first = runner.next();
    String executionId = first.execution().executionId();
    first.answer().complete(LabTestAction.Outcome.failed("503"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-27T12:01:01Z"), test.getState().current().retryAt());
      return null;
    });
    advance(Duration.ofMillis(999));
    runner.assertNone();
    advance(Duration.ofMillis(1));
    Call second = runner.next();
    assertEquals(executionId, second.execution().executionId(), "a retry is the same execution");
    assertEquals(2, second.execution().attempt());
    second.answer().complete(LabTestAction.Outcome.failed("503"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(test.getState().current().retryAt() != null);
      return null;
    });
    advance(Duration.ofSeconds(2)); // doubled
    Call third = runner.next();
    assertEquals(3, third.execution().attempt());
    third.answer().complete(LabTestAction.Outcome.failed("503 again"));
    awaitStatus(LabTest.Status.DEAD_LETTERED);
    assertEquals("503 again", test.getState().deadLetters().get(executionId).error());

    var retried = test.runCommand(r -> new LabTest.RetryDeadLetter(executionId, "sam", r));
    assertEquals(LabTest.Status.RUNNING, ((LabTest.Current) retried.reply()).labTest().status());
    Call byHand = runner.next();
    assertEquals(executionId, byHand.execution().executionId());
    assertEquals(4, byHand.execution().attempt());
    byHand.answer().complete(LabTestAction.Outcome.succeeded("200"));
    awaitStatus(LabTest.Status.COMPLETED);
    assertTrue(test.getState().deadLetters().isEmpty());
  }

  @Test
  void aOneTimeInstantThatPassedOnTheWayToTheEntityStillFiresOnce() throws Exception {
    create(Schedule.once(clock.instant().minusMillis(5)), 0, LabTest.FIRE_ONCE);
    Call late = runner.next();
    assertEquals(Instant.parse("2026-03-27T11:59:59.995Z"), late.execution().dueAt());
    late.answer().complete(LabTestAction.Outcome.succeeded("200"));
    awaitStatus(LabTest.Status.COMPLETED);
    runner.assertNone();
  }

  @Test
  void aTestFurtherAheadThanOneTimerCanWaitFiresAtItsInstantNotBefore() throws Exception {
    Instant at = clock.instant().plus(Duration.ofDays(40));
    create(Schedule.once(at), 0, LabTest.FIRE_ONCE);
    for (int day = 1; day < 40; day++) {
      advance(Duration.ofDays(1)); // the capped timer fires each day and is armed again
      test.runCommand(LabTest.Get::new); // answered after the timer's message
      assertEquals(LabTest.Status.SCHEDULED, test.getState().status(), "day " + day);
    }
    advance(Duration.between(clock.instant(), at).minusSeconds(1));
    runner.assertNone();
    advance(Duration.ofSeconds(1));
    assertEquals(at, runner.next().execution().dueAt());
  }

  @Test
  void aLongRunningCronTestRecoversFromASnapshotAndGoesOnFiring() throws Exception {
    create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ONCE); // every minute, on the minute
    String persistenceId = LabTestPartition.TYPE.name() + "|" + OneLabTest.PARTITION;
    Instant due = test.getState().nextFireAt();
    for (int run = 0; run < 60; run++) { // 1 + 3 + 59 × 2 events: past one snapshot
      advance(Duration.between(clock.instant(), due));
      Call call = runner.next();
      assertEquals(due, call.execution().dueAt());
      // The first run fails for good: its dead letter must survive the snapshot.
      call.answer().complete(run == 0 ? LabTestAction.Outcome.failed("503") : LabTestAction.Outcome.succeeded("200"));
      Instant next = due.plusSeconds(60);
      kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
        assertEquals(next, test.getState().nextFireAt());
        return null;
      });
      due = next;
    }
    var snapshots = test.kit.snapshotTestKit().orElseThrow().persistedInStorage(persistenceId);
    assertEquals(1, snapshots.size(), "a snapshot at write 100");
    assertEquals(100, snapshots.get(0).first().sequenceNr());
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> { // the last write may still be under way
      assertEquals(122, test.journal().size(), "every event kept");
      return null;
    });
    LabTest.State before = test.getState();
    assertEquals(1, before.deadLetters().size());

    test.restart(); // recovers from the snapshot and the 22 events after it
    assertEquals(before, test.getState());
    advance(Duration.between(clock.instant(), due));
    assertEquals(due, runner.next().execution().dueAt());
  }

  @Test
  void aCrashBetweenStartAndOutcomeResumesTheSameExecution() throws Exception {
    create(Schedule.once(clock.instant().plusSeconds(10)), 0, LabTest.FIRE_ONCE);
    advance(Duration.ofSeconds(10));
    Call before = runner.next(); // the node dies before the action answers
    test.restart();
    Call after = runner.next();
    assertEquals(before.execution().executionId(), after.execution().executionId());
    assertEquals(before.execution().attempt(), after.execution().attempt());
    before.answer().complete(LabTestAction.Outcome.succeeded("late answer of the dead incarnation"));
    after.answer().complete(LabTestAction.Outcome.succeeded("200"));
    awaitStatus(LabTest.Status.COMPLETED);
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> { // the state changes as the write starts, the journal as it ends
      List<Object> journal = test.journal();
      assertEquals(1, journal.stream().filter(e -> e instanceof LabTest.ExecutionStarted).count(), "resumed, not started again");
      assertEquals(1, journal.stream().filter(e -> e instanceof LabTest.ExecutionSucceeded).count());
      return null;
    });
  }

  @Test
  void anEntityStoppedBetweenStartAndInstantLeavesTheCallToItsSuccessor() throws Exception {
    Instant at = clock.instant().plusSeconds(10);
    create(Schedule.once(at), 0, LabTest.FIRE_ONCE);
    advance(Duration.ofMillis(9_700)); // past start-ahead: started, its call armed for the instant
    awaitStatus(LabTest.Status.RUNNING);
    runner.assertNone();
    test.restart(); // stopped (passivated, or handed to another node) within those 300 ms
    advance(Duration.ofMillis(300));
    Call call = runner.next();
    assertEquals(at, call.execution().dueAt());
    runner.assertNone(); // the stopped incarnation's armed call was cancelled, not made as well
    call.answer().complete(LabTestAction.Outcome.succeeded("200"));
    awaitStatus(LabTest.Status.COMPLETED);
  }

  @Test
  void pauseStopsFiringResumeGoesOnFromNowEditReplansDeleteStops() throws Exception {
    create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ONCE);
    test.runCommand(r -> new LabTest.Pause("sam", r));
    assertNull(test.getState().nextFireAt());
    advance(Duration.ofMinutes(3));
    runner.assertNone();
    test.runCommand(r -> new LabTest.Resume("sam", r));
    assertEquals(Instant.parse("2026-03-27T12:04:00Z"), test.getState().nextFireAt(), "the minutes passed while paused are not fired");

    test.runCommand(r -> new LabTest.Edit(definition(Schedule.cron("30 * * * * ?", "UTC"), 0, LabTest.FIRE_ONCE), "sam", r));
    assertEquals(Instant.parse("2026-03-27T12:03:30Z"), test.getState().nextFireAt());
    advance(Duration.ofSeconds(30));
    runner.next().answer().complete(LabTestAction.Outcome.succeeded("200"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-27T12:04:30Z"), test.getState().nextFireAt());
      return null;
    });
    test.runCommand(r -> new LabTest.Delete("sam", r));
    advance(Duration.ofMinutes(5));
    runner.assertNone();
    assertTrue(test.runCommand(LabTest.Get::new).reply() instanceof LabTest.Rejected);
  }

  @Test
  void aPausedTestRunsNothingByHandEither() throws Exception {
    create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ONCE);
    advance(Duration.ofMinutes(1));
    Call failed = runner.next();
    failed.answer().complete(LabTestAction.Outcome.failed("503"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, test.getState().deadLetters().size());
      return null;
    });
    test.runCommand(r -> new LabTest.Pause("sam", r));
    var trigger = test.runCommand(r -> new LabTest.Trigger("sam", r));
    assertEquals(Rejection.Kind.CONFLICT, rejection(trigger.reply()));
    assertTrue(trigger.events().isEmpty());
    var retry = test.runCommand(r -> new LabTest.RetryDeadLetter(failed.execution().executionId(), "sam", r));
    assertEquals(Rejection.Kind.CONFLICT, rejection(retry.reply()));
    assertTrue(retry.events().isEmpty());
    advance(Duration.ofMinutes(3));
    runner.assertNone();
    assertEquals(LabTest.Status.PAUSED, test.getState().status());
  }

  @Test
  void aScheduledInstantThatPassesDuringARunByHandFiresAfterIt() throws Exception {
    Instant at = clock.instant().plusSeconds(60);
    create(Schedule.once(at), 0, LabTest.FIRE_ONCE);
    test.runCommand(r -> new LabTest.Trigger("sam", r));
    Call manual = runner.next();
    advance(Duration.ofSeconds(90)); // the manual run is still going at the scheduled instant
    runner.assertNone();
    manual.answer().complete(LabTestAction.Outcome.succeeded("200"));
    Call scheduled = runner.next();
    assertEquals(at, scheduled.execution().dueAt(), "the instant is fired once, late, not dropped");
    assertEquals(LabTest.executionId(test.getState().id(), at), scheduled.execution().executionId());
    scheduled.answer().complete(LabTestAction.Outcome.succeeded("200"));
    awaitStatus(LabTest.Status.COMPLETED);
    runner.assertNone();
  }

  /** Every request gets an answer: a test that never was or was deleted is not found, and an id is never created twice. */
  @Test
  void unknownDuplicateAndDeletedTestsAreAnsweredNotFoundOrConflict() throws Exception {
    test = new OneLabTest(kit.system(), "LT-" + String.format("%012x", ids.incrementAndGet()), () -> ActionCalls.unfenced(runner), POLICY, clock, 100);
    assertEquals(Rejection.Kind.NOT_FOUND, rejection(test.runCommand(LabTest.Get::new).reply()));
    assertEquals(Rejection.Kind.NOT_FOUND, rejection(test.runCommand(r -> new LabTest.Pause("sam", r)).reply()));
    assertTrue(test.wake().isEmpty());
    assertNull(test.getState().definition(), "waking an unknown test creates nothing");

    var once = definition(Schedule.once(clock.instant().plusSeconds(60)), 0, LabTest.FIRE_ONCE);
    assertTrue(test.runCommand(r -> new LabTest.Create(once, "sam", "token-a", r)).reply() instanceof LabTest.Current);
    var again = test.runCommand(r -> new LabTest.Create(once, "kim", null, r));
    assertEquals(Rejection.Kind.CONFLICT, rejection(again.reply()));
    assertTrue(again.events().isEmpty());
    assertEquals("sam", test.getState().createdBy());
    assertEquals(Rejection.Kind.CONFLICT, rejection(test.runCommand(r -> new LabTest.Create(once, "sam", "token-b", r)).reply()));
    // The same create repeated with the Idempotency-Key's token is answered with the test it made.
    var repeat = test.runCommand(r -> new LabTest.Create(once, "sam", "token-a", r));
    assertTrue(repeat.reply() instanceof LabTest.Current && repeat.events().isEmpty(), String.valueOf(repeat.reply()));

    test.runCommand(r -> new LabTest.Delete("sam", r));
    assertEquals(Rejection.Kind.NOT_FOUND, rejection(test.runCommand(LabTest.Get::new).reply()));
    assertEquals(Rejection.Kind.NOT_FOUND, rejection(test.runCommand(r -> new LabTest.Trigger("sam", r)).reply()));
    assertEquals(Rejection.Kind.CONFLICT, rejection(test.runCommand(r -> new LabTest.Create(once, "sam", null, r)).reply()), "a deleted id is not reused");
    advance(Duration.ofMinutes(2));
    runner.assertNone();
  }

  /**
   * The hand dispatch has no compiler to say a command was forgotten: every request, of every
   * type there is, gets an answer in every phase (never created, scheduled, running, paused,
   * deleted), so a request no phase handles is refused, not left to time out.
   */
  @Test
  void everyRequestIsAnsweredInEveryPhase() throws Exception {
    List<String> phases = List.of("never created", "scheduled", "running", "paused", "deleted");
    int answered = 0;
    for (String phase : phases) {
      for (Class<?> type : LabTest.Request.class.getPermittedSubclasses()) {
        test = new OneLabTest(kit.system(), "LT-" + String.format("%012x", ids.incrementAndGet()), () -> ActionCalls.unfenced(runner), POLICY, clock, 100);
        var once = definition(Schedule.once(clock.instant().plusSeconds(3600)), 0, LabTest.FIRE_ONCE);
        if (!phase.equals("never created")) test.runCommand(r -> new LabTest.Create(once, "sam", null, r));
        if (phase.equals("running")) {
          test.runCommand(r -> new LabTest.Trigger("sam", r));
          runner.next(); // left unanswered: the execution stays under way
        }
        if (phase.equals("paused")) test.runCommand(r -> new LabTest.Pause("sam", r));
        if (phase.equals("deleted")) test.runCommand(r -> new LabTest.Delete("sam", r));
        LabTest.Reply reply = test.runCommand(r -> request(type, r, once)).reply();
        assertTrue(reply instanceof LabTest.Current || reply instanceof LabTest.Rejected, phase + ", " + type.getSimpleName() + ": " + reply);
        answered++;
      }
    }
    assertEquals(phases.size() * 8, answered, "the eight requests in each phase");
  }

  /** A request of {@code type} built from its record components: the reply-to, a definition, "sam" for every string. */
  static LabTest.Request request(Class<?> type, org.apache.pekko.actor.typed.ActorRef<LabTest.Reply> replyTo, LabTest.Definition definition) {
    var parts = type.getRecordComponents();
    Class<?>[] types = java.util.Arrays.stream(parts).map(java.lang.reflect.RecordComponent::getType).toArray(Class<?>[]::new);
    Object[] args = java.util.Arrays.stream(types).map(t -> t == org.apache.pekko.actor.typed.ActorRef.class ? replyTo
        : t == LabTest.Definition.class ? definition : t == String.class ? "sam" : null).toArray();
    try {
      return (LabTest.Request) type.getDeclaredConstructor(types).newInstance(args);
    } catch (ReflectiveOperationException e) {
      throw new AssertionError("cannot build a " + type.getSimpleName(), e);
    }
  }

  /** A state in a snapshot spells its status as before the status was an enum ("paused"), so older snapshots still load. */
  @Test
  void aSnapshotSpellsTheStatusInLowerCase() throws Exception {
    var paused = create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ONCE);
    test.runCommand(r -> new LabTest.Pause("sam", r));
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(kit.system());
    LabTest.State state = test.getState();
    byte[] bytes = serialization.serialize(state).get();
    String text = new String(bytes, java.nio.charset.StandardCharsets.ISO_8859_1);
    assertTrue(text.contains("paused") && !text.contains("PAUSED"), text);
    var serializer = serialization.findSerializerFor(state);
    var back = serialization.deserialize(bytes, serializer.identifier(), org.apache.pekko.serialization.Serializers.manifestFor(serializer, state)).get();
    assertEquals(state, back);
    assertEquals(paused.id(), ((LabTest.State) back).id());
  }

  static Rejection.Kind rejection(LabTest.Reply reply) {
    assertTrue(reply instanceof LabTest.Rejected, "rejected: " + reply);
    return ((LabTest.Rejected) reply).rejection().kind();
  }

  @Test
  void anInstantMissedWhileTheClusterWasDownFiresOnceOrIsSkipped() throws Exception {
    create(Schedule.cron("0 0 * * * ?", "UTC"), 0, LabTest.FIRE_ONCE);
    // The cluster is down for three hours: the clock moves, no timer runs, then the entity recovers.
    clock.advance(Duration.ofHours(3));
    test.restart();
    Call missed = runner.next();
    assertEquals(Instant.parse("2026-03-27T13:00:00Z"), missed.execution().dueAt(), "fire_once: the first missed instant, once");
    missed.answer().complete(LabTestAction.Outcome.succeeded("200"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-27T16:00:00Z"), test.getState().nextFireAt());
      return null;
    });
    runner.assertNone();

    create(Schedule.cron("0 0 * * * ?", "UTC"), 0, LabTest.SKIP);
    clock.advance(Duration.ofHours(3));
    test.restart();
    runner.assertNone();
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-27T19:00:00Z"), test.getState().nextFireAt(), "skip: on to the next instant");
      return null;
    });
  }

  /** The journal of the test under way. */
  List<Object> journal() {
    return test.journal();
  }

  /** Answers the next call, which must be for {@code due}, and returns its execution id. */
  String fires(Instant due, LabTestAction.Outcome outcome) throws InterruptedException {
    Call call = runner.next();
    assertEquals(due, call.execution().dueAt());
    assertEquals(LabTest.executionId(test.getState().id(), due), call.execution().executionId(), "an execution of its own");
    call.answer().complete(outcome);
    return call.execution().executionId();
  }

  @Test
  void fireAllFiresEveryInstantMissedWhileTheClusterWasDownInOrderThenGoesOnOnSchedule() throws Exception {
    create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ALL); // every minute; next 12:01
    clock.advance(Duration.ofMinutes(5).plusSeconds(30)); // down until 12:05:30: no timer runs
    test.restart();
    for (int minute = 1; minute <= 5; minute++) {
      fires(Instant.parse("2026-03-27T12:00:00Z").plus(Duration.ofMinutes(minute)), LabTestAction.Outcome.succeeded("200"));
    }
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-27T12:06:00Z"), test.getState().nextFireAt(), "caught up: on to the next instant");
      return null;
    });
    runner.assertNone();
    advance(Duration.ofSeconds(30));
    fires(Instant.parse("2026-03-27T12:06:00Z"), LabTestAction.Outcome.succeeded("200"));
    assertEquals(6, journal().stream().filter(e -> e instanceof LabTest.ExecutionStarted).count(), "one execution per instant");
    assertTrue(journal().stream().noneMatch(e -> e instanceof LabTest.InstantsMissed || e instanceof LabTest.MisfireSkipped));
  }

  @Test
  void fireAllFiresTheInstantsThatPassDuringALongRunAndFailuresKeepTheirOrder() throws Exception {
    create(Schedule.cron("0 * * * * ?", "UTC"), 1, LabTest.FIRE_ALL);
    advance(Duration.ofMinutes(1));
    Call slow = runner.next(); // 12:01, answered at 12:03:30
    advance(Duration.ofMinutes(2).plusSeconds(30));
    runner.assertNone();
    slow.answer().complete(LabTestAction.Outcome.failed("503"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(test.getState().current().retryAt() != null, "a retry planned");
      return null;
    });
    advance(Duration.ofSeconds(1)); // the retry of 12:01 comes before 12:02
    Call retry = runner.next();
    assertEquals(Instant.parse("2026-03-27T12:01:00Z"), retry.execution().dueAt());
    assertEquals(2, retry.execution().attempt());
    retry.answer().complete(LabTestAction.Outcome.succeeded("200"));
    fires(Instant.parse("2026-03-27T12:02:00Z"), LabTestAction.Outcome.succeeded("200"));
    fires(Instant.parse("2026-03-27T12:03:00Z"), LabTestAction.Outcome.succeeded("200"));
    runner.assertNone(); // 12:04 has not come
    advance(Duration.ofSeconds(29));
    fires(Instant.parse("2026-03-27T12:04:00Z"), LabTestAction.Outcome.succeeded("200"));
  }

  @Test
  void fireAllCatchesUpExactlyOnceAcrossACrashInTheMiddle() throws Exception {
    create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ALL);
    clock.advance(Duration.ofMinutes(4).plusSeconds(30));
    test.restart();
    fires(Instant.parse("2026-03-27T12:01:00Z"), LabTestAction.Outcome.succeeded("200"));
    Call before = runner.next(); // 12:02 under way when the node dies
    test.restart();
    Call after = runner.next();
    assertEquals(before.execution().executionId(), after.execution().executionId(), "the same execution, resumed");
    before.answer().complete(LabTestAction.Outcome.succeeded("late answer of the dead incarnation"));
    after.answer().complete(LabTestAction.Outcome.succeeded("200"));
    fires(Instant.parse("2026-03-27T12:03:00Z"), LabTestAction.Outcome.succeeded("200"));
    fires(Instant.parse("2026-03-27T12:04:00Z"), LabTestAction.Outcome.succeeded("200"));
    runner.assertNone();
    List<String> started = journal().stream().filter(e -> e instanceof LabTest.ExecutionStarted)
        .map(e -> ((LabTest.ExecutionStarted) e).executionId()).toList();
    assertEquals(4, started.size(), "one start per instant: " + started);
    assertEquals(4, started.stream().distinct().count());
  }

  @Test
  void fireAllRecordsTheInstantsBeforeTheCatchUpWindowAsMissedAndFiresTheRest() throws Exception {
    LabTest.Policy fiveMinutes = new LabTest.Policy(POLICY.retry(), POLICY.misfireThreshold(), POLICY.actionTimeout(), POLICY.startAhead(),
        Duration.ofMinutes(5));
    create(Schedule.cron("0 * * * * ?", "UTC"), 0, LabTest.FIRE_ALL, fiveMinutes);
    clock.advance(Duration.ofMinutes(10).plusSeconds(30)); // back at 12:10:30: 12:01-12:05 are more than 5 minutes late
    test.restart();
    for (int minute = 6; minute <= 10; minute++) {
      fires(Instant.parse("2026-03-27T12:00:00Z").plus(Duration.ofMinutes(minute)), LabTestAction.Outcome.succeeded("200"));
    }
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-03-27T12:11:00Z"), test.getState().nextFireAt());
      return null;
    });
    runner.assertNone();
    List<LabTest.InstantsMissed> missed = journal().stream().filter(e -> e instanceof LabTest.InstantsMissed)
        .map(e -> (LabTest.InstantsMissed) e).toList();
    assertEquals(1, missed.size());
    assertEquals(Instant.parse("2026-03-27T12:01:00Z"), missed.get(0).firstMissedAt());
    assertEquals(Instant.parse("2026-03-27T12:06:00Z"), missed.get(0).nextFireAt(), "missed up to the window's first instant");
    assertEquals(Duration.ofMinutes(5), missed.get(0).catchUpWindow());
  }

  @Test
  void fireAllFiresTheNewestInstantOfAScheduleSparserThanTheWindow() throws Exception {
    create(Schedule.cron("0 0 6 * * ?", "UTC"), 0, LabTest.FIRE_ALL); // daily at 06:00; next 2026-03-28
    clock.advance(Duration.ofDays(4)); // back on 2026-03-31 at 12:00: four instants passed, none within the hour
    test.restart();
    fires(Instant.parse("2026-03-31T06:00:00Z"), LabTestAction.Outcome.succeeded("200"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(Instant.parse("2026-04-01T06:00:00Z"), test.getState().nextFireAt());
      return null;
    });
    runner.assertNone();
    List<Object> missed = journal().stream().filter(e -> e instanceof LabTest.InstantsMissed).toList();
    assertEquals(List.of(new LabTest.InstantsMissed(test.getState().id(), Instant.parse("2026-03-28T06:00:00Z"),
        Instant.parse("2026-03-31T06:00:00Z"), Duration.ofHours(1), clock.instant())), missed);
  }

  @Test
  void aTestStartedAgainOnTheSameNodeTakesTheCallItMadeInsteadOfCallingAgain() throws Exception {
    ActionCalls node = ActionCalls.unfenced(runner); // one per node, as LabTests makes it
    test = new OneLabTest(kit.system(), "LT-" + String.format("%012x", ids.incrementAndGet()), () -> node, POLICY, clock, 100);
    test.runCommand(r -> new LabTest.Create(definition(Schedule.once(clock.instant().plusSeconds(60)), 0, LabTest.FIRE_ONCE),
        "sam", null, r));
    advance(Duration.ofSeconds(60));
    Call call = runner.next();
    test.restart(); // stopped (passivated) while the call was under way
    call.answer().complete(LabTestAction.Outcome.succeeded("200"));
    awaitStatus(LabTest.Status.COMPLETED);
    runner.assertNone();
    assertEquals(0, node.size(), "forgotten once its outcome is in the journal");

    // The outcome's write fails (the database stopped): the test starts again by itself after a
    // back-off, records the outcome of the call it made, and does not call the lab's system again.
    String id = "LT-" + String.format("%012x", ids.incrementAndGet());
    test = new OneLabTest(kit.system(), id, () -> node, POLICY, clock, 100);
    test.runCommand(r -> new LabTest.Create(definition(Schedule.once(clock.instant().plusSeconds(60)), 0, LabTest.FIRE_ONCE),
        "sam", null, r));
    advance(Duration.ofSeconds(60));
    Call second = runner.next();
    test.persistenceTestKit().failNextPersisted();
    second.answer().complete(LabTestAction.Outcome.succeeded("200 once"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, node.size(), "the call is kept while its outcome is not journaled");
      assertTrue(OneLabTest.journal(test.persistenceTestKit(), id).stream().noneMatch(e -> e instanceof LabTest.ExecutionSucceeded));
      return null;
    });
    time.timePasses(Duration.ofSeconds(2)); // the back-off (no wall-clock step: the instant has passed)
    awaitStatus(LabTest.Status.COMPLETED);
    runner.assertNone();
    LabTest.ExecutionSucceeded succeeded = journal().stream().filter(e -> e instanceof LabTest.ExecutionSucceeded)
        .map(e -> (LabTest.ExecutionSucceeded) e).findFirst().orElseThrow();
    assertEquals(List.of("200 once"), succeeded.log());
  }

  @Test
  void aTestHandedOffWhileItsActionIsUnderWayStopsOnceTheOutcomeIsJournaledAndItsNextHomeDoesNotCallAgain() throws Exception {
    String id = "LT-" + String.format("%012x", ids.incrementAndGet());
    var replies = kit.<LabTest.Reply>createTestProbe();
    var entity = kit.spawn(LabTestPartition.create(OneLabTest.PARTITION, ActionCalls.unfenced(runner), POLICY, clock, event -> {}, 100));
    entity.tell(new LabTestPartition.ForTest(id, new LabTest.Create(definition(Schedule.once(clock.instant().plusSeconds(60)), 0, LabTest.FIRE_ONCE), "sam",
        null, replies.getRef())));
    replies.expectMessageClass(LabTest.Current.class);
    advance(Duration.ofSeconds(60));
    Call call = runner.next();

    entity.tell(new LabTestPartition.Stop()); // sharding hands the partition to another node (a rolling restart)
    entity.tell(new LabTestPartition.ForTest(id, new LabTest.Get(replies.getRef())));
    assertEquals(LabTest.Status.RUNNING, ((LabTest.Current) replies.receiveMessage()).labTest().status(), "still there, waiting for its call");
    call.answer().complete(LabTestAction.Outcome.succeeded("200"));
    replies.expectTerminated(entity, Duration.ofSeconds(5));
    var persistence = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(kit.system());
    assertEquals(1, OneLabTest.journal(persistence, id).stream().filter(e -> e instanceof LabTest.ExecutionSucceeded).count());

    // Its next home (another node: calls of its own) finds the execution over, and calls nothing.
    var moved = kit.spawn(LabTestPartition.create(OneLabTest.PARTITION, ActionCalls.unfenced(runner), POLICY, clock, event -> {}, 100));
    moved.tell(new LabTestPartition.ForTest(id, new LabTest.Get(replies.getRef())));
    assertEquals(LabTest.Status.COMPLETED, ((LabTest.Current) replies.receiveMessage()).labTest().status());
    runner.assertNone();
    moved.tell(new LabTestPartition.Stop()); // nothing under way: at once
    replies.expectTerminated(moved, Duration.ofSeconds(5));
  }

  @Test
  void aTestHandedOffWhoseOutcomeWriteFailsRecordsTheCallItMadeBeforeItStopsAndIsNotCalledAgain() throws Exception {
    String id = "LT-" + String.format("%012x", ids.incrementAndGet());
    var replies = kit.<LabTest.Reply>createTestProbe();
    ActionCalls node = ActionCalls.unfenced(runner);
    var entity = kit.spawn(LabTestPartition.create(OneLabTest.PARTITION, node, POLICY, clock, event -> {}, 100));
    entity.tell(new LabTestPartition.ForTest(id, new LabTest.Create(definition(Schedule.once(clock.instant().plusSeconds(60)), 0, LabTest.FIRE_ONCE), "sam",
        null, replies.getRef())));
    replies.expectMessageClass(LabTest.Current.class);
    advance(Duration.ofSeconds(60));
    Call call = runner.next();

    entity.tell(new LabTestPartition.Stop()); // a hand-off while the call is under way
    var persistence = org.apache.pekko.persistence.testkit.javadsl.PersistenceTestKit.create(kit.system());
    // The outcome's write fails: the partition starts again from its journal, still handing off.
    persistence.failNextPersisted(org.apache.pekko.persistence.typed.PersistenceId.of(LabTestPartition.TYPE.name(), OneLabTest.PARTITION).id());
    call.answer().complete(LabTestAction.Outcome.succeeded("200 once"));
    // The write failed (a write that took would be in the journal within milliseconds), and the
    // manual clock holds the restart's back-off: the outcome is nowhere yet but in the node's calls.
    replies.expectNoMessage(Duration.ofMillis(500));
    assertTrue(OneLabTest.journal(persistence, id).stream().noneMatch(e -> e instanceof LabTest.ExecutionSucceeded), "the outcome's write failed");
    assertEquals(1, node.size(), "the call is kept while its outcome is not journaled");

    // Started again after its back-off (on the system's scheduler: stepped until then), it takes
    // the call it made, journals the outcome, and only then stops: the next home finds the
    // execution over. Without taking the call, it stopped at once and the next home called again.
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(10), () -> {
      time.timePasses(Duration.ofSeconds(2));
      assertEquals(1, OneLabTest.journal(persistence, id).stream().filter(e -> e instanceof LabTest.ExecutionSucceeded).count(),
          "outcome journaled by the partition started again");
      return null;
    });
    replies.expectTerminated(entity, Duration.ofSeconds(5));
    runner.assertNone();
    assertEquals(0, node.size(), "forgotten once its outcome is in the journal");
  }
}
