package lims.scheduling;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import lims.analysis.Analysis;
import lims.analysis.Pipeline;
import lims.analysis.Pipelines;
import org.apache.pekko.actor.typed.ActorRef;

/**
 * The "analysis" action: dispatches a run of a configured pipeline, named by the execution
 * ({@code AN-<execution id>}, so a resumed execution finds its run; a retry after a run that
 * ended without success gets a run of its own, {@code -<attempt>}), and succeeds once the
 * run is dispatched (its tmux session confirmed), fails when the dispatch failed or is still
 * under way at the attempt's time limit (it then stops asking: a retry asks again).
 * Parameters: {@code pipeline}, {@code parameters} (strings the pipeline's command takes).
 */
final class AnalysisAction implements LabTestAction.Runner {

  /**
   * The longest single wait for the run to tell: a run's entity that restarted meanwhile has
   * forgotten who waited, so the action asks again after this (and stops at the attempt's deadline).
   */
  static final Duration WAIT_SLICE = Duration.ofSeconds(10);

  /** How the action reaches analysis runs: {@code lims.analysis.Analyses#ask} and {@code #awaitDispatch}. */
  interface Runs {
    CompletionStage<Analysis.Reply> ask(String analysisId, Function<ActorRef<Analysis.Reply>, Analysis.Command> command);

    /** The run once it has left dispatching, or empty when it still dispatches after {@code wait}. */
    CompletionStage<Optional<Analysis.Reply>> awaitDispatch(String analysisId, Duration wait);
  }

  private final Pipelines pipelines;
  private final Runs runs;
  private final Duration waitSlice;

  AnalysisAction(Pipelines pipelines, Runs runs) {
    this(pipelines, runs, WAIT_SLICE);
  }

  AnalysisAction(Pipelines pipelines, Runs runs, Duration waitSlice) {
    this.pipelines = pipelines;
    this.runs = runs;
    this.waitSlice = waitSlice;
  }

  Optional<String> check(Map<String, Object> p) {
    if (!(p.get("pipeline") instanceof String name) || pipelines.named(name).isEmpty()) {
      return Optional.of("pipeline must name a configured pipeline; configured: "
          + pipelines.all().stream().map(Pipeline::name).toList());
    }
    Object given = p.getOrDefault("parameters", Map.of());
    if (!(given instanceof Map<?, ?> m) || m.values().stream().anyMatch(v -> !(v instanceof String))) {
      return Optional.of("parameters must be an object of strings");
    }
    Optional<String> wrong = pipelines.check(name, parameters(p));
    if (wrong.isPresent()) return wrong;
    Set<String> known = Set.of("kind", "pipeline", "parameters");
    return p.keySet().stream().filter(k -> !known.contains(k)).findFirst().map(k -> "an analysis action takes no '" + k + "'");
  }

  @Override
  public CompletionStage<LabTestAction.Outcome> run(LabTestAction action, LabTestAction.Execution execution) {
    String pipeline = (String) action.parameters().get("pipeline");
    return runOf(execution).thenCompose(id -> runs.ask(id, r -> new Analysis.Request(null, null, List.of(), pipeline, parameters(action.parameters()), r))
        .thenCompose(reply -> dispatched(id, execution.deadline())));
  }

  /**
   * The run an attempt asks for. The first attempt's is {@code AN-<execution id>}; a later
   * attempt keeps the run of the attempt before, unless that run ended without success
   * (failed, timed out, cancelled: asking for it again would only read its end), and then
   * asks for {@code AN-<execution id>-<attempt>}. A run still under way or done is never
   * started twice, and a resumed attempt works out the same run.
   */
  private CompletionStage<String> runOf(LabTestAction.Execution execution) {
    String first = "AN-" + execution.executionId();
    CompletionStage<String> run = CompletableFuture.completedFuture(first);
    for (int attempt = 2; attempt <= execution.attempt(); attempt++) {
      String own = first + "-" + attempt;
      run = run.thenCompose(before -> runs.ask(before, Analysis.Get::new).thenApply(reply -> endedWithoutSuccess(reply) ? own : before));
    }
    return run;
  }

  private static boolean endedWithoutSuccess(Analysis.Reply reply) {
    return reply instanceof Analysis.Current c && !c.analysis().inFlight() && !c.analysis().status().equals(Analysis.Status.SUCCEEDED);
  }

  /**
   * Waits for the run to leave "dispatching", told by the run (Analysis.AwaitDispatch) rather
   * than asking it over and over: running (or already done) is success, anything else failure.
   * Stops at the attempt's deadline, when nobody waits for the answer any more.
   */
  private CompletionStage<LabTestAction.Outcome> dispatched(String id, Instant deadline) {
    Duration left = Duration.between(Instant.now(), deadline);
    if (left.isNegative() || left.isZero()) {
      return stillDispatching(id);
    }
    boolean lastSlice = left.compareTo(waitSlice) <= 0;
    return runs.awaitDispatch(id, lastSlice ? left : waitSlice).thenCompose(told -> {
      // Not yet. After the last slice the deadline has come, whatever a clock read now says
      // (a timer rounds to the millisecond and may fire a fraction early): give up, do not ask again.
      if (told.isEmpty() && lastSlice) return stillDispatching(id);
      if (told.isEmpty()) return dispatched(id, deadline);
      if (told.get() instanceof Analysis.Rejected r) return CompletableFuture.completedFuture(LabTestAction.Outcome.failed(r.rejection().detail()));
      Analysis.State a = ((Analysis.Current) told.get()).analysis();
      String line = "analysis " + id + " " + a.status() + (a.failureReason() == null ? "" : ": " + a.failureReason());
      boolean ok = a.status().equals(Analysis.Status.RUNNING) || a.status().equals(Analysis.Status.SUCCEEDED);
      return CompletableFuture.completedFuture(ok ? LabTestAction.Outcome.succeeded(line) : LabTestAction.Outcome.failed(line));
    });
  }

  private static CompletionStage<LabTestAction.Outcome> stillDispatching(String id) {
    return CompletableFuture.completedFuture(LabTestAction.Outcome.failed("analysis " + id + " still dispatching at the attempt's time limit"));
  }

  private static Map<String, String> parameters(Map<String, Object> p) {
    Map<String, String> out = new TreeMap<>();
    if (p.get("parameters") instanceof Map<?, ?> m) m.forEach((k, v) -> out.put(String.valueOf(k), String.valueOf(v)));
    return out;
  }
}
