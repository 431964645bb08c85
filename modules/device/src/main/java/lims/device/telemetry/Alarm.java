package lims.device.telemetry;

import java.time.Instant;
import lims.kernel.CborSerializable;

/**
 * One alarm of a device, as its entity keeps it: raised by a reading ({@code value} at the
 * instrument's {@code readingAt}) beyond {@code threshold}; cleared by a later one
 * ({@code clearedValue} at {@code clearedAt}); acknowledged by a person with a comment.
 * {@code id} is {@code <device id>~<n>}, n counting the device's alarms from 1.
 */
public record Alarm(String id, String deviceId, String channel, AlarmKind kind, Channel.Severity severity, double value,
    double threshold, Instant readingAt, Instant raisedAt, Instant clearedAt, Double clearedValue, String acknowledgedBy,
    Instant acknowledgedAt, String comment) implements CborSerializable {

  public static final String SEPARATOR = "~";

  public boolean active() {
    return clearedAt == null;
  }

  public boolean acknowledged() {
    return acknowledgedAt != null;
  }

  public Alarm cleared(double atValue, Instant at) {
    return new Alarm(id, deviceId, channel, kind, severity, value, threshold, readingAt, raisedAt, at, atValue, acknowledgedBy,
        acknowledgedAt, comment);
  }

  public Alarm acknowledgedBy(String by, String withComment, Instant at) {
    return new Alarm(id, deviceId, channel, kind, severity, value, threshold, readingAt, raisedAt, clearedAt, clearedValue, by, at,
        withComment);
  }

  /** The device an alarm id names; empty when it is not one. */
  public static java.util.Optional<String> deviceOf(String alarmId) {
    int at = alarmId.lastIndexOf(SEPARATOR);
    if (at < 1 || !alarmId.substring(at + 1).matches("[1-9][0-9]{0,17}")) return java.util.Optional.empty();
    return java.util.Optional.of(alarmId.substring(0, at));
  }
}
