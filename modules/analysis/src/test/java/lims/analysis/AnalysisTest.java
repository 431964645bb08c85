package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lims.kernel.testing.ManualClock;
import org.apache.pekko.Done;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * The Analysis entity's own rules, with ManualTime for its timers and a scripted remote host
 * (the real one is tested against a real sshd in SshRemoteHostTest and AnalysisApiTest).
 */
class AnalysisTest {

  static final ActorTestKit kit = ActorTestKit.create(ManualTime.config()
      .withFallback(EventSourcedBehaviorTestKit.config())
      .withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final ManualTime time = ManualTime.get(kit.system());
  static final AtomicInteger ids = new AtomicInteger();
  static final Pipeline PIPELINE = new Pipeline("seq", "host", 22, "lims", Path.of("/k"), Path.of("/kh"),
      CommandTemplate.parse("run {specimen_id} --out {result_dir}"), Path.of("/results"), Duration.ofHours(12), "lims");
  static final Analysis.DispatchPolicy POLICY = new Analysis.DispatchPolicy(3, new lims.kernel.Backoff(Duration.ofSeconds(2), Duration.ofMinutes(1)));

  @AfterAll
  static void shutdown() {
    kit.shutdownTestKit();
  }

  /** A remote host whose every start and kill the test answers by hand. */
  static final class ScriptedHost implements RemoteHost {
    final LinkedBlockingQueue<CompletableFuture<Done>> starts = new LinkedBlockingQueue<>();
    final LinkedBlockingQueue<CompletableFuture<Done>> kills = new LinkedBlockingQueue<>();

    @Override
    public CompletionStage<Done> start(Pipeline pipeline, String session, String command) {
      CompletableFuture<Done> f = new CompletableFuture<>();
      starts.add(f);
      return f;
    }

    @Override
    public CompletionStage<Done> kill(Pipeline pipeline, String session) {
      CompletableFuture<Done> f = new CompletableFuture<>();
      kills.add(f);
      return f;
    }

    CompletableFuture<Done> nextStart() throws InterruptedException {
      CompletableFuture<Done> f = starts.poll(5, TimeUnit.SECONDS);
      if (f == null) throw new AssertionError("no start was attempted");
      return f;
    }

    CompletableFuture<Done> nextKill() throws InterruptedException {
      CompletableFuture<Done> f = kills.poll(5, TimeUnit.SECONDS);
      if (f == null) throw new AssertionError("no kill was attempted");
      return f;
    }
  }

  ScriptedHost host = new ScriptedHost();
  /** The entity's wall clock; {@link #advance} moves it together with the actor timers. */
  final ManualClock clock = new ManualClock(Instant.parse("2026-05-04T09:00:00Z"));

  void advance(Duration d) {
    clock.advance(d);
    time.timePasses(d);
  }

  EventSourcedBehaviorTestKit<Analysis.Command, Analysis.Event, Analysis.State> requested() {
    String id = "AN-SP-2026-" + String.format("%06d", ids.incrementAndGet()) + "-1";
    var analysis = EventSourcedBehaviorTestKit.<Analysis.Command, Analysis.Event, Analysis.State>create(kit.system(),
        Analysis.create(id, new Pipelines(Map.of("seq", PIPELINE), Map.of(), "seq"), host, POLICY, clock));
    var reply = analysis.<Analysis.Reply>runCommand(r -> new Analysis.Request("SP-2026-000001", "LAB-1", List.of("wgs"), null, Map.of(), r));
    assertEquals(Analysis.Status.DISPATCHING, ((Analysis.Current) reply.reply()).analysis().status());
    return analysis;
  }

  static void awaitStatus(EventSourcedBehaviorTestKit<Analysis.Command, Analysis.Event, Analysis.State> a, Analysis.Status status) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(status, a.getState().status());
      return null;
    });
  }

  static void awaitSessionEnded(EventSourcedBehaviorTestKit<Analysis.Command, Analysis.Event, Analysis.State> a) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertTrue(a.getState().sessionEnded());
      return null;
    });
  }

  @Test
  void failedStartsAreRetriedWithBackOffAndTheLastFailureFailsTheRun() throws Exception {
    var a = requested();
    assertTrue(a.getState().command().contains("'SP-2026-000001'"), a.getState().command());
    host.nextStart().completeExceptionally(new RuntimeException("connection refused"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(1, a.getState().attempts());
      return null;
    });
    time.expectNoMessageFor(Duration.ofMillis(1900), kit.createTestProbe());
    assertTrue(host.starts.isEmpty(), "not before the back-off");
    advance(Duration.ofMillis(200));
    host.nextStart().completeExceptionally(new RuntimeException("connection refused"));
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(2, a.getState().attempts());
      return null;
    });
    advance(Duration.ofSeconds(4)); // doubled
    host.nextStart().completeExceptionally(new RuntimeException("tmux: command not found"));
    awaitStatus(a, Analysis.Status.FAILED);
    assertEquals("dispatch failed after 3 attempts: tmux: command not found", a.getState().failureReason());
    // A start that timed out may have got through: its session is killed once, so no retry runs beside it.
    host.nextKill().completeExceptionally(new RuntimeException("connection refused"));
    time.expectNoMessageFor(Duration.ofMillis(100), kit.createTestProbe());
    advance(Duration.ofMinutes(5));
    assertTrue(host.kills.isEmpty(), "one kill, not retried for a failed run");
    assertEquals(Analysis.Status.FAILED, a.getState().status());
  }

  @Test
  void withNoResultByTheDeadlineTheRunTimesOutAndItsSessionIsKilled() throws Exception {
    var a = requested();
    host.nextStart().complete(Done.getInstance());
    awaitStatus(a, Analysis.Status.RUNNING);
    advance(Duration.ofHours(11));
    assertEquals(Analysis.Status.RUNNING, a.getState().status());
    advance(Duration.ofHours(1));
    awaitStatus(a, Analysis.Status.TIMED_OUT);
    assertEquals("timeout", a.getState().failureReason());
    host.nextKill().complete(Done.getInstance());
    awaitSessionEnded(a);
  }

  @Test
  void aTimeLimitLongerThanOneTimerCanWaitEndsTheRunAtTheLimitNotBefore() throws Exception {
    Pipeline month = new Pipeline("month", "host", 22, "lims", Path.of("/k"), Path.of("/kh"),
        CommandTemplate.parse("run {specimen_id} --out {result_dir}"), Path.of("/results"), Duration.ofDays(30), "lims");
    var a = EventSourcedBehaviorTestKit.<Analysis.Command, Analysis.Event, Analysis.State>create(kit.system(),
        Analysis.create("AN-SP-2026-" + String.format("%06d", ids.incrementAndGet()) + "-1", new Pipelines(Map.of("month", month), Map.of(), "month"),
            host, POLICY, clock));
    a.<Analysis.Reply>runCommand(r -> new Analysis.Request("SP-2026-000001", "LAB-1", List.of("wgs"), null, Map.of(), r));
    host.nextStart().complete(Done.getInstance());
    awaitStatus(a, Analysis.Status.RUNNING);
    assertEquals(Instant.parse("2026-06-03T09:00:00Z"), a.getState().deadline());
    for (int day = 1; day < 30; day++) {
      advance(Duration.ofDays(1)); // the capped timer fires each day and is armed again
      a.<Analysis.Reply>runCommand(Analysis.Get::new); // answered after the timer's message
      assertEquals(Analysis.Status.RUNNING, a.getState().status(), "day " + day);
    }
    advance(Duration.ofDays(1).minusSeconds(1));
    a.<Analysis.Reply>runCommand(Analysis.Get::new);
    assertEquals(Analysis.Status.RUNNING, a.getState().status(), "a second before the limit");
    advance(Duration.ofSeconds(1));
    awaitStatus(a, Analysis.Status.TIMED_OUT);
    host.nextKill().complete(Done.getInstance());
    awaitSessionEnded(a);
  }

  @Test
  void aRunCancelledWhileItsStartIsUnderWayIsKilledAgainOnceTheStartGetsThrough() throws Exception {
    var a = requested();
    CompletableFuture<Done> start = host.nextStart();
    var cancelled = a.<Analysis.Reply>runCommand(r -> new Analysis.Cancel("wrong sample", "sam", r));
    assertEquals(Analysis.Status.CANCELLED, ((Analysis.Current) cancelled.reply()).analysis().status());
    host.nextKill().complete(Done.getInstance());
    awaitSessionEnded(a);
    start.complete(Done.getInstance()); // the start landed after the kill
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(5), () -> {
      assertFalse(a.getState().sessionEnded(), "its session may run again");
      return null;
    });
    // That kill fails: it is retried after the back-off, and again after a restart, until one gets through.
    host.nextKill().completeExceptionally(new RuntimeException("connection reset"));
    advance(Duration.ofSeconds(2));
    host.nextKill().completeExceptionally(new RuntimeException("connection reset"));
    a.restart();
    host.nextKill().complete(Done.getInstance());
    awaitSessionEnded(a);
  }

  @Test
  void aKillSentBeforeALateStartLandedDoesNotConfirmTheSessionGone() throws Exception {
    var a = requested();
    CompletableFuture<Done> start = host.nextStart();
    a.<Analysis.Reply>runCommand(r -> new Analysis.Cancel("wrong sample", "sam", r));
    CompletableFuture<Done> early = host.nextKill(); // may have run on the host before the start did
    start.complete(Done.getInstance());
    CompletableFuture<Done> again = host.nextKill();
    early.complete(Done.getInstance()); // its answer is in the mailbox now, ahead of the Get below
    var after = a.<Analysis.Reply>runCommand(Analysis.Get::new);
    assertFalse(((Analysis.Current) after.reply()).analysis().sessionEnded(), "the earlier kill's answer proves nothing");
    again.complete(Done.getInstance());
    awaitSessionEnded(a);
  }

  @Test
  void aResultAfterTheEndIsRecordedNotCountedAndARepeatChangesNothing() throws Exception {
    var a = requested();
    host.nextStart().complete(Done.getInstance());
    awaitStatus(a, Analysis.Status.RUNNING);
    a.<Analysis.Reply>runCommand(r -> new Analysis.Cancel(null, "sam", r));
    host.nextKill().complete(Done.getInstance());
    // The kill's answer is persisted by its own message; waiting for it keeps its event out of
    // the result's command (the test kit hands a command every event persisted meanwhile).
    awaitSessionEnded(a);
    var late = a.<Analysis.Reply>runCommand(r -> new Analysis.RecordResult("succeeded", Map.of("reads", 7), r));
    assertFalse(((Analysis.ResultRecorded) late.event()).counted());
    assertEquals(Analysis.Status.CANCELLED, a.getState().status());
    var again = a.<Analysis.Reply>runCommand(r -> new Analysis.RecordResult("succeeded", Map.of("reads", 7), r));
    assertTrue(again.events().isEmpty());
  }

  @Test
  void aResultWhileRunningEndsTheRunAndAnUnknownIdIsRefused() throws Exception {
    var a = requested();
    host.nextStart().complete(Done.getInstance());
    awaitStatus(a, Analysis.Status.RUNNING);
    var result = a.<Analysis.Reply>runCommand(r -> new Analysis.RecordResult("failed", Map.of("why", "low yield"), r));
    assertTrue(((Analysis.ResultRecorded) result.event()).counted());
    assertEquals(Analysis.Status.FAILED, a.getState().status());
    assertEquals(Analysis.PIPELINE_FAILED, a.getState().failureReason());

    var unknown = EventSourcedBehaviorTestKit.<Analysis.Command, Analysis.Event, Analysis.State>create(kit.system(),
        Analysis.create("AN-SP-2026-999999-1", new Pipelines(Map.of("seq", PIPELINE), Map.of(), "seq"), host, POLICY, clock));
    var refused = unknown.<Analysis.Reply>runCommand(r -> new Analysis.RecordResult("succeeded", Map.of(), r));
    assertTrue(refused.reply() instanceof Analysis.Rejected);
    assertTrue(refused.events().isEmpty());
  }
}
