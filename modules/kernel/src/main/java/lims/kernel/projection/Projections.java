package lims.kernel.projection;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.function.Function;
import lims.kernel.Database;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.ShardedDaemonProcessSettings;
import org.apache.pekko.cluster.sharding.typed.javadsl.ShardedDaemonProcess;
import org.apache.pekko.persistence.jdbc.query.javadsl.JdbcReadJournal;
import org.apache.pekko.projection.HandlerRecoveryStrategy;
import org.apache.pekko.projection.Projection;
import org.apache.pekko.projection.ProjectionBehavior;
import org.apache.pekko.projection.ProjectionId;
import org.apache.pekko.projection.eventsourced.EventEnvelope;
import org.apache.pekko.projection.eventsourced.javadsl.EventSourcedProvider;
import org.apache.pekko.projection.jdbc.javadsl.JdbcHandler;
import org.apache.pekko.projection.javadsl.Handler;
import org.apache.pekko.projection.jdbc.javadsl.JdbcProjection;

/** Runs tagged projections: one instance per tag, spread over the cluster. */
public final class Projections {

  private Projections() {}

  /**
   * A reaction's handler that fails (an entity that did not answer in time: its node died and
   * its shard has no new home yet) is tried again, on the same event, this many times a
   * second apart. Pekko logs the first failure at WARN and only the last at ERROR, when the
   * projection restarts from its offset: about a minute with the 5 s ask time-out, well past
   * a failover (decision 0041).
   */
  static final int REACTION_RETRIES = 10;
  static final Duration REACTION_RETRY_DELAY = Duration.ofSeconds(1);

  /**
   * Runs a reaction: at-least-once delivery of each event to a handler that acts on other
   * entities. The offset moves only after the handler's work completed, so a node dying
   * in between replays the event; handlers must be idempotent.
   */
  public static <E> void startReaction(
      ActorSystem<?> system, String name, EventTags tags, Function<String, Handler<EventEnvelope<E>>> handlerForTag) {
    Database database = Database.get(system);
    run(system, name, tags, tag -> JdbcProjection.atLeastOnceAsync(
        ProjectionId.of(name, tag),
        EventSourcedProvider.<E>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
        () -> new ReadTableSession(database.dataSource()),
        () -> handlerForTag.apply(tag),
        system).withRecoveryStrategy(HandlerRecoveryStrategy.retryAndFail(REACTION_RETRIES, REACTION_RETRY_DELAY)));
  }

  /**
   * Runs a read-table projection: exactly once, the rows and the offset in one transaction.
   * Events are applied in groups (pekko.projection.grouped in persistence.conf: up to 200
   * events, or what arrived within 50 ms), one transaction each: one commit per group
   * instead of per event, which is what lets the read tables keep up with bursts.
   */
  public static <E> void start(
      ActorSystem<?> system,
      String name,
      EventTags tags,
      Function<String, ReadTableHandler<E>> handlerForTag) {
    Database database = Database.get(system);
    run(system, name, tags, tag -> JdbcProjection.groupedWithin(
            ProjectionId.of(name, tag),
            EventSourcedProvider.<E>eventsByTag(system, JdbcReadJournal.Identifier(), tag),
            () -> new ReadTableSession(database.dataSource()),
            () -> handlerForTag.apply(tag).grouped(),
            system));
  }

  /** One instance per tag, spread over the cluster by a sharded daemon process. */
  private static void run(ActorSystem<?> system, String name, EventTags tags, Function<String, Projection<?>> projectionForTag) {
    List<String> all = tags.all();
    ShardedDaemonProcess.get(system)
        .init(
            ProjectionBehavior.Command.class,
            name,
            all.size(),
            i -> ProjectionBehavior.create(projectionForTag.apply(all.get(i))),
            ShardedDaemonProcessSettings.create(system),
            Optional.of(ProjectionBehavior.stopMessage()));
  }
}
