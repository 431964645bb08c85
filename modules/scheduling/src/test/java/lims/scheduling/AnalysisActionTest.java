package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import lims.analysis.Analysis;
import lims.kernel.Rejection;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.Test;

/** The analysis action around a stand-in for the analysis runs: it waits for the dispatch, and no longer than its attempt. */
class AnalysisActionTest {

  /**
   * Runs by id, each with a status; a Request for an unknown id starts it running. It records
   * which ids were requested and how often the action awaited a dispatch; an await is answered
   * when the run leaves dispatching ({@link #dispatch}), or empty when its wait runs out.
   */
  static final class StandIn implements AnalysisAction.Runs {
    final Map<String, Analysis.Status> status;
    final List<String> requested;
    final AtomicInteger awaits = new AtomicInteger();
    private final Map<Integer, CompletableFuture<Void>> awaited = new ConcurrentHashMap<>();
    final Map<String, List<CompletableFuture<Optional<Analysis.Reply>>>> waiting = new ConcurrentHashMap<>();
    /** Whether a run's entity forgets who waits (as one that restarts does). */
    boolean forgets;

    StandIn(Map<String, Analysis.Status> status, List<String> requested) {
      this.status = new ConcurrentHashMap<>(status);
      this.requested = requested;
    }

    Analysis.Reply current(String id) {
      if (!status.containsKey(id)) return new Analysis.Rejected(Rejection.notFound("no analysis " + id));
      return new Analysis.Current(new Analysis.State(id, null, "seq", "lims-" + id, "run", status.get(id),
          Instant.now(), null, Instant.now().plusSeconds(60), null, 0, null, null, null, false, false));
    }

    @Override
    public CompletionStage<Analysis.Reply> ask(String id, Function<ActorRef<Analysis.Reply>, Analysis.Command> command) {
      if (command.apply(null) instanceof Analysis.Request) {
        requested.add(id);
        status.putIfAbsent(id, Analysis.Status.RUNNING);
      }
      return CompletableFuture.completedFuture(current(id));
    }

    @Override
    public CompletionStage<Optional<Analysis.Reply>> awaitDispatch(String id, Duration wait) {
      int n = awaits.incrementAndGet();
      CompletableFuture<Optional<Analysis.Reply>> told = new CompletableFuture<>();
      if (status.get(id) != Analysis.Status.DISPATCHING) {
        told.complete(Optional.of(current(id)));
      } else {
        if (!forgets) waiting.computeIfAbsent(id, k -> new CopyOnWriteArrayList<>()).add(told);
        told.completeOnTimeout(Optional.empty(), wait.toMillis(), TimeUnit.MILLISECONDS);
      }
      awaited(n).complete(null); // once the wait is in place
      return told;
    }

    /** Completes when the action awaits the dispatch for the {@code n}-th time. */
    CompletableFuture<Void> awaited(int n) {
      return awaited.computeIfAbsent(n, k -> new CompletableFuture<>());
    }

    /** The run's start is confirmed: it is running, and whoever waits is told. */
    void dispatch(String id) {
      status.put(id, Analysis.Status.RUNNING);
      waiting.getOrDefault(id, List.of()).forEach(f -> f.complete(Optional.of(current(id))));
    }
  }

  static final String RUN = "AN-LT-000000000001-1";

  private static CompletableFuture<LabTestAction.Outcome> start(AnalysisAction action, Duration attempt, int number) {
    var execution = new LabTestAction.Execution("LT-000000000001", "LT-000000000001-1", Instant.now(), number, Instant.now().plus(attempt));
    return action.run(new LabTestAction("analysis", Map.of("pipeline", "seq")), execution).toCompletableFuture();
  }

  /** The run tells the waiting action when it is dispatched: one await, no polling. */
  @Test
  void succeedsOnceTheRunIsDispatched() throws Exception {
    StandIn runs = new StandIn(Map.of(RUN, Analysis.Status.DISPATCHING), new ArrayList<>());
    CompletableFuture<LabTestAction.Outcome> outcome = start(new AnalysisAction(null, runs), Duration.ofSeconds(30), 1);
    runs.awaited(1).get(10, TimeUnit.SECONDS);
    assertFalse(outcome.isDone(), "it waits while the run dispatches");
    runs.dispatch(RUN);
    LabTestAction.Outcome done = outcome.get(10, TimeUnit.SECONDS);
    assertTrue(done.succeeded(), done.log().toString());
    assertEquals(1, runs.awaits.get());
  }

