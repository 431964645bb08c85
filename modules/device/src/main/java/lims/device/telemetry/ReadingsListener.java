package lims.device.telemetry;

import java.util.List;

/**
 * Told of each batch of readings once it is durably stored (never before), at least once: a
 * batch an adapter sends again is told again, because its first store may have committed
 * after the adapter was told to resend it, unheard (decision 0061). The alarm watch ignores
 * readings no newer than those it has seen; the live view's clients ignore points they hold.
 * Must not block: it runs on the ingest's path, so a listener hands the readings on (tell,
 * offer) and returns.
 */
public interface ReadingsListener {

  void stored(String deviceId, List<Reading> readings);
}
