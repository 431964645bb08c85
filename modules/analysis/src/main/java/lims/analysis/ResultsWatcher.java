package lims.analysis;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.function.Function;
import java.util.function.Supplier;
import org.apache.pekko.Done;
import org.apache.pekko.NotUsed;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.Materializer;
import org.apache.pekko.stream.RestartSettings;
import org.apache.pekko.stream.javadsl.RestartSource;
import org.apache.pekko.stream.javadsl.Sink;
import org.apache.pekko.stream.javadsl.Source;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream per results folder, run by a cluster singleton (two nodes moving the same
 * file to quarantine would race): file-system events for latency, merged with a periodic
 * rescan for what events miss, each trigger a scan on the I/O dispatcher, each result
 * handed to its analysis. A missing folder fails the stream, which restarts with
 * back-off and, by its first rescan, catches up on whatever arrived meanwhile.
 */
final class ResultsWatcher {

  private static final Logger log = LoggerFactory.getLogger(ResultsWatcher.class);
  private static final Duration WATCH_POLL = Duration.ofMillis(500);

  record Settings(Duration rescanInterval, boolean watch, long maxFileSize, Duration minBackoff, Duration maxBackoff, String ioDispatcher) {}

  /** What became of a handed-over result. */
  enum Outcome { RECORDED, UNKNOWN_ANALYSIS }

  private ResultsWatcher() {}

  static void start(ActorSystem<?> system, Set<Path> folders, Settings settings, Executor io, Supplier<CompletionStage<Set<String>>> recorded,
      Function<ResultsFolder.Found, CompletionStage<Outcome>> deliver) {
    Behavior<Void> watcher = Behaviors.setup(ctx -> {
      // Bound to this actor: the streams stop when the singleton moves to another node.
      Materializer materializer = Materializer.createMaterializer(ctx);
      folders.forEach(folder -> source(folder, settings, io, recorded, deliver).runWith(Sink.ignore(), materializer));
      return Behaviors.empty();
    });
    ClusterSingleton.get(system).init(SingletonActor.of(watcher, "analysis-results-watcher"));
  }

  static Source<Done, NotUsed> source(Path folder, Settings settings, Executor io, Supplier<CompletionStage<Set<String>>> recorded,
      Function<ResultsFolder.Found, CompletionStage<Outcome>> deliver) {
    RestartSettings restart = RestartSettings.create(settings.minBackoff(), settings.maxBackoff(), 0.2);
    return RestartSource.withBackoff(restart, () -> Source.completionStage(recorded.get())
        .map(ids -> new ResultsFolder(folder, settings.maxFileSize(), ids))
        .flatMapConcat(f -> triggers(f, settings)
            .conflate(ResultsFolder.Trigger::merge)
            .mapAsync(1, trigger -> blocking(io, () -> f.scan(trigger)))
            .mapConcat(found -> found)
            .mapAsyncUnordered(4, found -> handOver(f, found, deliver, io))))
        .mapError(Throwable.class, e -> {
          log.warn("results folder {}: {}; restarting with back-off", folder, e.getMessage());
          return e;
        });
  }

  private static Source<ResultsFolder.Trigger, ?> triggers(ResultsFolder folder, Settings settings) {
    Source<ResultsFolder.Trigger, ?> rescans = Source.tick(Duration.ZERO, settings.rescanInterval(), ResultsFolder.Trigger.RESCAN);
    if (!settings.watch()) return rescans;
    Source<ResultsFolder.Trigger, NotUsed> events = Source.<Optional<ResultsFolder.Trigger>, FolderWatch>unfoldResource(
            () -> new FolderWatch(folder),
            watch -> Optional.of(watch.poll(WATCH_POLL)),
            FolderWatch::close)
        .withAttributes(ActorAttributes.dispatcher(settings.ioDispatcher()))
        .mapConcat(trigger -> trigger.map(List::of).orElse(List.of()));
    return rescans.merge(events);
  }

  private static CompletionStage<Done> handOver(ResultsFolder folder, ResultsFolder.Found found,
      Function<ResultsFolder.Found, CompletionStage<Outcome>> deliver, Executor io) {
    return deliver.apply(found).handle((outcome, error) -> {
      if (error != null) {
        log.warn("result of {} not handed over ({}); trying again at the next scan", found.analysisId(), error.toString());
        folder.retryLater(found.analysisId());
      }
      return outcome;
    }).thenCompose(outcome -> outcome == Outcome.UNKNOWN_ANALYSIS
        ? blocking(io, () -> {
            folder.quarantine(found.analysisId(), "no analysis has this id");
            return Done.getInstance();
          })
        : CompletableFuture.completedFuture(Done.getInstance()));
  }

  private interface IoWork<T> {
    T run() throws IOException;
  }

  private static <T> CompletionStage<T> blocking(Executor io, IoWork<T> work) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return work.run();
      } catch (IOException e) {
        throw new CompletionException(new UncheckedIOException(e));
      }
    }, io);
  }
}
