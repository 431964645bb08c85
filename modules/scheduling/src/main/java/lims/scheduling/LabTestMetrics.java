package lims.scheduling;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Consumer;
import lims.kernel.Database;
import lims.kernel.projection.ReadTableHandler;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.typed.Cluster;

/**
 * The scheduler's meters: fire lateness (action start − due of each scheduled execution's first attempt, a histogram; runs by hand are left out),
 * executions by outcome, open dead letters, and the due backlog (scheduled tests whose
 * instant passed more than a second ago without a start). The entity reports its events
 * here. The two gauges count the whole cluster's read tables: only the cluster leader reads
 * and reports them, every few seconds off the scrape; on the other nodes they are absent, so
 * a max over the nodes' metrics shows each count once (decision 0022).
 */
public final class LabTestMetrics implements Consumer<LabTest.Event> {

  private final Timer lateness;
  private final MeterRegistry registry;
  private final AtomicLong openDeadLetters = new AtomicLong();
  private final AtomicLong dueBacklog = new AtomicLong();
  private final Map<String, Counter> outcomes = new ConcurrentHashMap<>();
  /** Executions started by hand and not yet over: their lateness is ~0 by construction and is not a fire's. */
  private final java.util.Set<String> byHand = ConcurrentHashMap.newKeySet();
  /** The two gauges while this node reports them, else empty. */
  private final List<Gauge> gauges = new ArrayList<>();

  public LabTestMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.lateness = Timer.builder("lims.lab_test.fire.lateness").description("start minus due instant of scheduled fires")
        .publishPercentileHistogram().register(registry);
  }

  /** Every {@code every}: on the cluster leader, refreshes the gauges from the read tables (on the JDBC dispatcher); elsewhere drops them. */
  public void pollGauges(ActorSystem<?> system, Duration every) {
    if (every.isNegative() || every.isZero()) throw new IllegalArgumentException("lims.scheduling.gauge-interval must be positive");
    Database database = Database.get(system);
    Cluster cluster = Cluster.get(system);
    BooleanSupplier leader = () -> cluster.selfMember().address().equals(cluster.state().getLeader());
    AtomicBoolean reading = new AtomicBoolean();
    system.scheduler().scheduleWithFixedDelay(every, every, () -> {
      if (!leader.getAsBoolean()) {
        report(false);
        return;
      }
      if (!reading.compareAndSet(false, true)) return; // the last reading is still under way (a slow database): no pile-up
      database.withConnection(c -> {
        openDeadLetters.set(count(c, "SELECT COUNT(*) FROM dead_letter WHERE state = 'open'", null));
        dueBacklog.set(count(c, "SELECT COUNT(*) FROM lab_test WHERE status = 'scheduled' AND next_fire_at < ?", Instant.now().minusSeconds(1)));
        // Asked again: leadership may have moved while the counts were read.
        report(leader.getAsBoolean());
        return null;
      }).whenComplete((x, error) -> reading.set(false));
    }, system.executionContext());
  }

  /** Registers the gauges (values already read) or removes them. */
  private synchronized void report(boolean leader) {
    if (leader && gauges.isEmpty()) {
      gauges.add(Gauge.builder("lims.lab_test.dead_letters", openDeadLetters, AtomicLong::get).description("open dead letters (cluster-wide)")
          .register(registry));
      gauges.add(Gauge.builder("lims.lab_test.due_backlog", dueBacklog, AtomicLong::get)
          .description("scheduled lab tests more than 1 s past their instant and not started (cluster-wide)").register(registry));
    } else if (!leader && !gauges.isEmpty()) {
      gauges.forEach(registry::remove);
      gauges.clear();
    }
  }

  private static long count(Connection c, String sql, Instant arg) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(sql)) {
      if (arg != null) s.setObject(1, ReadTableHandler.ts(arg));
      try (ResultSet rs = s.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  @Override
  public void accept(LabTest.Event event) {
    if (event instanceof LabTest.ExecutionStarted e && e.attempt() == 1 && e.trigger().startsWith("manual")) {
      byHand.add(e.executionId());
    } else if (event instanceof LabTest.ExecutionSucceeded e) {
      if (e.attempt() == 1) firstAttemptOver(e.executionId(), e.lateness());
      outcome("succeeded");
    } else if (event instanceof LabTest.ExecutionFailed e) {
      if (e.attempt() == 1) firstAttemptOver(e.executionId(), e.lateness());
      outcome(e.retryAt() == null ? "failed" : "retried");
    } else if (event instanceof LabTest.ExecutionDeadLettered) {
      outcome("dead_lettered");
    } else if (event instanceof LabTest.MisfireSkipped) {
      outcome("misfire_skipped");
    } else if (event instanceof LabTest.InstantsMissed) {
      outcome("missed"); // one per run of instants left out of a catch-up, however many it held
    }
  }

  private void firstAttemptOver(String executionId, Duration late) {
    if (!byHand.remove(executionId)) lateness.record(late);
  }

  /** Registered at the first attempt with that outcome (looking it up in the registry each time cost more than counting). */
  private void outcome(String outcome) {
    outcomes.computeIfAbsent(outcome,
        o -> Counter.builder("lims.lab_test.executions").description("execution attempts by outcome").tag("outcome", o).register(registry))
        .increment();
  }
}
