package lims.telemetry;

import java.time.Duration;
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
import lims.device.telemetry.TypeChannels;

/**
 * The channels each device reports: the ones an administrator declared for the device, or
 * else its type's from configuration ({@link TypeChannels}). The one place ingest
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

  private final TypeChannels types;
  private final Function<String, CompletionStage<Optional<Device.TelemetryReply>>> devices;
  private final long cacheNanos;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  /** {@code devices}: a device's type and telemetry state, empty when there is no such device. */
  public ChannelCatalog(TypeChannels types, Function<String, CompletionStage<Optional<Device.TelemetryReply>>> devices, Duration cacheFor) {
    this.types = types;
    this.devices = devices;
    this.cacheNanos = cacheFor.toNanos();
  }

  /** The channels of {@code deviceId}; empty when no such device is registered. */
  public CompletionStage<Optional<DeviceChannels>> of(String deviceId) {
    Cached cached = cache.get(deviceId);
    if (cached != null && System.nanoTime() - cached.atNanos() < cacheNanos) return CompletableFuture.completedFuture(Optional.of(cached.channels()));
    return devices.apply(deviceId).thenApply(device -> {
      Optional<DeviceChannels> found = device.map(d -> channelsOf(deviceId, d));
      // An unknown device is not kept: once registered it may stream at once.
      found.ifPresent(c -> cache.put(deviceId, new Cached(System.nanoTime(), c)));
      return found;
    });
  }

  /** A device's own declared channels win over its type's. */
  DeviceChannels channelsOf(String deviceId, Device.TelemetryReply device) {
    Optional<List<Channel>> declared = device.telemetry().declaredChannels();
    return new DeviceChannels(deviceId, device.type(), declared.isPresent() ? Source.DEVICE : Source.TYPE,
        types.effective(device.type().wireName(), device.telemetry()));
  }
}