  /** A run whose entity restarted forgot the waiting action: it asks again after each wait slice, and succeeds once the run is dispatched. */
  @Test
  void aRunThatForgotItsWaitersIsAskedAgainAfterEachSlice() throws Exception {
    StandIn runs = new StandIn(Map.of(RUN, Analysis.Status.DISPATCHING), new ArrayList<>());
    runs.forgets = true;
    CompletableFuture<LabTestAction.Outcome> outcome = start(new AnalysisAction(null, runs, Duration.ofMillis(200)), Duration.ofSeconds(30), 1);
    runs.awaited(2).get(10, TimeUnit.SECONDS);
    runs.dispatch(RUN); // nobody is told: the next await finds it running
    assertTrue(outcome.get(10, TimeUnit.SECONDS).succeeded());
    assertEquals(3, runs.awaits.get(), "asked again after each of two slices");
  }

  private LabTestAction.Outcome run(AnalysisAction.Runs runs, Duration attempt) throws Exception {
    return run(runs, attempt, 1);
  }

  private LabTestAction.Outcome run(AnalysisAction.Runs runs, Duration attempt, int number) throws Exception {
    var action = new LabTestAction("analysis", Map.of("pipeline", "seq"));
    var execution = new LabTestAction.Execution("LT-000000000001", "LT-000000000001-1", Instant.now(), number, Instant.now().plus(attempt));
    // Generous: the action must end by itself, at its deadline, well within this.
    // No pipelines: only the parameter check reads them.
    return new AnalysisAction(null, runs).run(action, execution).toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  private AnalysisAction.Runs runsWith(Map<String, Analysis.Status> status, List<String> requested) {
    return new StandIn(status, requested);
  }

  @Test
  void aRetryAfterARunThatFailedStartsARunOfItsOwnAndOneUnderWayIsKept() throws Exception {
    String first = "AN-LT-000000000001-1";
    List<String> requested = new ArrayList<>();
    // The first attempt's run failed (its host was down): the second attempt asks for a run of its own.
    Map<String, Analysis.Status> runs = new HashMap<>(Map.of(first, Analysis.Status.FAILED));
    assertTrue(run(runsWith(runs, requested), Duration.ofSeconds(30), 2).succeeded());
    assertEquals(List.of(first + "-2"), requested);
    // Resumed after a crash, or a third attempt after a second that did not fail: the same run, not a new one.
    requested.clear();
    assertTrue(run(runsWith(runs, requested), Duration.ofSeconds(30), 3).succeeded());
    assertEquals(List.of(first + "-2"), requested);
    // A first run still under way (the attempt before only gave up waiting) is kept.
    requested.clear();
    assertTrue(run(runsWith(new HashMap<>(Map.of(first, Analysis.Status.DISPATCHING)), requested), Duration.ofSeconds(1), 2)
        .log().get(0).contains("still dispatching"));
    assertEquals(List.of(first), requested);
    assertTrue(Analysis.ID.matcher(first + "-2").matches(), "the retry's run is a valid analysis id (its result folder is recognised)");
  }

  @Test
  void aRunStillDispatchingAtTheAttemptsDeadlineFailsTheAttemptAndIsNoLongerWaitedFor() throws Exception {
    StandIn runs = new StandIn(Map.of(RUN, Analysis.Status.DISPATCHING), new ArrayList<>());
    LabTestAction.Outcome outcome = run(runs, Duration.ofSeconds(1));
    assertFalse(outcome.succeeded());
    assertTrue(outcome.log().get(0).contains("still dispatching"), outcome.log().toString());
    // One wait for the whole second, told or timed out at the deadline: not asked over and over.
    assertEquals(1, runs.awaits.get(), "awaited " + runs.awaits.get() + " times in 1 s");
  }
}
