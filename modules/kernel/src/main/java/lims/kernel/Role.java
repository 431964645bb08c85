package lims.kernel;

import java.util.Optional;

/** What a user may do (docs/domain.md, Who). The wire name is the lower-case name (docs/api.md, Paths and spelling). */
public enum Role {
  ADMIN,
  TECHNICIAN,
  REVIEWER,
  SCIENTIST,
  VIEWER,
  /** Instrument adapters that stream telemetry and report device state. */
  INSTRUMENT;

  public String wireName() {
    return WireNames.of(this);
  }

  public static Optional<Role> fromWireName(String name) {
    return WireNames.parse(Role.class, name);
  }

  public static String wireNames() {
    return WireNames.list(Role.class);
  }
}
