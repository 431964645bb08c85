package lims.scheduling;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import lims.kernel.Database;
import lims.kernel.projection.ReadTableHandler;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * The scheduler's meters: fire lateness (action start − due of each execution's first attempt, a histogram),
 * executions by outcome, open dead letters, and the due backlog (scheduled tests whose
 * instant passed more than a second ago without a start). The entity reports its events
 * here; the two gauges are read from the read tables every few seconds, off the scrape.
 */
public final class LabTestMetrics implements Consumer<LabTest.Event> {

  private final Timer lateness;
  private final MeterRegistry registry;
  private final AtomicLong openDeadLetters = new AtomicLong();
  private final AtomicLong dueBacklog = new AtomicLong();
  private final java.util.Map<String, Counter> outcomes = new java.util.concurrent.ConcurrentHashMap<>();

  public LabTestMetrics(MeterRegistry registry) {
    this.registry = registry;
    this.lateness = Timer.builder("lims.lab_test.fire.lateness").description("start minus due instant of scheduled fires")
        .publishPercentileHistogram().register(registry);
    Gauge.builder("lims.lab_test.dead_letters", openDeadLetters, AtomicLong::get).description("open dead letters").register(registry);
    Gauge.builder("lims.lab_test.due_backlog", dueBacklog, AtomicLong::get)
        .description("scheduled lab tests more than 1 s past their instant and not started").register(registry);
  }

  /** Refreshes the gauges from the read tables every {@code every}, on the JDBC dispatcher. */
  public void pollGauges(ActorSystem<?> system, Duration every) {
    Database database = Database.get(system);
    system.scheduler().scheduleWithFixedDelay(every, every, () -> database.withConnection(c -> {
      openDeadLetters.set(count(c, "SELECT COUNT(*) FROM dead_letter WHERE state = 'open'", null));
      dueBacklog.set(count(c, "SELECT COUNT(*) FROM lab_test WHERE status = 'scheduled' AND next_fire_at < ?", Instant.now().minusSeconds(1)));
      return null;
    }), system.executionContext());
  }

  private static long count(java.sql.Connection c, String sql, Instant arg) throws java.sql.SQLException {
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
    if (event instanceof LabTest.ExecutionSucceeded e) {
      if (e.attempt() == 1) lateness.record(e.lateness());
      outcome("succeeded");
    } else if (event instanceof LabTest.ExecutionFailed e) {
      if (e.attempt() == 1) lateness.record(e.lateness());
      outcome(e.retryAt() == null ? "failed" : "retried");
    } else if (event instanceof LabTest.ExecutionDeadLettered) {
      outcome("dead_lettered");
    } else if (event instanceof LabTest.MisfireSkipped) {
      outcome("misfire_skipped");
    }
  }

  /** Registered at the first attempt with that outcome (looking it up in the registry each time cost more than counting). */
  private void outcome(String outcome) {
    outcomes.computeIfAbsent(outcome,
        o -> Counter.builder("lims.lab_test.executions").description("execution attempts by outcome").tag("outcome", o).register(registry))
        .increment();
  }
}
