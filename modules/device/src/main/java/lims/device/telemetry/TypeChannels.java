package lims.device.telemetry;

import com.typesafe.config.Config;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The channels each device type reports unless an administrator declared a device's own
 * ({@code lims.telemetry.channels}, keyed by the type's wire name). Checked by
 * {@link ChannelRules} when the node starts, so a bad entry stops the start, not an alarm.
 */
public final class TypeChannels {

  private final Map<String, List<Channel>> byType;

  private TypeChannels(Map<String, List<Channel>> byType) {
    this.byType = Map.copyOf(byType);
  }

  public static TypeChannels fromConfig(Config telemetry) {
    Map<String, List<Channel>> byType = new HashMap<>();
    if (telemetry.hasPath("channels")) {
      Config channels = telemetry.getConfig("channels");
      for (String type : channels.root().keySet()) {
        List<Channel> list = channels.getConfigList(type).stream().map(TypeChannels::channel).toList();
        ChannelRules.problem(list).ifPresent(p -> {
          throw new IllegalArgumentException("lims.telemetry.channels." + type + "[" + p.index() + "]." + p.field() + " " + p.message());
        });
        byType.put(type, list);
      }
    }
    return new TypeChannels(byType);
  }

  /** The type's channels; none for a type the configuration does not name. */
  public List<Channel> of(String typeWireName) {
    return byType.getOrDefault(typeWireName, List.of());
  }

  /** The device's declared channels when it has them, else its type's. */
  public List<Channel> effective(String typeWireName, DeviceTelemetry telemetry) {
    return telemetry.declaredChannels().orElseGet(() -> of(typeWireName));
  }

  private static Channel channel(Config c) {
    return new Channel(c.getString("name"), c.getString("unit"), c.hasPath("low") ? c.getDouble("low") : null,
        c.hasPath("high") ? c.getDouble("high") : null, c.hasPath("hysteresis") ? c.getDouble("hysteresis") : 0.0,
        c.hasPath("max-rate-per-second") ? c.getDouble("max-rate-per-second") : null, c.getDuration("sampling-period"),
        c.getInt("stale-after-periods"),
        Channel.Severity.fromWireName(c.getString("severity"))
            .orElseThrow(() -> new IllegalArgumentException("severity must be warning or critical: " + c.getString("severity"))));
  }
}
