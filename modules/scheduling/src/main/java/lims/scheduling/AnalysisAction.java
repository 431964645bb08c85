package lims.scheduling;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import lims.analysis.Analyses;
import lims.analysis.Analysis;

/**
 * The "analysis" action: dispatches a run of a configured pipeline, named by the execution
 * ({@code AN-<execution id>}, so a resumed execution finds its run), and succeeds once the
 * run is dispatched (its tmux session confirmed), fails when the dispatch failed.
 * Parameters: {@code pipeline}, {@code parameters} (strings the pipeline's command takes).
 */
final class AnalysisAction implements LabTestAction.Runner {

  private static final Duration POLL = Duration.ofMillis(250);

  private final Analyses analyses;

  AnalysisAction(Analyses analyses) {
    this.analyses = analyses;
  }

  Optional<String> check(Map<String, Object> p) {
    if (!(p.get("pipeline") instanceof String name) || analyses.pipelines().named(name).isEmpty()) {
      return Optional.of("pipeline must name a configured pipeline; configured: "
          + analyses.pipelines().all().stream().map(lims.analysis.Pipeline::name).toList());
    }
    Object given = p.getOrDefault("parameters", Map.of());
    if (!(given instanceof Map<?, ?> m) || m.values().stream().anyMatch(v -> !(v instanceof String))) {
      return Optional.of("parameters must be an object of strings");
    }
    Optional<String> wrong = analyses.pipelines().check(name, parameters(p));
    if (wrong.isPresent()) return wrong;
    Set<String> known = Set.of("kind", "pipeline", "parameters");
    return p.keySet().stream().filter(k -> !known.contains(k)).findFirst().map(k -> "an analysis action takes no '" + k + "'");
  }

  @Override
  public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
    String id = "AN-" + execution.executionId();
    String pipeline = (String) action.parameters().get("pipeline");
    return analyses.ask(id, r -> new Analysis.Request(null, null, List.of(), pipeline, parameters(action.parameters()), r))
        .thenCompose(reply -> dispatched(id));
  }

  /** Waits for the run to leave "dispatching": running (or already done) is success, anything else failure. */
  private CompletionStage<LabTestAction.Outcome> dispatched(String id) {
    return analyses.ask(id, Analysis.Get::new).thenCompose(reply -> {
      if (reply instanceof Analysis.Rejected r) return CompletableFuture.completedFuture(LabTestAction.Outcome.failed(r.rejection().detail()));
      Analysis.State a = ((Analysis.Current) reply).analysis();
      if (a.status().equals(Analysis.DISPATCHING)) {
        return CompletableFuture.supplyAsync(() -> id, CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS))
            .thenCompose(this::dispatched);
      }
      String line = "analysis " + id + " " + a.status() + (a.failureReason() == null ? "" : ": " + a.failureReason());
      boolean ok = a.status().equals(Analysis.RUNNING) || a.status().equals(Analysis.SUCCEEDED);
      return CompletableFuture.completedFuture(ok ? LabTestAction.Outcome.succeeded(line) : LabTestAction.Outcome.failed(line));
    });
  }

  private static Map<String, String> parameters(Map<String, Object> p) {
    Map<String, String> out = new TreeMap<>();
    if (p.get("parameters") instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
    return out;
  }
}
