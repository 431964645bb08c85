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
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lims.analysis.Analysis;
import lims.kernel.Rejection;
import org.junit.jupiter.api.Test;

/** The analysis action around a stand-in for the analysis runs: it waits for the dispatch, and no longer than its attempt. */
class AnalysisActionTest {

  private final AtomicInteger gets = new AtomicInteger();

  /** Runs that stay "dispatching" for {@code polls} answers to Get, then are running. */
  private AnalysisAction.Runs runsDispatchingFor(int polls) {
    return (id, command) -> {
      var message = command.apply(null);
      Analysis.Status status = message instanceof Analysis.Get && gets.incrementAndGet() > polls ? Analysis.Status.RUNNING : Analysis.Status.DISPATCHING;
      return CompletableFuture.completedFuture(new Analysis.Current(new Analysis.State(id, null, "seq", "lims-" + id, "run", status,
          Instant.now(), null, Instant.now().plusSeconds(60), null, 0, null, null, null, false, false)));
    };
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

  @Test
  void succeedsOnceTheRunIsDispatched() throws Exception {
    LabTestAction.Outcome outcome = run(runsDispatchingFor(2), Duration.ofSeconds(30));
    assertTrue(outcome.succeeded(), outcome.log().toString());
    assertEquals(3, gets.get());
  }

  /** Runs by id, each with a status; a Request for an unknown id starts it running. Records which ids were requested. */
  private AnalysisAction.Runs runsWith(Map<String, Analysis.Status> status, List<String> requested) {
    return (id, command) -> {
      var message = command.apply(null);
      if (message instanceof Analysis.Request) {
        requested.add(id);
        status.putIfAbsent(id, Analysis.Status.RUNNING);
      }
      if (!status.containsKey(id)) return CompletableFuture.completedFuture(new Analysis.Rejected(Rejection.notFound("no analysis " + id)));
      return CompletableFuture.completedFuture(new Analysis.Current(new Analysis.State(id, null, "seq", "lims-" + id, "run", status.get(id),
          Instant.now(), null, Instant.now().plusSeconds(60), null, 0, null, null, null, false, false)));
    };
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
  void aRunStillDispatchingAtTheAttemptsDeadlineFailsTheAttemptAndIsNoLongerPolled() throws Exception {
    LabTestAction.Outcome outcome = run(runsDispatchingFor(Integer.MAX_VALUE), Duration.ofSeconds(1));
    assertFalse(outcome.succeeded());
    assertTrue(outcome.log().get(0).contains("still dispatching"), outcome.log().toString());
    // The outcome ends the polling loop (it is the loop's last stage); until then about one ask per 250 ms.
    int asked = gets.get();
    assertTrue(asked >= 1 && asked <= 5, "polled " + asked + " times in 1 s");
  }
}
