package lims.kernel;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import javax.sql.DataSource;
import com.zaxxer.hikari.HikariDataSource;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.AddressFromURIString;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.apache.pekko.cluster.typed.JoinSeedNodes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps a node from founding a second cluster on a database another cluster is using (decision
 * 0047). Pekko lets the first node of the seed list join itself when no other seed answers
 * within the seed-node time-out; a first seed restarted after a crash, on a machine too loaded
 * for the others to answer within 5 s, did so in the chaos test, and two clusters then ran the
 * same entities and called the same lab-test actions.
 *
 * <p>Every Up member writes its address and the database's time to {@code cluster_presence}
 * every {@link #BEAT}. A first seed never joins itself through Pekko's seed process: it joins
 * through the nodes seen alive and the other seeds, and forms a cluster itself only once reads
 * that all succeeded have found no other node's row younger than {@link #FRESH} for
 * {@link #QUIET} on end — a cold start of the whole cluster. Rows go stale while the database
 * is down, so a failed read starts the count again.
 */
public final class ClusterPresence {

  private static final Logger log = LoggerFactory.getLogger(ClusterPresence.class);
  static final Duration BEAT = Duration.ofSeconds(2);
  static final Duration FRESH = Duration.ofSeconds(10);
  /** How long reads must find no fresh row, without a failed read between, before the first seed forms a cluster. */
  static final Duration QUIET = FRESH.plus(BEAT);

  private ClusterPresence() {}

  /** Joins the seeds, as the first seed only once no other node is alive on the database; then keeps this node's row fresh while it is Up. */
  public static void join(ActorSystem<?> system, List<Address> seeds) {
    Cluster cluster = Cluster.get(system);
    Address self = cluster.selfMember().address();
    // A connection of its own: a busy service pool must not make the beats miss.
    HikariDataSource pool = Database.pool(system.settings().config().getConfig("lims.database"), "lims-cluster-presence", 1);
    ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lims-cluster-presence");
      t.setDaemon(true);
      return t;
    });
    system.getWhenTerminated().thenRun(() -> {
      thread.shutdownNow();
      pool.close();
    });
    thread.scheduleWithFixedDelay(guarded(() -> beat(pool, cluster, self)), BEAT.toMillis(), BEAT.toMillis(), TimeUnit.MILLISECONDS);
    if (!seeds.get(0).equals(self)) {
      cluster.manager().tell(new JoinSeedNodes(seeds));
      return;
    }
    // The first seed, when the database shows no one alive: Pekko's own cold start (it forms the
    // cluster if no other seed answers within the seed-node time-out).
    Optional<List<Address>> seen = othersAlive(pool, self);
    if (seen.isPresent() && seen.get().isEmpty()) {
      cluster.manager().tell(new JoinSeedNodes(seeds));
      return;
    }
    // Someone is alive, or the database cannot say: through them and the other seeds, never itself.
    Set<Address> through = new LinkedHashSet<>(seen.orElse(List.of()));
    through.addAll(seeds.subList(1, seeds.size()));
    log.info("joining through {}; this node forms the cluster only if no other node is seen alive on the database for {} s", through,
        QUIET.toSeconds());
    if (!through.isEmpty()) cluster.manager().tell(new JoinSeedNodes(List.copyOf(through)));
    long[] quietSince = {0};
    AtomicReference<ScheduledFuture<?>> watch = new AtomicReference<>();
    watch.set(thread.scheduleWithFixedDelay(guarded(() -> {
      if (joined(cluster)) {
        watch.get().cancel(false);
        return;
      }
      // Only reads that succeeded, one after the other, all finding no fresh row count: rows go
      // stale while the database is down, and a read then proves nothing about the others.
      Optional<List<Address>> alive = othersAlive(pool, self);
      long now = System.nanoTime();
      if (alive.isEmpty() || !alive.get().isEmpty()) {
        quietSince[0] = 0;
      } else if (quietSince[0] == 0) {
        quietSince[0] = now;
      } else if (now - quietSince[0] >= QUIET.toNanos()) {
        log.warn("no other node has been seen alive on the database for {} s, and none took this node in: forming the cluster", QUIET.toSeconds());
        cluster.manager().tell(Join.create(self));
        watch.get().cancel(false);
      }
    }), 0, BEAT.toMillis(), TimeUnit.MILLISECONDS));
  }

  /** A periodic task that logs what it throws instead of being cancelled by it silently. */
  private static Runnable guarded(Runnable task) {
    return () -> {
      try {
        task.run();
      } catch (RuntimeException e) {
        log.warn("cluster presence: {}", e.toString());
      }
    };
  }

  /** Whether this node has been taken into a cluster (it knows another member, or is Up). */
  private static boolean joined(Cluster cluster) {
    for (Member m : cluster.state().getMembers()) {
      if (!m.address().equals(cluster.selfMember().address())) return true;
    }
    MemberStatus status = cluster.selfMember().status();
    return status == MemberStatus.up() || status == MemberStatus.weaklyUp();
  }

  /** The other nodes whose rows are fresh; empty when the database cannot say. */
  static Optional<List<Address>> othersAlive(DataSource database, Address self) {
    try (Connection c = database.getConnection()) {
      long now = Database.now(c);
      try (PreparedStatement q = c.prepareStatement("SELECT address FROM cluster_presence WHERE address <> ? AND seen_at > ?")) {
        q.setString(1, self.toString());
        q.setLong(2, now - FRESH.toMillis());
        List<Address> alive = new ArrayList<>();
        try (ResultSet rows = q.executeQuery()) {
          while (rows.next()) alive.add(AddressFromURIString.parse(rows.getString(1)));
        }
        return Optional.of(alive);
      }
    } catch (SQLException e) {
      log.warn("could not read which nodes are alive ({}): not forming a cluster now", e.getMessage());
      return Optional.empty();
    }
  }

  private static void beat(DataSource database, Cluster cluster, Address self) {
    if (cluster.selfMember().status() != MemberStatus.up()) return;
    try (Connection c = database.getConnection()) {
      long now = Database.now(c);
      try (PreparedStatement update = c.prepareStatement("UPDATE cluster_presence SET seen_at = ? WHERE address = ?")) {
        update.setLong(1, now);
        update.setString(2, self.toString());
        if (update.executeUpdate() > 0) return;
      }
      try (PreparedStatement insert = c.prepareStatement("INSERT INTO cluster_presence (address, seen_at) VALUES (?, ?)")) {
        insert.setString(1, self.toString());
        insert.setLong(2, now);
        insert.executeUpdate();
      }
    } catch (SQLException e) {
      log.debug("cluster presence not written: {}", e.getMessage()); // the database is down: so is every write
    }
  }
}
