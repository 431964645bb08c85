package lims.security;

import java.util.Arrays;
import java.util.Locale;
import java.util.Optional;

/** What a user may do. The wire name is the lower-case name, as in API.md. */
public enum Role {
  ADMIN,
  TECHNICIAN,
  REVIEWER,
  SCIENTIST,
  VIEWER,
  /** Instrument adapters that stream telemetry and report device state. */
  INSTRUMENT;

  public String wireName() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Role> fromWireName(String name) {
    return Arrays.stream(values()).filter(r -> r.wireName().equals(name)).findFirst();
  }

  public static String wireNames() {
    return String.join(", ", Arrays.stream(values()).map(Role::wireName).toList());
  }
}
