package lims.device.telemetry;

import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What makes a declared channel usable (docs/domain.md, Telemetry channels): the one home of
 * these limits, for the administrator's declaration and the configured type defaults alike.
 */
public final class ChannelRules {

  public static final Pattern NAME = Pattern.compile("[a-z0-9_-]{1,64}");
  public static final int MAX_CHANNELS = 64;
  public static final Duration MIN_PERIOD = Duration.ofMillis(100);
  public static final Duration MAX_PERIOD = Duration.ofDays(1);
  public static final int MAX_STALE_PERIODS = 1000;

  /** A refused channel: which field (relative to the channel, such as {@code low}) and why. */
  public record Problem(int index, String field, String message) {}

  private ChannelRules() {}

  public static Optional<Problem> problem(List<Channel> channels) {
    if (channels.size() > MAX_CHANNELS) return Optional.of(new Problem(-1, "channels", "must have at most " + MAX_CHANNELS + " channels"));
    Set<String> names = new HashSet<>();
    for (int i = 0; i < channels.size(); i++) {
      Optional<Problem> p = problem(i, channels.get(i), names);
      if (p.isPresent()) return p;
    }
    return Optional.empty();
  }

  private static Optional<Problem> problem(int i, Channel c, Set<String> names) {
    if (c.name() == null || !NAME.matcher(c.name()).matches()) return at(i, "name", "must be 1-64 lower-case letters, digits, '_' or '-'");
    if (!names.add(c.name())) return at(i, "name", "names channel '" + c.name() + "' twice");
    if (c.unit() == null || c.unit().isBlank() || c.unit().length() > 16) return at(i, "unit", "must be 1-16 characters");
    if (c.low() != null && !Double.isFinite(c.low())) return at(i, "low", "must be a finite number");
    if (c.high() != null && !Double.isFinite(c.high())) return at(i, "high", "must be a finite number");
    if (c.low() != null && c.high() != null && !(c.low() < c.high())) return at(i, "high", "must be above low");
    if (!Double.isFinite(c.hysteresis()) || c.hysteresis() < 0) return at(i, "hysteresis", "must be 0 or more");
    if (c.low() != null && c.high() != null && c.hysteresis() >= c.high() - c.low()) {
      return at(i, "hysteresis", "must be less than high - low (" + (c.high() - c.low()) + ")");
    }
    if (c.maxRatePerSecond() != null && !(Double.isFinite(c.maxRatePerSecond()) && c.maxRatePerSecond() > 0)) {
      return at(i, "max_rate_per_second", "must be a number above 0");
    }
    if (c.samplingPeriod() == null || c.samplingPeriod().compareTo(MIN_PERIOD) < 0 || c.samplingPeriod().compareTo(MAX_PERIOD) > 0) {
      return at(i, "sampling_period", "must be from PT0.1S to P1D");
    }
    if (c.staleAfterPeriods() < 1 || c.staleAfterPeriods() > MAX_STALE_PERIODS) {
      return at(i, "stale_after_periods", "must be from 1 to " + MAX_STALE_PERIODS);
    }
    // The watch's stale timer is one actor timer, which cannot wait longer than some 24 days.
    if (c.staleAfter().compareTo(MAX_STALE_AFTER) > 0) {
      return at(i, "stale_after_periods", "times sampling_period must be at most 7 days (" + MAX_STALE_AFTER + ")");
    }
    if (c.severity() == null) return at(i, "severity", "must be warning or critical");
    return Optional.empty();
  }

  static final java.time.Duration MAX_STALE_AFTER = java.time.Duration.ofDays(7);

  private static Optional<Problem> at(int index, String field, String message) {
    return Optional.of(new Problem(index, field, message));
  }
}
