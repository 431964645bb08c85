package lims.device;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/**
 * What an administrator sets. A device reports {@code busy} when it is available and held
 * by a booking; in maintenance or offline it keeps its queue but grants nothing.
 */
public enum OperationalStatus {
  AVAILABLE,
  MAINTENANCE,
  OFFLINE;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<OperationalStatus> fromWireName(String name) {
    return Arrays.stream(values()).filter(s -> s.wireName().equals(name)).findFirst();
  }
}
