package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import lims.kernel.Custody;
import lims.kernel.EntityAsker;
import lims.kernel.Rejection;
import lims.kernel.testing.Reactions;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.TransitionTable.Action;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The analysis-requests reaction over a test source of specimen events, asking a stand-in that records what the runs were sent. */
class AnalysisRequestsTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final String SPECIMEN = "SP-2026-000042";
  static final String RUN = Specimen.analysisId(SPECIMEN, 1);
  static final Custody SAM = new Custody("sam", "scientist", Instant.parse("2026-11-23T08:00:00Z"), "10.1.2.3", "req-1", null);
  static final Custody RAVI = new Custody("ravi", "reviewer", Instant.parse("2026-11-23T09:00:00Z"), "10.1.2.4", "req-2", "pipette drift");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** What one run was sent. */
  record Sent(String analysisId, Analysis.Command command) {}

  final List<Sent> sent = new CopyOnWriteArrayList<>();
  /** Records the command and answers as a run that does not exist would. */
  final EntityAsker<Analysis.Command, Analysis.Reply> runs = (id, command) -> {
    sent.add(new Sent(id, command.apply(null))); // nobody reads the reply-to
    return CompletableFuture.completedFuture(new Analysis.Rejected(Rejection.notFound("no analysis " + id)));
  };

  static final List<Specimen.Event> EVENTS = List.of(
      new Specimen.SpecimenTransitioned(SPECIMEN, Action.FINISH_EXPERIMENT.wireName(), SpecimenState.IN_EXPERIMENT, SpecimenState.IN_ANALYSIS,
          Map.of(), SAM),
      new Specimen.AnalysisRequested(SPECIMEN, RUN, "LAB-42", List.of("wgs"), "rnaseq", Map.of("genome", "GRCh38"), SAM),
      new Specimen.AnalysisCancellationRequested(SPECIMEN, RUN, "pipette drift", RAVI),
      // Left IN_ANALYSIS before any run was asked for (no run): nothing to cancel.
      new Specimen.AnalysisCancellationRequested(SPECIMEN, null, "client withdrew", RAVI),
      // The last event: once it is sent, every event before it has been handled.
      new Specimen.AnalysisCancellationRequested(SPECIMEN, Specimen.analysisId(SPECIMEN, 2), "cancel", RAVI));

  @Test
  void aRequestStartsTheRunNamedByTheSpecimenAndACancellationCancelsIt() {
    Reactions.run(testKit, AnalysisRequests.NAME, new AnalysisRequests(false, runs), EVENTS, () -> assertEquals(3, sent.size(), sent.toString()));
    assertEquals(List.of(RUN, RUN, Specimen.analysisId(SPECIMEN, 2)), sent.stream().map(Sent::analysisId).toList());
    var request = (Analysis.Request) sent.get(0).command();
    assertEquals(RUN, sent.get(0).analysisId());
    assertEquals(List.of(SPECIMEN, "LAB-42", List.of("wgs"), "rnaseq", Map.of("genome", "GRCh38")),
        List.of(request.specimenId(), request.barcode(), request.testsRequested(), request.pipeline(), request.parameters()));
    var cancel = (Analysis.Cancel) sent.get(1).command();
    assertEquals(RUN, sent.get(1).analysisId());
    assertEquals(List.of("pipette drift", "ravi"), List.of(cancel.reason(), cancel.by()));
  }

  @Test
  void inManualModeNoRunIsStartedButACancellationStillReachesTheRun() {
    Reactions.run(testKit, AnalysisRequests.NAME, new AnalysisRequests(true, runs), EVENTS, () -> assertEquals(2, sent.size(), sent.toString()));
    assertEquals(List.of(RUN, Specimen.analysisId(SPECIMEN, 2)), sent.stream().map(Sent::analysisId).toList());
    assertTrue(sent.stream().allMatch(x -> x.command() instanceof Analysis.Cancel), sent.toString());
  }
}
