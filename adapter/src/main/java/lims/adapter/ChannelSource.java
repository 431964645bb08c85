package lims.adapter;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import lims.adapter.SimulatedInstrument.ChannelSpec;

/**
 * Which channels the simulated instrument reports, in which unit and range: those the node
 * declares for the device (GET /api/v1/devices/{id}/telemetry/channels) when the adapter's
 * token may read them, else those shipped for the device's type in the node's own
 * configuration (telemetry.conf, on this class path). A channel without a low or a high gets
 * a range of its own around the limit it has, so the walk has somewhere to wander.
 */
public final class ChannelSource {

  private static final ObjectMapper JSON = new ObjectMapper();

  private ChannelSource() {}

  public static List<ChannelSpec> resolve(URI node, String deviceId, String deviceType, Credentials credentials, Set<String> only,
      Duration timeout) {
    List<ChannelSpec> all = fromNode(node, deviceId, credentials, timeout).orElseGet(() -> shipped(deviceType));
    List<ChannelSpec> chosen = all.stream().filter(c -> only.isEmpty() || only.contains(c.name())).toList();
    if (chosen.isEmpty()) {
      throw new IllegalArgumentException("no channel to simulate: the device has " + all.stream().map(ChannelSpec::name).toList()
          + (only.isEmpty() ? "" : ", --channels asked for " + only));
    }
    return chosen;
  }

  static Optional<List<ChannelSpec>> fromNode(URI node, String deviceId, Credentials credentials, Duration timeout) {
    try {
      HttpResponse<String> answer = HttpClient.newBuilder().connectTimeout(timeout).build().send(
          HttpRequest.newBuilder(node.resolve("/api/v1/devices/" + deviceId + "/telemetry/channels")).timeout(timeout)
              .header("Authorization", "Bearer " + credentials.token()).GET().build(),
          HttpResponse.BodyHandlers.ofString());
      if (answer.statusCode() != 200) return Optional.empty();
      List<ChannelSpec> channels = new ArrayList<>();
      for (JsonNode c : JSON.readTree(answer.body()).path("channels")) {
        channels.add(spec(c.path("name").asText(), c.path("unit").asText(), number(c.get("low")), number(c.get("high")),
            number(c.get("max_rate_per_second"))));
      }
      return Optional.of(channels);
    } catch (java.io.IOException | RuntimeException e) {
      return Optional.empty(); // not readable with this token, or a node without the route: the shipped declarations
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return Optional.empty();
    }
  }

  public static List<ChannelSpec> shipped(String deviceType) {
    Config channels = ConfigFactory.parseResources("telemetry.conf").resolve().getConfig("lims.telemetry.channels");
    if (!channels.hasPath(deviceType)) {
      throw new IllegalArgumentException("no channels are shipped for device type '" + deviceType + "'; types with channels: "
          + channels.root().keySet());
    }
    List<ChannelSpec> specs = new ArrayList<>();
    for (Config c : channels.getConfigList(deviceType)) {
      specs.add(spec(c.getString("name"), c.getString("unit"), c.hasPath("low") ? c.getDouble("low") : null,
          c.hasPath("high") ? c.getDouble("high") : null, c.hasPath("max-rate-per-second") ? c.getDouble("max-rate-per-second") : null));
    }
    return specs;
  }

  private static Double number(JsonNode value) {
    return value == null || value.isNull() ? null : value.asDouble();
  }

  static ChannelSpec spec(String name, String unit, Double low, Double high, Double maxRate) {
    if (low != null && high != null) return new ChannelSpec(name, unit, low, high, maxRate);
    if (low == null && high == null) return new ChannelSpec(name, unit, 0, 100, maxRate);
    double limit = low != null ? low : high;
    double span = Math.max(1, Math.abs(limit) * 0.5);
    return low != null ? new ChannelSpec(name, unit, low, low + span, maxRate) : new ChannelSpec(name, unit, high - span, high, maxRate);
  }
}
