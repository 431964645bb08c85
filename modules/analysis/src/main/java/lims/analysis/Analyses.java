package lims.analysis;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeoutException;
import java.util.function.Function;
import java.util.stream.Collectors;
import lims.kernel.Asked;
import lims.kernel.Failures;
import lims.kernel.PauseFence;
import lims.kernel.deadline.DeadlineSweeper;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import lims.specimen.Specimen;
import lims.specimen.Specimens;
import org.apache.pekko.Done;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The analysis context's entry point. A specimen entering IN_ANALYSIS starts a run
 * ({@link AnalysisRequests}); a specimen leaving it otherwise cancels the run; a run's
 * outcome moves the specimen ({@link AnalysisOutcomes}). Both reactions deliver at least
 * once and both sides are idempotent. The deadline sweeper wakes runs near their time
 * bound; the results watcher hands result files to their runs.
 */
public final class Analyses {

  private static final Logger log = LoggerFactory.getLogger(Analyses.class);
  private static final String IO_DISPATCHER = "lims.analysis.io-dispatcher";

  private final ClusterSharding sharding;
  private final Pipelines pipelines;
  private final Duration askTimeout;
  private final AnalysisReadModel readModel;

  /** The pipelines are read before the node starts ({@link Pipelines#fromConfig}), so a refused one stops it before anything runs. */
  public Analyses(ActorSystem<?> system, Specimens specimens, Pipelines pipelines, Duration askTimeout) {
    Config config = system.settings().config().getConfig("lims.analysis");
    this.sharding = ClusterSharding.get(system);
    this.pipelines = pipelines;
    this.askTimeout = askTimeout;
    this.readModel = new AnalysisReadModel(ReadTable.of(system, AnalysisProjection.NAME, Analysis.TAGS));
    Executor io = system.dispatchers().lookup(DispatcherSelector.fromConfig(IO_DISPATCHER));
    Duration sshTimeout = config.getDuration("dispatch.ssh-timeout");
    SshRemoteHost ssh = new SshRemoteHost(io, sshTimeout);
    RemoteHost remote = RemoteHost.fenced(ssh, PauseFence.get(system)::clear, sshTimeout);
    Analysis.DispatchPolicy policy = new Analysis.DispatchPolicy(config.getInt("dispatch.attempts"),
        new lims.kernel.Backoff(config.getDuration("dispatch.min-backoff"), config.getDuration("dispatch.max-backoff")));
    sharding.init(Entity.of(Analysis.TYPE, ctx -> Analysis.create(ctx.getEntityId(), pipelines, remote, policy, Clock.systemUTC())));
    Projections.<Analysis.Event>start(system, AnalysisProjection.NAME, Analysis.TAGS, tag -> new AnalysisProjection());
    Projections.<Specimen.Event>startReaction(system, AnalysisRequests.NAME, Specimen.TAGS,
        tag -> new AnalysisRequests(pipelines.manualMode(), this::ask));
    Projections.<Analysis.Event>startReaction(system, AnalysisOutcomes.NAME, Analysis.TAGS, tag -> new AnalysisOutcomes(specimens::ask));
    DeadlineSweeper.start(system, AnalysisProjection.DEADLINE_KIND,
        id -> sharding.entityRefFor(Analysis.TYPE, id).tell(new Analysis.Wake()));
    if (pipelines.manualMode()) {
      log.info("no analysis pipelines configured: analyses are reported through the API (manual mode)");
    } else {
      Config results = config.getConfig("results");
      Set<Path> folders = pipelines.all().stream().map(Pipeline::results).collect(Collectors.toCollection(java.util.TreeSet::new));
      ResultsWatcher.start(system, folders, new ResultsWatcher.Settings(results.getDuration("rescan-interval"), results.getBoolean("watch"),
              results.getBytes("max-file-size"), results.getDuration("min-backoff"), results.getDuration("max-backoff"), IO_DISPATCHER),
          io, readModel::withResult, this::deliver);
    }
    CoordinatedShutdown.get(system).addTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate(), "close-ssh-connections", () -> {
      ssh.close();
      return CompletableFuture.completedFuture(Done.getInstance());
    });
  }

  public Pipelines pipelines() {
    return pipelines;
  }

  public AnalysisReadModel readModel() {
    return readModel;
  }

  public CompletionStage<Analysis.Reply> ask(String analysisId, Function<ActorRef<Analysis.Reply>, Analysis.Command> command) {
    return Asked.ask(sharding.entityRefFor(Analysis.TYPE, analysisId), command, askTimeout);
  }

  /**
   * The run once it has left dispatching (told by the run, not polled), or empty when it still
   * dispatches after {@code wait}.
   */
  public CompletionStage<Optional<Analysis.Reply>> awaitDispatch(String analysisId, Duration wait) {
    return Asked.<Analysis.Command, Analysis.Reply>ask(sharding.entityRefFor(Analysis.TYPE, analysisId), Analysis.AwaitDispatch::new, wait)
        .thenApply(Optional::of)
        .exceptionally(failure -> {
          Throwable cause = Failures.cause(failure);
          if (cause instanceof TimeoutException) return Optional.empty();
          throw new CompletionException(cause);
        });
  }

  private CompletionStage<ResultsWatcher.Outcome> deliver(ResultsFolder.Found found) {
    return ask(found.analysisId(), r -> new Analysis.RecordResult(found.status(), found.result(), r)).thenApply(reply ->
        reply instanceof Analysis.Rejected ? ResultsWatcher.Outcome.UNKNOWN_ANALYSIS : ResultsWatcher.Outcome.RECORDED);
  }
}
