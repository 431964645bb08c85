package lims.device;

import java.util.Map;
import java.util.concurrent.CompletionStage;

/**
 * Runs one operation on a physical (or simulated) instrument. Completes with the result
 * values, or exceptionally with the instrument's error. Called by the Device entity only
 * for the workflow holding the booking.
 */
public interface InstrumentDriver {

  CompletionStage<Map<String, Object>> run(String deviceId, DeviceType type, String operation, Map<String, Object> parameters);
}
