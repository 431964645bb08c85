package lims.kernel.deadline;

import java.time.Duration;
import java.time.Instant;

/** How long a timer waits for an instant: zero for one already passed (timers refuse negative delays). */
public final class Delay {

  private Delay() {}

  public static Duration until(Instant now, Instant at) {
    Duration d = Duration.between(now, at);
    return d.isNegative() ? Duration.ZERO : d;
  }
}
