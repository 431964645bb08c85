package lims.kernel.deadline;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;
import lims.kernel.Database;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.actor.typed.SupervisorStrategy;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.apache.pekko.cluster.typed.ClusterSingleton;
import org.apache.pekko.cluster.typed.SingletonActor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One per kind in the cluster (a singleton): every {@code sweep-interval} it reads the
 * entities due within {@code lookahead} and wakes each. Waking only starts the entity; the
 * entity's own timer, re-armed on recovery from the deadline in its state, does the rest.
 * An entity stays in the index (and so is woken every sweep) until its deadline no longer
 * applies, so a node stopping between two sweeps loses nothing.
 */
public final class DeadlineSweeper {

  private static final Logger log = LoggerFactory.getLogger(DeadlineSweeper.class);

  private enum Sweep { TICK }

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
    Behavior<Sweep> sweeper = Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.TICK, Duration.ZERO, interval);
      return Behaviors.receiveMessage(tick -> {
        sweep(database, kind, lookahead, pageSize, maxPerSweep, wake);
        return Behaviors.same();
      });
    });
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(sweeper).onFailure(SupervisorStrategy.restart()), "deadline-sweeper-" + kind)
        // The sweep is a blocking query: keep it off the default dispatcher.
        .withProps(DispatcherSelector.blocking()));
  }

  /**
   * Wakes every entity due within the lookahead, page by page. Waking only the first page
   * would wake the same earliest entities at every sweep while the rest of a large burst
   * (ten thousand cron tests at 06:00, passivated since yesterday) waited for them to fire.
   */
  private static void sweep(Database database, String kind, Duration lookahead, int pageSize, int maxPerSweep, Consumer<String> wake) {
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
    } catch (Exception e) {
      // The next tick tries again; a database outage must not stop the sweeper.
      log.warn("deadline sweep of {} failed: {}", kind, e.toString());
    }
  }
}
