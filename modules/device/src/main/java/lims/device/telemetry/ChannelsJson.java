package lims.device.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Declared channels as the device read table keeps them ({@code device.channels}), in the
 * API's own shape: {@code [{name, unit, low, high, hysteresis, max_rate_per_second,
 * sampling_period: "PT1S", stale_after_periods, severity}]}.
 */
public final class ChannelsJson {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ChannelsJson() {}

  public static String write(List<Channel> channels) {
    ArrayNode array = JSON.createArrayNode();
    for (Channel c : channels) {
      ObjectNode o = array.addObject();
      o.put("name", c.name());
      o.put("unit", c.unit());
      o.put("low", c.low());
      o.put("high", c.high());
      o.put("hysteresis", c.hysteresis());
      o.put("max_rate_per_second", c.maxRatePerSecond());
      o.put("sampling_period", c.samplingPeriod().toString());
      o.put("stale_after_periods", c.staleAfterPeriods());
      o.put("severity", c.severity().wireName());
    }
    return array.toString();
  }

  public static List<Channel> read(String json) {
    try {
      List<Channel> channels = new ArrayList<>();
      for (JsonNode o : JSON.readTree(json)) {
        channels.add(new Channel(o.get("name").asText(), o.get("unit").asText(), number(o, "low"), number(o, "high"),
            o.get("hysteresis").asDouble(), number(o, "max_rate_per_second"), Duration.parse(o.get("sampling_period").asText()),
            o.get("stale_after_periods").asInt(), Channel.Severity.fromWireName(o.get("severity").asText()).orElseThrow()));
      }
      return channels;
    } catch (java.io.IOException | RuntimeException e) {
      throw new IllegalStateException("unreadable channels in the device table: " + json, e);
    }
  }

  private static Double number(JsonNode o, String field) {
    JsonNode n = o.get(field);
    return n == null || n.isNull() ? null : n.asDouble();
  }
}
