package lims.device.telemetry;

import java.util.Optional;

/** Why a channel is in alarm (docs/domain.md, Alarms): above its range, below it, changing implausibly fast, or silent. */
public enum AlarmKind {
  HIGH,
  LOW,
  RATE,
  STALE;

  public String wireName() {
    return name().toLowerCase(java.util.Locale.ROOT);
  }

  public static Optional<AlarmKind> fromWireName(String name) {
    for (AlarmKind k : values()) if (k.wireName().equals(name)) return Optional.of(k);
    return Optional.empty();
  }
}
