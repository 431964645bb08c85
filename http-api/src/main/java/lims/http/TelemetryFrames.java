package lims.http;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import lims.device.telemetry.LiveTelemetry;
import lims.device.telemetry.LiveTelemetry.ChannelReadings;
import lims.device.telemetry.LiveTelemetry.LiveReadings;

/**
 * Telemetry on the event stream (docs/telemetry.md, Live): each batch published on the live
 * telemetry topic, by any node, becomes one {@code telemetry} event per channel, rendered once
 * and handed to this node's clients by the {@link ChangeFeed}, paced per client and channel.
 * These events have no id: they are not in the journal, and a reconnecting client does not
 * get the readings it missed (it reads them from GET /api/v1/devices/{id}/telemetry).
 */
final class TelemetryFrames {

  private TelemetryFrames() {}

  static void follow(LiveTelemetry live, ChangeFeed feed) {
    live.subscribe("event-stream-telemetry", batch -> feed.publishTelemetry(frames(batch, feed), System.nanoTime()));
  }

  static List<ChangeFeed.Frame> frames(LiveReadings batch, ChangeFeed feed) {
    List<ChangeFeed.Frame> frames = new ArrayList<>(batch.channels().size());
    for (ChannelReadings channel : batch.channels()) {
      List<Map<String, Object>> readings = new ArrayList<>(channel.readings().size());
      for (LiveTelemetry.Point point : channel.readings()) {
        Map<String, Object> reading = new LinkedHashMap<>();
        reading.put("at", point.at().toString());
        reading.put("value", point.value());
        reading.put("quality", point.quality());
        readings.add(reading);
      }
      Map<String, Object> data = new LinkedHashMap<>();
      data.put("type", "telemetry");
      data.put("device_id", batch.deviceId());
      data.put("channel", channel.channel());
      data.put("unit", channel.unit());
      data.put("readings", readings);
      frames.add(ChangeFeed.Frame.telemetry(batch.deviceId() + "\u0000" + channel.channel(), feed.event(null, "telemetry", data)));
    }
    return frames;
  }
}
