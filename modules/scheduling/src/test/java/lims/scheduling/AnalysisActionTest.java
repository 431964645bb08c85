package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import lims.analysis.Analysis;
import org.junit.jupiter.api.Test;

/** The analysis action around a stand-in for the analysis runs: it waits for the dispatch, and no longer than its attempt. */
class AnalysisActionTest {

  private final AtomicInteger gets = new AtomicInteger();

  /** Runs that stay "dispatching" for {@code polls} answers to Get, then are running. */
  private AnalysisAction.Runs runsDispatchingFor(int polls) {
    return (id, command) -> {
      var message = command.apply(null);
      String status = message instanceof Analysis.Get && gets.incrementAndGet() > polls ? Analysis.RUNNING : Analysis.DISPATCHING;
      return CompletableFuture.completedFuture(new Analysis.Current(new Analysis.State(id, null, "seq", "lims-" + id, "run", status,
          Instant.now(), null, Instant.now().plusSeconds(60), null, 0, null, null, null, false, false)));
    };
  }

  private LabTestAction.Outcome run(AnalysisAction.Runs runs, Duration attempt) throws Exception {
    var action = new LabTestAction("analysis", Map.of("pipeline", "seq"));
    var execution = new LabTestAction.Execution("LT-000000000001", "LT-000000000001-1", Instant.now(), 1, Instant.now().plus(attempt));
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
