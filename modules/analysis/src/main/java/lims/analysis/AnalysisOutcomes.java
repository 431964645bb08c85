package lims.analysis;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.Custody;
import lims.kernel.EntityAsker;
import lims.kernel.Rejection;
import lims.specimen.Specimen;
import lims.specimen.SpecimenState;
import lims.specimen.TransitionTable.Action;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code analysis-outcomes} reaction: a run's end ({@link Analysis#ending}) moves its
 * specimen out of IN_ANALYSIS, as analysis_succeeded or analysis_failed naming the run. A
 * specimen that left IN_ANALYSIS meanwhile, or moved on to a newer run, refuses (a conflict),
 * which is right; any other refusal is logged. A scheduled run has no specimen to move.
 */
public final class AnalysisOutcomes extends Handler<EventEnvelope<Analysis.Event>> {

  public static final String NAME = "analysis-outcomes";
  private static final Logger log = LoggerFactory.getLogger(AnalysisOutcomes.class);

  private final EntityAsker<Specimen.Command, Specimen.Reply> specimens;

  public AnalysisOutcomes(EntityAsker<Specimen.Command, Specimen.Reply> specimens) {
    this.specimens = specimens;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Analysis.Event> envelope) {
    Analysis.Event event = envelope.event();
    return Analysis.ending(event).map(end -> report(event.analysisId(), end, event instanceof Analysis.ResultRecorded r ? r.result() : null))
        .orElse(CompletableFuture.completedFuture(Done.getInstance()));
  }

  private CompletionStage<Done> report(String analysisId, Analysis.Ending end, Map<String, Object> result) {
    String specimenId = end.specimenId();
    if (specimenId == null) return CompletableFuture.completedFuture(Done.getInstance()); // a scheduled run for no specimen
    String action = (end.succeeded() ? Action.ANALYSIS_SUCCEEDED : Action.ANALYSIS_FAILED).wireName();
    String reason = end.reason();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("analysis_id", analysisId);
    if (reason != null) data.put("reason", reason);
    if (result != null) data.put("result", result);
    // Stamped with the instant the run ended (the entity's clock), not when this reaction ran.
    Custody system = Custody.system(end.at(), "analysis:" + analysisId, reason);
    return specimens.ask(specimenId, r -> new Specimen.Transition(action, Optional.of(SpecimenState.IN_ANALYSIS), Map.copyOf(data),
        system, r)).thenApply(reply -> {
          if (reply instanceof Specimen.Rejected rejected && rejected.rejection().kind() != Rejection.Kind.CONFLICT) {
            log.warn("specimen {} not moved by {} of {}: {}", specimenId, action, analysisId, rejected.rejection().detail());
          }
          return Done.getInstance();
        });
  }
}
