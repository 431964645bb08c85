package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;

import org.apache.pekko.util.ByteString;
import org.junit.jupiter.api.Test;

/** The pace of one client's telemetry: at most one frame per channel per interval, and the newest held one goes when due. */
class ChannelPaceTest {

  static final long INTERVAL = 500_000_000L;
  static final String TEMPERATURE = "incubator-1\u0000temperature";

  static ChangeFeed.Frame frame(String channel, String body) {
    return ChangeFeed.Frame.telemetry(channel, ByteString.fromString(body));
  }

  @Test
  void aFrameTooSoonIsHeldAndTheNewestGoesWhenTheChannelIsDue() {
    ChannelPace pace = new ChannelPace(INTERVAL);
    assertEquals(ChannelPace.Offer.SEND, pace.offer(frame(TEMPERATURE, "37.1"), 0));
    // A burst that then stops: its last batch must still reach the chart.
    assertEquals(ChannelPace.Offer.HELD_RELEASE_DUE, pace.offer(frame(TEMPERATURE, "38.0"), 100_000_000L));
    assertEquals(400_000_000L, pace.dueIn(TEMPERATURE, 100_000_000L));
    ChangeFeed.Frame newest = frame(TEMPERATURE, "39.6");
    assertEquals(ChannelPace.Offer.HELD, pace.offer(newest, 200_000_000L), "one release is due already");
    assertSame(newest, pace.release(TEMPERATURE, 500_000_000L));
    assertNull(pace.release(TEMPERATURE, 500_000_000L), "sent once");
    // The release started the pace again: the next frame waits a whole interval.
    assertEquals(ChannelPace.Offer.HELD_RELEASE_DUE, pace.offer(frame(TEMPERATURE, "39.7"), 900_000_000L));
  }

  @Test
  void aFrameDueBeforeTheReleaseRanReplacesTheHeldOne() {
    ChannelPace pace = new ChannelPace(INTERVAL);
    pace.offer(frame(TEMPERATURE, "37.1"), 0);
    pace.offer(frame(TEMPERATURE, "38.0"), 100_000_000L);
    assertEquals(ChannelPace.Offer.SEND, pace.offer(frame(TEMPERATURE, "39.6"), 600_000_000L));
    assertNull(pace.release(TEMPERATURE, 610_000_000L), "the older held frame is not sent after the newer one");
  }

  @Test
  void eachChannelHasItsOwnPace() {
    ChannelPace pace = new ChannelPace(INTERVAL);
    assertEquals(ChannelPace.Offer.SEND, pace.offer(frame(TEMPERATURE, "37.1"), 0));
    assertEquals(ChannelPace.Offer.SEND, pace.offer(frame("incubator-1\u0000co2", "5.0"), 0));
    assertEquals(ChannelPace.Offer.SEND, pace.offer(frame("incubator-2\u0000temperature", "36.9"), 0));
  }
}
