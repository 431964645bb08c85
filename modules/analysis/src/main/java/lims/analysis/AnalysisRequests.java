package lims.analysis;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.EntityAsker;
import lims.specimen.Specimen;
import org.apache.pekko.Done;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;

/**
 * The {@code analysis-requests} reaction: a specimen's request for a run, or for its
 * cancellation, reaches the run. At least once; the run answers a repeated request or
 * cancellation with what it is, so a replayed event changes nothing. In manual mode (no
 * pipelines) no run is started: the outcome is reported through the API.
 */
public final class AnalysisRequests extends Handler<EventEnvelope<Specimen.Event>> {

  public static final String NAME = "analysis-requests";

  private final boolean manualMode;
  private final EntityAsker<Analysis.Command, Analysis.Reply> analyses;

  public AnalysisRequests(boolean manualMode, EntityAsker<Analysis.Command, Analysis.Reply> analyses) {
    this.manualMode = manualMode;
    this.analyses = analyses;
  }

  @Override
  public CompletionStage<Done> process(EventEnvelope<Specimen.Event> envelope) {
    if (envelope.event() instanceof Specimen.AnalysisRequested e && !manualMode) {
      return analyses.ask(e.analysisId(), r -> new Analysis.Request(e.specimenId(), e.barcode(), e.testsRequested(), e.pipeline(),
          e.parameters(), r)).thenApply(reply -> Done.getInstance());
    }
    if (envelope.event() instanceof Specimen.AnalysisCancellationRequested e && e.analysisId() != null) {
      // Not found (manual mode) or already over: nothing to cancel.
      return analyses.ask(e.analysisId(), r -> new Analysis.Cancel(e.reason(), e.custody().userId(), r)).thenApply(reply -> Done.getInstance());
    }
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
