package lims.device;

import java.util.Optional;
import lims.kernel.WireNames;

/** Queue priority; declaration order is service order: urgent before normal before low. */
public enum Priority {
  URGENT,
  NORMAL,
  LOW;

  public String wireName() {
    return WireNames.of(this);
  }

  public static Optional<Priority> fromWireName(String name) {
    return WireNames.parse(Priority.class, name);
  }
}
