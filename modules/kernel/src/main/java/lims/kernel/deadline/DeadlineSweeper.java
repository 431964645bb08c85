package lims.kernel.deadline;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import lims.kernel.Database;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.ClusterEvent;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.apache.pekko.cluster.typed.Subscribe;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per kind in the cluster (a singleton): every {@code sweep-interval} it reads the
 * entities due within {@code lookahead} and wakes each. Waking only starts the entity; the
 * entity's own timer, re-armed on recovery from the deadline in its state, does the rest.
 * An entity stays in the index (and so is woken every sweep) until its deadline no longer
 * applies, so a node stopping between two sweeps loses nothing.
 *
 * <p>It also sweeps as soon as a crashed node's entities can live elsewhere (decision 0041):
 * when the singleton starts (on a new node, after the old one's removal), and a moment after
 * the down-removal margin that follows a member's removal — the margin for which the shard
 * coordinator keeps that member's shards where they were. A wake sent sooner could still be
 * routed to the removed node and lost; this one makes the shard's new home start the entity
 * at once, instead of up to a sweep interval later.
 */
public final class DeadlineSweeper {

  private static final Logger log = LoggerFactory.getLogger(DeadlineSweeper.class);

  /** After the removal margin, how long the sweep waits for the coordinator to have let the removed member's shards go. */
  static final Duration AFTER_MARGIN = Duration.ofMillis(500);

  /** The sweeper's messages: sweep now, or a member was removed. */
  private interface Message {}

  private enum Sweep implements Message { TICK }

  private record Removed(org.apache.pekko.actor.Address member) implements Message {}

  /** The sweep for a removed member's entities, once their shards can move. */
  private record AfterRemoval(org.apache.pekko.actor.Address member) implements Message {}

  private DeadlineSweeper() {}

  /** Starts the sweeper of one kind; {@code wake} must be cheap and non-blocking (a tell to a sharded entity). */
  public static void start(ActorSystem<?> system, String kind, Consumer<String> wake) {
    Config config = system.settings().config().getConfig("lims.deadlines");
    Duration interval = config.getDuration("sweep-interval");
    Duration lookahead = config.getDuration("lookahead");
    int pageSize = config.getInt("page-size");
    int maxPerSweep = config.getInt("max-per-sweep");
    if (lookahead.compareTo(interval) <= 0) {
      throw new IllegalArgumentException("lims.deadlines.lookahead (" + lookahead + ") must be longer than sweep-interval (" + interval + ")");
    }
    Database database = Database.get(system);
    startSingleton(system, "deadline-sweeper-" + kind, kind + " entities due within " + lookahead,
        () -> sweep(database, kind, lookahead, pageSize, maxPerSweep, wake));
  }

  /**
   * Wakes each of a fixed set of entities at every sweep and after every removal: entities
   * that hold their own deadlines (the lab-test partitions, decision 0064) and need only to
   * be running somewhere. No query: {@code wake} is a tell per entity.
   */
  public static void startKeeping(ActorSystem<?> system, String name, List<String> entityIds, Consumer<String> wake) {
    startSingleton(system, name, name + " entities", () -> {
      entityIds.forEach(wake);
      return entityIds.size();
    });
  }

  private static void startSingleton(ActorSystem<?> system, String name, String what, java.util.function.IntSupplier sweep) {
    Duration interval = system.settings().config().getDuration("lims.deadlines.sweep-interval");
    // Pekko's own rule for the margin: down-removal-margin, or the split-brain resolver's stable-after when that is off.
    Duration margin = Duration.ofMillis(org.apache.pekko.cluster.Cluster.get(Adapter.toClassic(system)).downingProvider().downRemovalMargin().toMillis());
    Behavior<Message> sweeper = Behaviors.setup(ctx -> Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.TICK, Duration.ZERO, interval);
      ActorRef<ClusterEvent.MemberRemoved> removals = ctx.messageAdapter(ClusterEvent.MemberRemoved.class, r -> new Removed(r.member().address()));
      Cluster.get(system).subscriptions().tell(Subscribe.create(removals, ClusterEvent.MemberRemoved.class));
      return Behaviors.receiveMessage(message -> {
        // One timer per removed member (its address the key), so a second removal does not put off the first's sweep.
        if (message instanceof Removed removed) {
          timers.startSingleTimer(removed.member(), new AfterRemoval(removed.member()), margin.plus(AFTER_MARGIN));
        } else {
          int woken = sweep.getAsInt();
          if (message instanceof AfterRemoval after) log.info("{} removed: woke the {} {}", after.member(), woken, what);
        }
        return Behaviors.same();
      });
    }));
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(sweeper).onFailure(SupervisorStrategy.restart()), name)
        // The sweep is a blocking query: keep it off the default dispatcher.
        .withProps(DispatcherSelector.blocking()));
  }

  /**
   * Wakes every entity due within the lookahead, page by page, and says how many. Waking only
   * the first page would wake the same earliest entities at every sweep while the rest of a
   * large burst (ten thousand cron tests at 06:00, passivated since yesterday) waited for them
   * to fire.
   */
  private static int sweep(Database database, String kind, Duration lookahead, int pageSize, int maxPerSweep, Consumer<String> wake) {
    try (var c = database.dataSource().getConnection()) {
      Instant horizon = Clock.systemUTC().instant().plus(lookahead);
      int woken = 0;
      DeadlineIndex.Due last = null;
      List<DeadlineIndex.Due> page;
      do {
        page = DeadlineIndex.dueBy(c, kind, horizon, last, pageSize);
        page.forEach(d -> wake.accept(d.entityId()));
        woken += page.size();
        if (!page.isEmpty()) last = page.get(page.size() - 1);
      } while (page.size() == pageSize && woken < maxPerSweep);
      if (page.size() == pageSize) log.warn("more than {} {} entities due within {}: woke the earliest {}", woken, kind, lookahead, woken);
      return woken;
    } catch (Exception e) {
      // The next tick tries again; a database outage must not stop the sweeper.
      log.warn("deadline sweep of {} failed: {}", kind, e.toString());
      return 0;
    }
  }
}
