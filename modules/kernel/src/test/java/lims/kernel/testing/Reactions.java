package lims.kernel.testing;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.stream.IntStream;
import lims.kernel.EntityAsker;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.AskPattern;
import org.apache.pekko.japi.function.Effect;
import org.apache.pekko.persistence.query.Offset;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.testkit.javadsl.ProjectionTestKit;
import org.apache.pekko.projection.testkit.javadsl.TestProjection;
import org.apache.pekko.projection.testkit.javadsl.TestSourceProvider;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Runs a reaction's handler over a test source of events with Pekko Projections' TestKit,
 * as the node runs it over a tag's events, and gives it entities to ask that are spawned in
 * the test's actor system (in-memory journal) instead of sharded.
 */
public final class Reactions {

  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(10);

  private Reactions() {}

  /** Feeds {@code events} (offsets 1, 2, ...) to {@code handler} until {@code assertion} holds (bounded by the TestKit's 3 s). */
  public static <E> void run(ActorTestKit testKit, String name, Handler<EventEnvelope<E>> handler, List<E> events, Effect assertion) {
    List<EventEnvelope<E>> envelopes = IntStream.range(0, events.size())
        .mapToObj(i -> EventEnvelope.create(Offset.sequence(i + 1), "test|" + i, i + 1, events.get(i), 0L)).toList();
    TestSourceProvider<Offset, EventEnvelope<E>> source = TestSourceProvider.create(Source.from(envelopes), EventEnvelope::offset);
    ProjectionTestKit.create(testKit.system()).run(TestProjection.create(ProjectionId.of(name, "test"), source, () -> handler), assertion);
  }

  /** Asks entities spawned on first use, one per id, from {@code behavior}. */
  public static <C, R> Spawned<C, R> spawned(ActorTestKit testKit, Function<String, Behavior<C>> behavior) {
    return new Spawned<>(testKit, behavior);
  }

  /** An {@link EntityAsker} over entities spawned in the test's actor system. */
  public static final class Spawned<C, R> implements EntityAsker<C, R> {
    private final ActorTestKit testKit;
    private final Function<String, Behavior<C>> behavior;
    private final Map<String, ActorRef<C>> entities = new ConcurrentHashMap<>();

    private Spawned(ActorTestKit testKit, Function<String, Behavior<C>> behavior) {
      this.testKit = testKit;
      this.behavior = behavior;
    }

    @Override
    public java.util.concurrent.CompletionStage<R> ask(String entityId, Function<ActorRef<R>, C> command) {
      ActorRef<C> entity = entities.computeIfAbsent(entityId, id -> testKit.spawn(behavior.apply(id), id));
      return AskPattern.ask(entity, command::apply, ASK_TIMEOUT, testKit.scheduler());
    }

    /** Asks and waits for the answer (bounded by the ask time-out). */
    public R answer(String entityId, Function<ActorRef<R>, C> command) {
      return ask(entityId, command).toCompletableFuture().join();
    }
  }
}
