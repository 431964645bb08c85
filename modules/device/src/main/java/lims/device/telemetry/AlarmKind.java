package lims.device.telemetry;

import java.util.Optional;

/** Why a channel is in alarm (docs/domain.md, Alarms): above its range, below it, changing implausibly fast, or silent. */
public enum AlarmKind {
  HIGH,
  LOW,
  RATE,
  STALE;

  public String wireName() {
    return lims.kernel.WireNames.of(this);
  }

  public static Optional<AlarmKind> fromWireName(String name) {
    return lims.kernel.WireNames.parse(AlarmKind.class, name);
  }
}
