package lims.device;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;

/**
 * The built-in driver: each operation takes its configured duration
 * ({@code lims.device.simulated-driver}) and reports success, unless the parameters ask
 * for {@code "simulate_failure": true}, which lets workflows exercise the failure path.
 */
public final class SimulatedDriver implements InstrumentDriver {

  private final Config durations;
  private final Duration defaultDuration;

  public SimulatedDriver(Config settings) {
    this.durations = settings.getConfig("durations");
    this.defaultDuration = settings.getDuration("default-duration");
  }

  @Override
  public CompletionStage<Map<String, Object>> run(String deviceId, DeviceType type, String operation, Map<String, Object> parameters) {
    Duration takes = durations.hasPath(operation) ? durations.getDuration(operation) : defaultDuration;
    var after = CompletableFuture.delayedExecutor(takes.toMillis(), TimeUnit.MILLISECONDS);
    return CompletableFuture.supplyAsync(() -> {
      if (Boolean.TRUE.equals(parameters.get("simulate_failure"))) {
        throw new IllegalStateException("simulated instrument failure on " + deviceId);
      }
      return Map.<String, Object>of("simulated", true, "operation", operation, "device_id", deviceId);
    }, after);
  }
}
