package lims.device.telemetry;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lims.kernel.CborSerializable;

/**
 * The telemetry part of a device's state: the channels an administrator declared for it
 * ({@code declared}, null while the device type's apply), its alarms still of interest
 * (active, or cleared but not yet acknowledged), and how many alarms it has ever raised.
 * Pure: every change returns a new value.
 */
public record DeviceTelemetry(List<Channel> declared, Map<String, Alarm> alarms, long alarmCount) implements CborSerializable {

  /** Cleared alarms nobody acknowledged that the entity keeps; older ones stay in the alarm table only. */
  static final int KEPT_UNACKNOWLEDGED = 100;

  public static final DeviceTelemetry NONE = new DeviceTelemetry(null, Map.of(), 0);

  public DeviceTelemetry {
    alarms = alarms == null ? Map.of() : alarms;
  }

  public Optional<List<Channel>> declaredChannels() {
    return Optional.ofNullable(declared);
  }

  /** The active alarm of a channel and kind (at most one). */
  public Optional<Alarm> active(String channel, AlarmKind kind) {
    return alarms.values().stream().filter(a -> a.active() && a.channel().equals(channel) && a.kind() == kind).findFirst();
  }

  public List<Alarm> activeAlarms() {
    return alarms.values().stream().filter(Alarm::active).toList();
  }

  public String nextAlarmId(String deviceId) {
    return deviceId + Alarm.SEPARATOR + (alarmCount + 1);
  }

  public DeviceTelemetry declared(List<Channel> channels) {
    return new DeviceTelemetry(List.copyOf(channels), alarms, alarmCount);
  }

  public DeviceTelemetry raised(Alarm alarm) {
    Map<String, Alarm> next = new LinkedHashMap<>(alarms);
    next.put(alarm.id(), alarm);
    return new DeviceTelemetry(declared, java.util.Collections.unmodifiableMap(next), alarmCount + 1);
  }

  public DeviceTelemetry cleared(String alarmId, double value, Instant at) {
    Alarm alarm = alarms.get(alarmId);
    if (alarm == null) return this;
    return kept(alarm.cleared(value, at));
  }

  public DeviceTelemetry acknowledged(String alarmId, String by, String comment, Instant at) {
    Alarm alarm = alarms.get(alarmId);
    if (alarm == null) return this;
    return kept(alarm.acknowledgedBy(by, comment, at));
  }

  /** Puts the alarm back; one both cleared and acknowledged needs nothing more and leaves. */
  private DeviceTelemetry kept(Alarm alarm) {
    Map<String, Alarm> next = new LinkedHashMap<>(alarms);
    if (!alarm.active() && alarm.acknowledged()) next.remove(alarm.id());
    else next.put(alarm.id(), alarm);
    long unacknowledged = next.values().stream().filter(a -> !a.active()).count();
    var oldest = next.values().iterator();
    while (unacknowledged > KEPT_UNACKNOWLEDGED && oldest.hasNext()) {
      if (!oldest.next().active()) {
        oldest.remove();
        unacknowledged--;
      }
    }
    return new DeviceTelemetry(declared, java.util.Collections.unmodifiableMap(next), alarmCount);
  }
}
