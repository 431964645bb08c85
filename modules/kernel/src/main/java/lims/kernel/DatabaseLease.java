package lims.kernel;

import com.typesafe.config.Config;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;
import javax.sql.DataSource;
import org.apache.pekko.actor.CoordinatedShutdown;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.cluster.Cluster;
import org.apache.pekko.cluster.Member;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The split-brain resolver's lease, a row in the database every node already writes to
 * (table cluster_lease; decision 0038). When members stop seeing each other the resolver
 * (strategy lease-majority) on each side tries to take it: the side that gets it downs the
 * others, the side that cannot downs itself. A crashed node cannot take it, so the nodes
 * still running keep going even when they are no majority (two of three members left and
 * one of them crashes), and a node cut off from the database, which could not work anyway,
 * stops.
 *
 * <ul>
 *   <li>Taken when free, lapsed, this node's, or held by a member this node sees Up and
 *       reachable: its own side of the cluster already holds it, so a new leader on the same
 *       side is never refused (a member on the other side of a partition is unreachable from
 *       here). One conditional statement on the row as read, so two takers cannot both win.
 *   <li>Renewed every heartbeat-interval while held, so it never lapses while the resolver
 *       counts on it; a holder that crashed frees it after heartbeat-timeout, shorter than
 *       the next decision can come (failure detection plus stable-after).
 *   <li>Times are the database's clock, so nodes' clocks do not matter.
 *   <li>Its own connection and thread: requests and projections that hold the node's pool
 *       cannot delay a decision. An attempt answered "not taken" after its bound that took
 *       the lease after all gives it back at once.
 * </ul>
 */
public final class DatabaseLease extends Lease {

  // Per instance, not static: a static logger would start logback when the class loads,
  // before Main has chosen the log configuration.
  private final Logger log = LoggerFactory.getLogger(DatabaseLease.class);

  private final LeaseSettings settings;
  private final Supplier<DataSource> dataSource;
  private final Predicate<String> onThisSide;
  private final ScheduledExecutorService thread;
  private volatile ScheduledFuture<?> renewal;
  private volatile long heldUntilNanos;

  /** The resolver creates its lease when the node joins; the connection is opened at the first decision. */
  public DatabaseLease(LeaseSettings settings, ExtendedActorSystem system) {
    this(settings, lazyPool(system), owner -> reachableUpMember(Cluster.get(system), owner));
    CoordinatedShutdown.get(system).addJvmShutdownHook(thread::shutdownNow);
  }

