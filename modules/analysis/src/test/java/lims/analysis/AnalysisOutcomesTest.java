package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lims.kernel.Custody;
import lims.kernel.testing.Reactions;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.TransitionTable.Action;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The analysis-outcomes reaction over a test source of analysis events, moving real specimen entities (in-memory journal). */
class AnalysisOutcomesTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final Instant T0 = Instant.parse("2026-11-23T08:00:00Z");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  final Reactions.Spawned<Specimen.Command, Specimen.Reply> specimens = Reactions.spawned(testKit, Specimen::create);

  /** A specimen in IN_ANALYSIS, its first run requested. */
  void inAnalysis(String id) {
    Custody tom = new Custody("tom", "admin", T0, "10.1.2.3", "req-" + id, null);
    specimens.answer(id, r -> new Specimen.Register(new Specimen.Registration("client-7", "blood", List.of("cbc"), null, "normal", null), tom, r));
    for (Action a : List.of(Action.ASSIGN_BARCODE, Action.RECEIVE, Action.START_PREPARATION, Action.FINISH_PREPARATION, Action.PASS_QC,
        Action.START_EXPERIMENT, Action.FINISH_EXPERIMENT)) {
      assertTrue(specimens.answer(id, r -> new Specimen.Transition(a.wireName(), Optional.empty(), Map.of(), tom, r)) instanceof Specimen.Current);
    }
  }

  Specimen.State specimen(String id) {
    return ((Specimen.Current) specimens.answer(id, Specimen.Get::new)).specimen();
  }

  @Test
  void aRunsEndMovesItsSpecimenAndAStaleRunsEndIsRefusedWithoutStoppingTheReaction() {
    String succeeds = "SP-2026-000101", timesOut = "SP-2026-000102";
    inAnalysis(succeeds);
    inAnalysis(timesOut);
    String run = Specimen.analysisId(succeeds, 1), current = Specimen.analysisId(timesOut, 1), stale = Specimen.analysisId(timesOut, 7);
    List<Analysis.Event> events = List.of(
        new Analysis.AnalysisRequested(run, succeeds, "seq", "lims-" + run, "run", T0, T0.plusSeconds(3600)),
        new Analysis.AnalysisDispatched(run, 1, T0.plusSeconds(1)),
        new Analysis.ResultRecorded(run, succeeds, "succeeded", Map.of("crp_mg_l", "4.2"), true, T0.plusSeconds(60)),
        // A result after the end is recorded, not acted on; a scheduled run has no specimen to move.
        new Analysis.ResultRecorded(run, succeeds, "failed", Map.of(), false, T0.plusSeconds(61)),
        new Analysis.AnalysisFailed("AN-LT-0123456789abc-1764000000000", null, "host down", T0.plusSeconds(62)),
        new Analysis.AnalysisFailed(stale, timesOut, "host down", T0.plusSeconds(63)),
        new Analysis.AnalysisTimedOut(current, timesOut, T0.plusSeconds(3600), T0.plusSeconds(3601)));
    Reactions.run(testKit, AnalysisOutcomes.NAME, new AnalysisOutcomes(specimens), events,
        () -> assertEquals(SpecimenState.ANALYSIS_FAILED, specimen(timesOut).state(), "the reaction went past the stale run's refusal"));

    Specimen.State reviewed = specimen(succeeds);
    assertEquals(SpecimenState.IN_REVIEW, reviewed.state());
    Specimen.HistoryEntry moved = reviewed.history().get(reviewed.history().size() - 1);
    assertEquals(Action.ANALYSIS_SUCCEEDED.wireName(), moved.action());
    assertEquals(Map.of("analysis_id", run, "result", Map.of("crp_mg_l", "4.2")), moved.data());
    assertEquals(List.of("system", "admin", T0.plusSeconds(60), "analysis:" + run),
        List.of(moved.custody().userId(), moved.custody().role(), moved.custody().at(), moved.custody().requestId()), "stamped when the run ended");

    Specimen.State failed = specimen(timesOut);
    Specimen.HistoryEntry last = failed.history().get(failed.history().size() - 1);
    assertEquals(Action.ANALYSIS_FAILED.wireName(), last.action());
    assertEquals(Map.of("analysis_id", current, "reason", "timeout"), last.data());
    assertEquals(1, failed.history().stream().filter(h -> Action.ANALYSIS_FAILED.named(h.action())).count(), "the stale run moved nothing");
  }
}
