package lims.device;

import java.util.Optional;
import lims.kernel.WireNames;

/**
 * What an administrator sets. A device reports {@code busy} when it is available and held
 * by a booking; in maintenance or offline it keeps its queue but grants nothing.
 */
public enum OperationalStatus {
  AVAILABLE,
  MAINTENANCE,
  OFFLINE;

  public String wireName() {
    return WireNames.of(this);
  }

  public static Optional<OperationalStatus> fromWireName(String name) {
    return WireNames.parse(OperationalStatus.class, name);
  }
}
