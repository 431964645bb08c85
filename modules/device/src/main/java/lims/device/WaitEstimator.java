package lims.device;

import com.typesafe.config.Config;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * How long a request will wait: the remaining expected time of the current booking plus
 * the expected durations of every entry ahead of it. A request's expected duration is the
 * sum of the mean durations of the operations it plans (from the execution history of the
 * same operations on the same device type), or configured defaults where there is no
 * history or no plan.
 */
public final class WaitEstimator {

  public record QueuePlace(QueueEntry entry, int position, Instant estimatedStart) {}

  /** Where a workflow stands: position 0 and no wait for the holder, else its place in the queue. */
  public record Wait(int position, Duration expected) {}

  private final Duration defaultBooking;
  private final Duration defaultOperation;
  /** Estimates are from now; the clock is this context's, so callers (the HTTP edge) need none. */
  private final Clock clock;

  public WaitEstimator(Config settings) {
    this(settings, Clock.systemUTC());
  }

  WaitEstimator(Config settings, Clock clock) {
    this.defaultBooking = settings.getDuration("default-booking");
    this.defaultOperation = settings.getDuration("default-operation");
    this.clock = clock;
  }

  /** Each queue entry with its 1-based position and estimated start from now, in service order. */
  public List<QueuePlace> places(Device.Snapshot device, Map<String, Double> meanMs) {
    return places(device, meanMs, clock.instant());
  }

  /** How long a new request of normal priority would wait from now. */
  public Duration waitOfNewNormalRequest(Device.Snapshot device, Map<String, Double> meanMs) {
    Instant now = clock.instant();
    return Duration.between(now, startOfNewNormalRequest(device, meanMs, now));
  }

  /** Where {@code workflowId} stands on the device now; empty when it neither holds it nor is queued. */
  public Optional<Wait> waitOf(Device.Snapshot device, Map<String, Double> meanMs, String workflowId) {
    if (device.booking().map(b -> b.workflowId().equals(workflowId)).orElse(false)) return Optional.of(new Wait(0, Duration.ZERO));
    Instant now = clock.instant();
    return places(device, meanMs, now).stream().filter(p -> p.entry().workflowId().equals(workflowId)).findFirst()
        .map(p -> new Wait(p.position(), Duration.between(now, p.estimatedStart()).isNegative() ? Duration.ZERO
            : Duration.between(now, p.estimatedStart())));
  }

  Duration expected(List<String> operations, Map<String, Double> meanMs) {
    if (operations == null || operations.isEmpty()) return defaultBooking;
    long ms = 0;
    for (String op : operations) {
      Double mean = meanMs.get(op);
      ms += mean == null ? defaultOperation.toMillis() : Math.round(mean);
    }
    return Duration.ofMillis(ms);
  }

  /** Each queue entry with its 1-based position and estimated start, in service order. */
  public List<QueuePlace> places(Device.Snapshot device, Map<String, Double> meanMs, Instant now) {
    Instant start = now.plus(remainingOfBooking(device, meanMs, now));
    List<QueuePlace> places = new ArrayList<>();
    int position = 1;
    for (QueueEntry e : device.queue()) {
      places.add(new QueuePlace(e, position++, start));
      start = start.plus(expected(e.operations(), meanMs));
    }
    return places;
  }

  /** When a new request of normal priority would start: after the booking, every urgent and normal entry. */
  public Instant startOfNewNormalRequest(Device.Snapshot device, Map<String, Double> meanMs, Instant now) {
    Instant start = now.plus(remainingOfBooking(device, meanMs, now));
    for (QueueEntry e : device.queue()) {
      if (e.priority().compareTo(Priority.NORMAL) <= 0) start = start.plus(expected(e.operations(), meanMs));
    }
    return start;
  }

  public int positionOfNewNormalRequest(Device.Snapshot device) {
    return 1 + (int) device.queue().stream().filter(e -> e.priority().compareTo(Priority.NORMAL) <= 0).count();
  }

  private Duration remainingOfBooking(Device.Snapshot device, Map<String, Double> meanMs, Instant now) {
    if (device.booking().isEmpty()) return Duration.ZERO;
    Booking b = device.booking().get();
    Duration left = expected(b.operations(), meanMs).minus(Duration.between(b.bookedAt(), now));
    return left.isNegative() ? Duration.ZERO : left;
  }
}
