package lims.device;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import lims.device.telemetry.Alarm;
import lims.device.telemetry.AlarmKind;
import lims.device.telemetry.Channel;
import lims.kernel.Rejection;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.Test;

/** Alarms on the Device entity (CBOR round trips included): critical takes it offline like SetStatus, one active alarm per channel and kind. */
class DeviceAlarmTest {

  static final Instant READ_AT = Instant.parse("2026-12-02T10:00:00Z");

  static EventSourcedBehaviorTestKit<Device.Command, Device.Event, DeviceState> held(String id) {
    var device = DeviceTest.registered(id);
    device.<Device.Reply>runCommand(r -> new Device.Book("WF-000000000001", List.of(), "tess", r));
    return device;
  }

  static EventSourcedBehaviorTestKit.CommandResultWithReply<Device.Command, Device.Event, DeviceState, Device.Reply> raise(
      EventSourcedBehaviorTestKit<Device.Command, Device.Event, DeviceState> device, AlarmKind kind, Channel.Severity severity) {
    return device.runCommand(r -> new Device.RaiseAlarm("lamp-temperature", kind, severity, 46.0, 45.0, READ_AT, r));
  }

  @Test
  void aCriticalAlarmTakesTheDeviceOfflineNamingTheInterruptedWorkflowInTheSameWrite() {
    var device = held("reader-critical");
    var result = raise(device, AlarmKind.HIGH, Channel.Severity.CRITICAL);
    assertEquals(2, result.events().size());
    Device.AlarmRaised raised = assertInstanceOf(Device.AlarmRaised.class, result.events().get(0));
    assertEquals("reader-critical~1", raised.alarmId());
    assertEquals(46.0, raised.value());
    assertEquals(READ_AT, raised.readingAt());
    Device.StatusChanged offline = assertInstanceOf(Device.StatusChanged.class, result.events().get(1));
    assertEquals(OperationalStatus.OFFLINE, offline.status());
    assertEquals("alarm reader-critical~1", offline.by());
    assertEquals("WF-000000000001", offline.interrupted(), "the workflow holding it fails through the existing path");
  }

  @Test
  void aWarningRaisesOnlyAndARepeatWhileActiveChangesNothing() {
    var device = held("reader-warning");
    assertEquals(1, raise(device, AlarmKind.HIGH, Channel.Severity.WARNING).events().size());
    assertTrue(raise(device, AlarmKind.HIGH, Channel.Severity.WARNING).events().isEmpty());
    assertEquals(1, raise(device, AlarmKind.RATE, Channel.Severity.WARNING).events().size(), "another kind is another alarm");
    assertEquals("busy", device.<Device.Reply>runCommand(Device.Get::new).reply() instanceof Device.Snapshot s ? s.status() : null);
  }

  @Test
  void clearingLeavesTheDeviceOfflineAndAcknowledgingRecordsWhoAndWhy() {
    var device = held("reader-clear");
    raise(device, AlarmKind.HIGH, Channel.Severity.CRITICAL);
    var early = device.<Device.Reply>runCommand(r -> new Device.SetStatus(OperationalStatus.AVAILABLE, "ada", r));
    assertEquals(Rejection.Kind.CONFLICT, assertInstanceOf(Device.Rejected.class, early.reply()).rejection().kind(),
        "not available while the critical alarm is active: its watch would not take it offline again");
    assertTrue(early.events().isEmpty());
    var cleared = device.<Device.Reply>runCommand(r -> new Device.ClearAlarm("lamp-temperature", AlarmKind.HIGH, 43.5, r));
    assertEquals(1, cleared.events().size());
    assertEquals(OperationalStatus.OFFLINE, cleared.state().status(), "a person brings it back (decision 0060)");
    assertEquals(OperationalStatus.AVAILABLE,
        device.<Device.Reply>runCommand(r -> new Device.SetStatus(OperationalStatus.AVAILABLE, "ada", r)).state().status(), "once cleared");
    device.<Device.Reply>runCommand(r -> new Device.SetStatus(OperationalStatus.OFFLINE, "ada", r));
    assertTrue(device.<Device.Reply>runCommand(r -> new Device.ClearAlarm("lamp-temperature", AlarmKind.HIGH, 43.0, r)).events().isEmpty());

    var ack = device.<Device.Reply>runCommand(r -> new Device.AcknowledgeAlarm("reader-clear~1", "tess", "lamp replaced", r));
    Alarm alarm = assertInstanceOf(Device.AlarmReply.class, ack.reply()).alarm();
    assertEquals("tess", alarm.acknowledgedBy());
    assertEquals("lamp replaced", alarm.comment());
    assertEquals(43.5, alarm.clearedValue());
    assertNull(ack.state().telemetry().alarms().get("reader-clear~1"), "cleared and acknowledged: nothing left to do");
    var again = device.<Device.Reply>runCommand(r -> new Device.AcknowledgeAlarm("reader-clear~1", "tess", "again", r));
    assertEquals(Rejection.Kind.NOT_FOUND, assertInstanceOf(Device.Rejected.class, again.reply()).rejection().kind());
  }

  @Test
  void declaredChannelsSurviveARestart() {
    var device = DeviceTest.registered("reader-channels");
    Channel od = new Channel("absorbance", "OD", 0.0, 4.0, 0.05, null, Duration.ofMillis(500), 10, Channel.Severity.WARNING);
    device.<Device.Reply>runCommand(r -> new Device.DeclareChannels(List.of(od), "admin", r));
    device.restart();
    var reply = device.<Device.Reply>runCommand(Device.GetTelemetry::new).reply();
    assertEquals(List.of(od), assertInstanceOf(Device.TelemetryReply.class, reply).telemetry().declared());
  }
}
