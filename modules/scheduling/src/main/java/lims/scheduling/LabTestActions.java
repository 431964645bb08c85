package lims.scheduling;

import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;

/** The action kinds this node can run, each a {@link LabTestAction.Runner}, and the check of each kind's parameters. */
public final class LabTestActions implements LabTestAction.Runner {

  /** A kind: how to check its parameters and how to run it. */
  public record Kind(Function<Map<String, Object>, Optional<String>> check, LabTestAction.Runner runner) {}

  private final Map<String, Kind> kinds;

  public LabTestActions(Map<String, Kind> kinds) {
    this.kinds = new TreeMap<>(kinds);
  }

  /**
   * The three kinds: an HTTP call (waiting at most the attempt's {@code actionTimeout}, naming the
   * calling {@code node} in a header), a workflow on a device, an analysis run.
   */
  public static LabTestActions of(lims.workflow.Workflows workflows, lims.analysis.Analyses analyses, java.time.Duration actionTimeout,
      String node) {
    AnalysisAction analysis = new AnalysisAction(analyses.pipelines(), new AnalysisAction.Runs() {
      @Override
      public CompletionStage<lims.analysis.Analysis.Reply> ask(String analysisId,
          Function<org.apache.pekko.actor.typed.ActorRef<lims.analysis.Analysis.Reply>, lims.analysis.Analysis.Command> command) {
        return analyses.ask(analysisId, command);
      }

      @Override
      public CompletionStage<Optional<lims.analysis.Analysis.Reply>> awaitDispatch(String analysisId, java.time.Duration wait) {
        return analyses.awaitDispatch(analysisId, wait);
      }
    });
    HttpAction http = new HttpAction(actionTimeout, node);
    return new LabTestActions(Map.of(
        "http", new Kind(http::check, http),
        "workflow", new Kind(WorkflowAction::check, new WorkflowAction(workflows)),
        "analysis", new Kind(analysis::check, analysis)));
  }

  /** These kinds and more. */
  public LabTestActions with(Map<String, Kind> more) {
    Map<String, Kind> all = new TreeMap<>(kinds);
    all.putAll(more);
    return new LabTestActions(all);
  }

  /** Why an action cannot be scheduled, if it cannot: an unknown kind, or parameters the kind refuses. */
  public Optional<String> check(LabTestAction action) {
    Kind kind = kinds.get(action.kind());
    if (kind == null) return Optional.of("unknown action kind '" + action.kind() + "'; kinds are " + kinds.keySet());
    return kind.check().apply(action.parameters());
  }

  @Override
  public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
    Kind kind = kinds.get(action.kind());
    if (kind == null) return CompletableFuture.completedFuture(LabTestAction.Outcome.failed("no runner for action kind " + action.kind()));
    return kind.runner().run(action, execution);
  }
}
