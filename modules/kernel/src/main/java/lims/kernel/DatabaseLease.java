package lims.kernel;

import com.typesafe.config.Config;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import org.apache.pekko.actor.ExtendedActorSystem;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.Lease;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The split-brain resolver's lease, held in the database every node already writes to
 * (table cluster_lease; decision 0038). When members stop seeing each other the resolver
 * (strategy lease-majority) on each side tries to take it: the side that gets it downs the
 * others, the side that cannot downs itself. A crashed node cannot take it, so the nodes
 * still running keep going even when they are no majority (two of three members left and
 * one of them crashes), and a node cut off from the database, which could not work anyway,
 * stops.
 *
 * <p>The resolver holds the lease for one decision: it releases it once the downed nodes
 * are removed. It is not renewed while held; a holder that crashed before releasing frees it
 * after {@code heartbeat-timeout}, measured on the holder's clock (nodes' clocks are assumed
 * to agree within a second or two, as NTP keeps them).
 */
public final class DatabaseLease extends Lease {

  /**
   * Per instance, not static: {@link #check} runs while the node's configuration is loaded,
   * before Main chooses the logback configuration, and a static logger would start logback
   * then with its console default (the embedded banner filled with log lines).
   */
  private final Logger log = LoggerFactory.getLogger(DatabaseLease.class);

  private final LeaseSettings settings;
  private final Supplier<Database> database;
  private final Clock clock;
  private volatile long heldUntil;

  /** The resolver creates its lease when the node joins; the pool (and its migrations) is opened at the first decision, not then. */
  public DatabaseLease(LeaseSettings settings, ExtendedActorSystem system) {
    this(settings, () -> Database.get(Adapter.toTyped(system)), Clock.systemUTC());
  }

  DatabaseLease(LeaseSettings settings, Supplier<Database> database, Clock clock) {
    this.settings = settings;
    this.database = database;
    this.clock = clock;
  }

  /** Pekko refuses a lease whose timeout is not above twice its heartbeat interval, and the node then stops mid-start: say so before. */
  static void check(Config node) {
    String timeout = "lims.cluster.lease.heartbeat-timeout";
    Duration interval = node.getDuration("lims.cluster.lease.heartbeat-interval");
    if (node.getDuration(timeout).compareTo(interval.multipliedBy(2)) <= 0) {
      throw ConfigRefused.setting(timeout, node.getValue(timeout), "must be longer than " + interval.multipliedBy(2).toSeconds() + " s (twice lims.cluster.lease.heartbeat-interval)");
    }
  }

  @Override
  public LeaseSettings getSettings() {
    return settings;
  }

  @Override
  public CompletionStage<Boolean> acquire() {
    return bounded(database.get().withConnection(this::take)).whenComplete((held, failure) -> {
      if (failure != null) log.warn("lease {} not acquired for {}: {}", settings.leaseName(), settings.ownerName(), failure.toString());
      else log.info("lease {} {} by {}", settings.leaseName(), held ? "acquired" : "held by another node, not acquired", settings.ownerName());
    });
  }

  /** Not renewed, so never lost while the resolver needs it; it lapses after heartbeat-timeout (see the class comment). */
  @Override
  public CompletionStage<Boolean> acquire(Consumer<Optional<Throwable>> leaseLostCallback) {
    return acquire();
  }

  @Override
  public CompletionStage<Boolean> release() {
    heldUntil = 0;
    return bounded(database.get().withConnection(c -> {
      try (PreparedStatement release = prepare(c, "UPDATE cluster_lease SET expires_at = 0 WHERE name = ? AND owner = ?")) {
        release.setString(1, settings.leaseName());
        release.setString(2, settings.ownerName());
        return release.executeUpdate() == 1;
      }
    }));
  }

  @Override
  public boolean checkLease() {
    return clock.millis() < heldUntil;
  }

  /** Takes the lease when it is free, lapsed, or already this owner's; one statement each, so two takers cannot both win. */
  private boolean take(Connection c) throws SQLException {
    long now = clock.millis();
    long until = now + settings.timeoutSettings().getHeartbeatTimeout().toMillis();
    try (PreparedStatement renew = prepare(c, "UPDATE cluster_lease SET owner = ?, expires_at = ? WHERE name = ? AND (owner = ? OR expires_at < ?)")) {
      renew.setString(1, settings.ownerName());
      renew.setLong(2, until);
      renew.setString(3, settings.leaseName());
      renew.setString(4, settings.ownerName());
      renew.setLong(5, now);
      if (renew.executeUpdate() == 1) return held(until);
    }
    try (PreparedStatement first = prepare(c, "INSERT INTO cluster_lease (name, owner, expires_at) VALUES (?, ?, ?)")) {
      first.setString(1, settings.leaseName());
      first.setString(2, settings.ownerName());
      first.setLong(3, until);
      first.executeUpdate();
      return held(until);
    } catch (SQLException e) {
      // 23xxx: the row exists, held by another owner.
      if (e.getSQLState() != null && e.getSQLState().startsWith("23")) return false;
      throw e;
    }
  }

  private boolean held(long until) {
    heldUntil = until;
    return true;
  }

  private PreparedStatement prepare(Connection c, String sql) throws SQLException {
    PreparedStatement statement = c.prepareStatement(sql);
    statement.setQueryTimeout((int) Math.max(1, operationTimeout().toSeconds()));
    return statement;
  }

  private <T> CompletionStage<T> bounded(CompletionStage<T> operation) {
    return operation.toCompletableFuture().orTimeout(operationTimeout().toMillis(), TimeUnit.MILLISECONDS);
  }

  private Duration operationTimeout() {
    return settings.timeoutSettings().getOperationTimeout();
  }
}
