package lims.device;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;
import lims.kernel.PauseFence;

/**
 * Runs one operation on a physical (or simulated) instrument. Completes with the result
 * values, or exceptionally with the instrument's error. Called by the Device entity only
 * for the workflow holding the booking.
 */
public interface InstrumentDriver {

  CompletionStage<Map<String, Object>> run(String deviceId, DeviceType type, String operation, Map<String, Object> parameters);

  /**
   * {@code driver}, each operation held until {@code clear} completes (lims.kernel.PauseFence,
   * decision 0043), at most {@code wait}: a node frozen past its removal never drives an
   * instrument its device's new home drives.
   */
  static InstrumentDriver fenced(InstrumentDriver driver, Supplier<CompletionStage<Void>> clear, Duration wait) {
    return (deviceId, type, operation, parameters) -> PauseFence.afterClear(clear.get(), () -> driver.run(deviceId, type, operation, parameters), wait);
  }
}
