package lims.device;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** Queue priority; declaration order is service order: urgent before normal before low. */
public enum Priority {
  URGENT,
  NORMAL,
  LOW;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Priority> fromWireName(String name) {
    return Arrays.stream(values()).filter(p -> p.wireName().equals(name)).findFirst();
  }
}
