package lims.device;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Where a workflow stands on a device, from the estimator's own clock. */
class WaitEstimatorTest {

  static final Instant NOW = Instant.parse("2026-03-01T10:00:00Z");
  final WaitEstimator estimator = new WaitEstimator(
      ConfigFactory.parseString("default-booking = 10m, default-operation = 1m"), Clock.fixed(NOW, ZoneOffset.UTC));

  @Test
  void theHolderWaitsNothingAndEachQueuedRequestAfterThoseAheadOfIt() {
    Device.Snapshot device = new Device.Snapshot(null, "busy",
        Optional.of(new Booking("WF-holder", NOW.minus(Duration.ofMinutes(4)), List.of("read", "read"))),
        List.of(new QueueEntry("WF-urgent", Priority.URGENT, NOW, 1, List.of("read")),
            new QueueEntry("WF-normal", Priority.NORMAL, NOW, 2, List.of())));
    Map<String, Double> means = Map.of("read", 180_000.0); // 3 min each

    assertEquals(Optional.of(new WaitEstimator.Wait(0, Duration.ZERO)), estimator.waitOf(device, means, "WF-holder"));
    // The holder planned 6 min and has run 4: 2 min left.
    assertEquals(Optional.of(new WaitEstimator.Wait(1, Duration.ofMinutes(2))), estimator.waitOf(device, means, "WF-urgent"));
    assertEquals(Optional.of(new WaitEstimator.Wait(2, Duration.ofMinutes(5))), estimator.waitOf(device, means, "WF-normal"));
    assertEquals(Optional.empty(), estimator.waitOf(device, means, "WF-other"));
    // A new normal request waits behind both (the normal one with no plan: the default booking).
    assertEquals(Duration.ofMinutes(15), estimator.waitOfNewNormalRequest(device, means));
  }
}
