package lims.device.telemetry;

import java.time.Duration;
import java.util.Optional;

/**
 * One value an instrument reports over time (docs/telemetry.md): an incubator's temperature,
 * a plate reader's absorbance. Declared per device type in configuration
 * ({@code lims.telemetry.channels}) or per device by an administrator.
 *
 * <p>{@code low}/{@code high}: the expected range; a reading outside raises an alarm, which
 * clears only once a reading is back inside by {@code hysteresis} (so a value hovering on
 * the limit does not flap). {@code maxRatePerSecond}: the fastest change per second that is
 * still plausible; faster raises a rate alarm. {@code samplingPeriod}: how often the
 * instrument reports; no reading for {@code staleAfterPeriods} periods raises a stale alarm.
 * {@code severity}: a critical alarm takes the device offline.
 */
public record Channel(String name, String unit, Double low, Double high, double hysteresis, Double maxRatePerSecond,
    Duration samplingPeriod, int staleAfterPeriods, Severity severity) {

  public enum Severity {
    WARNING,
    CRITICAL;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }

    public static Optional<Severity> fromWireName(String name) {
      for (Severity s : values()) if (s.wireName().equals(name)) return Optional.of(s);
      return Optional.empty();
    }
  }

  /** How long without a reading before the channel is stale. */
  public Duration staleAfter() {
    return samplingPeriod.multipliedBy(staleAfterPeriods);
  }
}
