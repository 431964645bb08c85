package lims.kernel.deadline;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
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
  private static final int BATCH = 1000;

  private enum Sweep { TICK }

  private DeadlineSweeper() {}

  /** Starts the sweeper of one kind; {@code wake} must be cheap and non-blocking (a tell to a sharded entity). */
  public static void start(ActorSystem<?> system, String kind, Consumer<String> wake) {
    Config config = system.settings().config().getConfig("lims.deadlines");
    Duration interval = config.getDuration("sweep-interval");
    Duration lookahead = config.getDuration("lookahead");
    if (lookahead.compareTo(interval) <= 0) {
      throw new IllegalArgumentException("lims.deadlines.lookahead (" + lookahead + ") must be longer than sweep-interval (" + interval + ")");
    }
    Database database = Database.get(system);
    Behavior<Sweep> sweeper = Behaviors.withTimers(timers -> {
      timers.startTimerWithFixedDelay(Sweep.TICK, Duration.ZERO, interval);
      return Behaviors.receiveMessage(tick -> {
        sweep(database, kind, lookahead, wake);
        return Behaviors.same();
      });
    });
    ClusterSingleton.get(system).init(SingletonActor.of(
        Behaviors.supervise(sweeper).onFailure(SupervisorStrategy.restart()), "deadline-sweeper-" + kind)
        // The sweep is a blocking query: keep it off the default dispatcher.
        .withProps(DispatcherSelector.blocking()));
  }

  private static void sweep(Database database, String kind, Duration lookahead, Consumer<String> wake) {
    try (var c = database.dataSource().getConnection()) {
      List<String> due = DeadlineIndex.dueBy(c, kind, Clock.systemUTC().instant().plus(lookahead), BATCH);
      due.forEach(wake);
      if (due.size() == BATCH) log.warn("{} {} entities due within {}: woke the first {}", due.size(), kind, lookahead, BATCH);
    } catch (Exception e) {
      // The next tick tries again; a database outage must not stop the sweeper.
      log.warn("deadline sweep of {} failed: {}", kind, e.toString());
    }
  }
}
