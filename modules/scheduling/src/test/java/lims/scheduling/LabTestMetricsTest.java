package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The fire-lateness histogram is about scheduled fires: a run by hand (due "now", late by nothing) is left out. */
class LabTestMetricsTest {

  @Test
  void runsByHandAreNotFires() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    LabTestMetrics metrics = new LabTestMetrics(registry);
    Instant due = Instant.parse("2026-11-24T08:00:00Z");
    String test = "LT-0123456789abc";
    String scheduled = LabTest.executionId(test, due);
    String manual = LabTest.executionId(test, due.plusSeconds(30));

    metrics.accept(new LabTest.ExecutionStarted(test, manual, due.plusSeconds(30), 1, due.plusSeconds(30), "manual:sam"));
    metrics.accept(new LabTest.ExecutionSucceeded(test, manual, due.plusSeconds(30), 1, due.plusSeconds(30), due.plusSeconds(31), List.of(), null));
    metrics.accept(new LabTest.ExecutionStarted(test, scheduled, due, 1, due.minusMillis(500), "schedule"));
    metrics.accept(new LabTest.ExecutionFailed(test, scheduled, due, 1, due.plusMillis(40), due.plusSeconds(1), List.of("503"), due.plusSeconds(2)));

    var lateness = registry.get("lims.lab_test.fire.lateness").timer();
    assertEquals(1, lateness.count(), "only the scheduled fire");
    assertEquals(40, lateness.totalTime(java.util.concurrent.TimeUnit.MILLISECONDS), 0.001);
    assertEquals(1, registry.get("lims.lab_test.executions").tag("outcome", "succeeded").counter().count(), "the run by hand is still an execution");
  }
}
