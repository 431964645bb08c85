package lims.device.telemetry;

import java.time.Instant;

/**
 * One stored reading of a channel: {@code at} is the instrument's clock, {@code receivedAt}
 * the node's; {@code quality} says whether the instrument's clock could be trusted
 * ({@link Quality#FUTURE}: ahead of the node's by more than the tolerance, kept and flagged).
 */
public record Reading(String channel, Instant at, double value, String unit, Instant receivedAt, Quality quality) {

  public enum Quality {
    GOOD,
    FUTURE;

    public String wireName() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }
}
