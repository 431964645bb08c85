package lims.telemetry;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import lims.device.Device;
import lims.device.DeviceType;
import lims.device.telemetry.Channel;

/**
 * The channels each device reports: the ones an administrator declared for the device, or
 * else its type's from configuration ({@code lims.telemetry.channels}). The one place ingest
 * and queries learn them. A node keeps a device's channels for {@code channel-cache}, so a
 * stream of batches does not ask the Device entity for each.
 */
public final class ChannelCatalog {

  /** Where a device's channels come from: its type's configuration, or its own declaration. */
  public enum Source {
    TYPE,
    DEVICE;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** A device's channels. */
  public record DeviceChannels(String deviceId, DeviceType type, Source source, List<Channel> channels) {
    public Optional<Channel> named(String name) {
      return channels.stream().filter(c -> c.name().equals(name)).findFirst();
    }
  }

  private record Cached(long atNanos, DeviceChannels channels) {}

  private final Map<DeviceType, List<Channel>> byType;
  private final Function<String, CompletionStage<Optional<Device.Snapshot>>> devices;
  private final long cacheNanos;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  /** {@code devices}: a device's current state, empty when there is no such device. */
  public ChannelCatalog(Map<DeviceType, List<Channel>> byType, Function<String, CompletionStage<Optional<Device.Snapshot>>> devices,
      Duration cacheFor) {
    this.byType = Map.copyOf(byType);
    this.devices = devices;
    this.cacheNanos = cacheFor.toNanos();
  }

  /** The channels of {@code deviceId}; empty when no such device is registered. */
  public CompletionStage<Optional<DeviceChannels>> of(String deviceId) {
    Cached cached = cache.get(deviceId);
    if (cached != null && System.nanoTime() - cached.atNanos() < cacheNanos) return CompletableFuture.completedFuture(Optional.of(cached.channels()));
    return devices.apply(deviceId).thenApply(snapshot -> {
      Optional<DeviceChannels> found = snapshot.map(this::channelsOf);
      // An unknown device is not kept: once registered it may stream at once.
      found.ifPresent(c -> cache.put(deviceId, new Cached(System.nanoTime(), c)));
      return found;
    });
  }

  /**
   * A device's own declared channels win over its type's. Until the Device entity holds
   * declared channels (PUT .../telemetry/channels), every device reports its type's.
   */
  DeviceChannels channelsOf(Device.Snapshot device) {
    DeviceType type = device.registration().type();
    return new DeviceChannels(device.registration().deviceId(), type, Source.TYPE, byType.getOrDefault(type, List.of()));
  }

  /** {@code lims.telemetry.channels}: per type wire name, a list of channels; a type not named reports none. */
  public static Map<DeviceType, List<Channel>> fromConfig(Config telemetry) {
    Map<DeviceType, List<Channel>> byType = new EnumMap<>(DeviceType.class);
    Config channels = telemetry.getConfig("channels");
    for (String typeName : channels.root().keySet()) {
      DeviceType type = DeviceType.fromWireName(typeName)
          .orElseThrow(() -> new IllegalArgumentException("lims.telemetry.channels." + typeName + ": no such device type"));
      byType.put(type, channels.getConfigList(typeName).stream().map(ChannelCatalog::channel).toList());
    }
    return byType;
  }

  private static Channel channel(Config c) {
    return new Channel(c.getString("name"), c.getString("unit"), optionalDouble(c, "low"), optionalDouble(c, "high"),
        c.hasPath("hysteresis") ? c.getDouble("hysteresis") : 0.0, optionalDouble(c, "max-rate-per-second"), c.getDuration("sampling-period"),
        c.getInt("stale-after-periods"),
        Channel.Severity.fromWireName(c.getString("severity"))
            .orElseThrow(() -> new IllegalArgumentException("channel " + c.getString("name") + ": severity must be warning or critical")));
  }

  private static Double optionalDouble(Config c, String path) {
    return c.hasPath(path) ? c.getDouble(path) : null;
  }
}
