package lims.http;

import java.util.HashMap;
import java.util.Map;

/**
 * One event-stream client's pace of telemetry: at most one frame per channel per
 * {@code interval} (lims.telemetry.live.max-per-second). A frame that comes sooner is left
 * out of this client's live view; the readings stay stored. Guarded by the feed's lock.
 */
final class ChannelPace {

  private final long intervalNanos;
  /** Per device and channel, when the next frame may go. Grows with the lab's channels, not with readings. */
  private final Map<String, Long> next = new HashMap<>();

  ChannelPace(long intervalNanos) {
    this.intervalNanos = intervalNanos;
  }

  boolean admits(String channel, long nowNanos) {
    Long due = next.get(channel);
    if (due != null && nowNanos - due < 0) return false;
    next.put(channel, nowNanos + intervalNanos);
    return true;
  }
}