  DatabaseLease(LeaseSettings settings, Supplier<DataSource> dataSource, Predicate<String> onThisSide) {
    this.settings = settings;
    this.dataSource = dataSource;
    this.onThisSide = onThisSide;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "lims-sbr-lease");
      t.setDaemon(true);
      return t;
    });
  }

  /** Pekko refuses a lease whose timeout is not above twice its heartbeat interval, and the node then stops mid-start: say so before. */
  static void check(Config node) {
    String timeout = "lims.cluster.lease.heartbeat-timeout";
    Duration interval = node.getDuration("lims.cluster.lease.heartbeat-interval");
    if (node.getDuration(timeout).compareTo(interval.multipliedBy(2)) <= 0) {
      throw ConfigRefused.setting(timeout, node.getValue(timeout), "must be longer than " + interval.multipliedBy(2).toMillis() + " ms (twice lims.cluster.lease.heartbeat-interval)");
    }
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return acquire(lost -> {});
  }

  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    thread.execute(() -> {
      boolean taken;
      try {
        taken = withConnection(this::take);
      } catch (SQLException | RuntimeException e) {
        log.warn("lease {} not taken by {}: {}", settings.leaseName(), settings.ownerName(), e.toString());
        answer.complete(false);
        return;
      }
      if (taken && !answer.complete(true)) {
        // The resolver was told "not taken" (past the bound) and acts on that: give it back.
        log.warn("lease {} taken by {} after the resolver stopped waiting: released", settings.leaseName(), settings.ownerName());
        giveBack();
        return;
      }
      answer.complete(taken);
      log.info("lease {} {} by {}", settings.leaseName(), taken ? "taken" : "held by a node out of reach, not taken", settings.ownerName());
      if (taken) renewEvery(leaseLostCallback);
    });
    return answer.completeOnTimeout(false, operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  /** As a crashed node: stops renewing and gives nothing back (tests). */
  void abandon() {
    thread.shutdownNow();
  }

  @Override
  public CompletionStage<Boolean> release() {
    CompletableFuture<Boolean> answer = new CompletableFuture<>();
    thread.execute(() -> answer.complete(giveBack()));
    return answer.completeOnTimeout(false, operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  @Override
  public boolean checkLease() {
    return System.nanoTime() - heldUntilNanos < 0;
  }

  /** Free, lapsed, ours, or held on this side: take it, conditionally on the row as read. */
  private boolean take(Connection c) throws SQLException {
    long sent = System.nanoTime();
    long now = Database.now(c);
    long until = now + settings.timeoutSettings().getHeartbeatTimeout().toMillis();
    try (PreparedStatement read = prepare(c, "SELECT owner, expires_at FROM cluster_lease WHERE name = ?")) {
      read.setString(1, settings.leaseName());
      try (ResultSet row = read.executeQuery()) {
        if (!row.next()) return insert(c, until, sent);
        String owner = row.getString(1);
        long expires = row.getLong(2);
        boolean free = owner.equals(settings.ownerName()) || expires < now || onThisSide.test(owner);
        if (!free) return false;
        try (PreparedStatement swap = prepare(c, "UPDATE cluster_lease SET owner = ?, expires_at = ? WHERE name = ? AND owner = ? AND expires_at = ?")) {
          swap.setString(1, settings.ownerName());
          swap.setLong(2, until);
          swap.setString(3, settings.leaseName());
          swap.setString(4, owner);
          swap.setLong(5, expires);
          return held(swap.executeUpdate() == 1, sent);
        }
      }
    }
  }

  private boolean insert(Connection c, long until, long sent) throws SQLException {
    try (PreparedStatement first = prepare(c, "INSERT INTO cluster_lease (name, owner, expires_at) VALUES (?, ?, ?)")) {
      first.setString(1, settings.leaseName());
      first.setString(2, settings.ownerName());
      first.setLong(3, until);
      first.executeUpdate();
      return held(true, sent);
    } catch (SQLException e) {
      // 23xxx: another node inserted it first.
      if (e.getSQLState() != null && e.getSQLState().startsWith("23")) return false;
      throw e;
    }
  }

  private void renewEvery(Consumer<Optional<Throwable>> leaseLostCallback) {
    long interval = settings.timeoutSettings().getHeartbeatInterval().toMillis();
    renewal = thread.scheduleWithFixedDelay(() -> {
      Optional<Throwable> lost;
      try {
        lost = withConnection(this::renew) ? Optional.empty() : Optional.of(new IllegalStateException("another node holds it"));
      } catch (SQLException | RuntimeException e) {
        // Not lost yet: it lapses only past heartbeat-timeout, and the next renewal may reach the database.
        if (checkLease()) return;
        lost = Optional.of(e);
      }
      if (lost.isPresent()) {
        log.warn("lease {} lost by {}: {}", settings.leaseName(), settings.ownerName(), lost.get().getMessage());
        stopRenewing();
        heldUntilNanos = System.nanoTime();
        leaseLostCallback.accept(lost);
      }
    }, interval, interval, TimeUnit.MILLISECONDS);
  }

  private boolean renew(Connection c) throws SQLException {
    long sent = System.nanoTime();
    long now = Database.now(c);
    try (PreparedStatement renew = prepare(c, "UPDATE cluster_lease SET expires_at = ? WHERE name = ? AND owner = ?")) {
      renew.setLong(1, now + settings.timeoutSettings().getHeartbeatTimeout().toMillis());
      renew.setString(2, settings.leaseName());
      renew.setString(3, settings.ownerName());
      return held(renew.executeUpdate() == 1, sent);
    }
  }

  private boolean giveBack() {
    stopRenewing();
    heldUntilNanos = System.nanoTime();
    try {
      return withConnection(c -> {
        try (PreparedStatement release = prepare(c, "UPDATE cluster_lease SET expires_at = 0 WHERE name = ? AND owner = ?")) {
          release.setString(1, settings.leaseName());
          release.setString(2, settings.ownerName());
          return release.executeUpdate() == 1;
        }
      });
    } catch (SQLException | RuntimeException e) {
      log.warn("lease {} not released by {} (it lapses by itself): {}", settings.leaseName(), settings.ownerName(), e.toString());
      return false;
    }
  }

  private void stopRenewing() {
    ScheduledFuture<?> running = renewal;
    if (running != null) running.cancel(false);
    renewal = null;
  }

  /**
   * Held, from this node's view, for the lease time counted from before the database read its
   * clock: the row's expiry is at least that late, so this node never counts on it longer.
   */
  private boolean held(boolean held, long sentNanos) {
    if (held) heldUntilNanos = sentNanos + settings.timeoutSettings().getHeartbeatTimeout().toNanos();
    return held;
  }


  private interface Work<T> {
    T apply(Connection c) throws SQLException;
  }

  private <T> T withConnection(Work<T> work) throws SQLException {
    try (Connection c = dataSource.get().getConnection()) {
      return work.apply(c);
    }
  }

  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement statement = c.prepareStatement(sql);
    statement.setQueryTimeout((int) Math.max(1, operationTimeout().toSeconds()));
    return statement;
  }

  private Duration operationTimeout() {
    return settings.timeoutSettings().getOperationTimeout();
  }

  private static boolean reachableUpMember(Cluster cluster, String owner) {
    var state = cluster.state();
    for (Member member : state.getMembers()) {
      if (member.address().hostPort().equals(owner) && member.status() == MemberStatus.up() && !state.getUnreachable().contains(member)) {
        return true;
      }
    }
    return false;
  }

  /** One connection of its own, opened when first used: the resolver creates the lease at start, the pool is needed at a decision. */
  private static Supplier<DataSource> lazyPool(ExtendedActorSystem system) {
    HikariDataSource[] pool = new HikariDataSource[1];
    return () -> {
      synchronized (pool) {
        if (pool[0] == null) {
          pool[0] = Database.pool(system.settings().config().getConfig("lims.database"), "lims-sbr-lease", 1);
          CoordinatedShutdown.get(system).addJvmShutdownHook(pool[0]::close);
        }
        return pool[0];
      }
    };
  }
}
