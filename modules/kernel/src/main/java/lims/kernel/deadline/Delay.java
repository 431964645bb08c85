package lims.kernel.deadline;

import java.time.Duration;
import java.time.Instant;

/**
 * How long an actor timer waits for an instant: zero for one already passed (timers refuse
 * negative delays), and at most {@link #MAX}. Pekko's scheduler refuses delays beyond
 * 2^31 ticks (about 24 days with this node's 1 ms tick), so a timer for a later instant
 * fires early, after {@code MAX}: whoever arms one checks the instant when it fires and
 * arms it again if it has not come (a passivated entity is woken by the deadline index).
 */
public final class Delay {

  public static final Duration MAX = Duration.ofDays(1);

  private Delay() {}

  public static Duration until(Instant now, Instant at) {
    Duration d = Duration.between(now, at);
    if (d.isNegative()) return Duration.ZERO;
    return d.compareTo(MAX) > 0 ? MAX : d;
  }
}
