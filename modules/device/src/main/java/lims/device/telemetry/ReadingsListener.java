package lims.device.telemetry;

import java.util.List;

/**
 * Told of each batch of readings once it is durably stored (never before, never a repeat):
 * the alarm watch and the live event stream listen. Must not block: it runs on the ingest's
 * path, so a listener hands the readings on (tell, offer) and returns.
 */
public interface ReadingsListener {

  void stored(String deviceId, List<Reading> readings);
}
