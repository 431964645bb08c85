package lims.device;

import com.typesafe.config.Config;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How long a request will wait: the remaining expected time of the current booking plus
 * the expected durations of every entry ahead of it. A request's expected duration is the
 * sum of the mean durations of the operations it plans (from the execution history of the
 * same operations on the same device type), or configured defaults where there is no
 * history or no plan.
 */
public final class WaitEstimator {

  public record QueuePlace(QueueEntry entry, int position, Instant estimatedStart) {}

  private final Duration defaultBooking;
  private final Duration defaultOperation;

  public WaitEstimator(Config settings) {
    this.defaultBooking = settings.getDuration("default-booking");
    this.defaultOperation = settings.getDuration("default-operation");
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
