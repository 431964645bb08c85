package lims.http;

import java.util.HashMap;
import java.util.Map;

/**
 * One event-stream client's pace of telemetry: at most one frame per channel per
 * {@code interval} (lims.telemetry.live.max-per-second). A frame that comes sooner is held,
 * replacing the one held before it (whose readings are left out of this client's live view;
 * they stay stored), and goes when the channel is due: a burst that ends between two frames
 * would otherwise leave the chart on an older value than the newest stored, an excursion's
 * reading included, until the next batch came. Guarded by the feed's lock.
 */
final class ChannelPace {

  /** What to do with a frame offered now. */
  enum Offer {
    /** Send it now. */
    SEND,
    /** It is held; a release is already due for its channel. */
    HELD,
    /** It is held; schedule {@link #release} for its channel in {@link #dueIn} nanoseconds. */
    HELD_RELEASE_DUE
  }

  private final long intervalNanos;
  /** Per device and channel, when the next frame may go. Grows with the lab's channels, not with readings. */
  private final Map<String, Long> next = new HashMap<>();
  /** Per device and channel, the newest frame that came too soon: at most one each. */
  private final Map<String, ChangeFeed.Frame> held = new HashMap<>();

  ChannelPace(long intervalNanos) {
    this.intervalNanos = intervalNanos;
  }

  Offer offer(ChangeFeed.Frame frame, long nowNanos) {
    String channel = frame.channel();
    Long due = next.get(channel);
    if (due == null || nowNanos - due >= 0) {
      next.put(channel, nowNanos + intervalNanos);
      held.remove(channel); // this frame is newer: the release due finds nothing
      return Offer.SEND;
    }
    return held.put(channel, frame) == null ? Offer.HELD_RELEASE_DUE : Offer.HELD;
  }

  /** How long until the channel may send again (never negative). */
  long dueIn(String channel, long nowNanos) {
    Long due = next.get(channel);
    return due == null ? 0 : Math.max(0, due - nowNanos);
  }

  /** The frame held for the channel, if any, now sent: the channel's pace starts again from now. */
  ChangeFeed.Frame release(String channel, long nowNanos) {
    ChangeFeed.Frame frame = held.remove(channel);
    if (frame != null) next.put(channel, nowNanos + intervalNanos);
    return frame;
  }
}
