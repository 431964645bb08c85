package lims.device.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import lims.device.Device;
import lims.device.DeviceType;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.ManualTime;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The alarm watch against a stand-in device, on manual time: stale timers, transitions only, and a restart that believes the device. */
class AlarmWatchTest {

  static final ActorTestKit testKit = ActorTestKit.create(ManualTime.config().withFallback(ConfigFactory.parseResources("serialization.conf")));
  static final ManualTime time = ManualTime.get(testKit.system());
  static final TypeChannels TYPES = TypeChannels.fromConfig(ConfigFactory.parseString("""
      channels.incubator = [
        {name = temperature, unit = "°C", low = 35.0, high = 39.0, hysteresis = 0.3, sampling-period = 1s, stale-after-periods = 30, severity = critical}
      ]"""));
  static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** Answers like a Device entity holding {@code telemetry}, and shows every alarm command to {@code seen}. */
  static AlarmWatch.DeviceAsk device(DeviceTelemetry telemetry, TestProbe<Device.Command> seen) {
    ActorRef<Device.Reply> ignored = testKit.<Device.Reply>createTestProbe().ref();
    return (id, command) -> {
      Device.Command c = command.apply(ignored);
      if (!(c instanceof Device.GetTelemetry)) seen.ref().tell(c);
      return CompletableFuture.completedFuture(new Device.TelemetryReply(DeviceType.INCUBATOR, telemetry));
    };
  }

  static AlarmWatch.Readings temperature(int second, double value) {
    Reading r = new Reading("temperature", T0.plusSeconds(second), value, "°C", T0.plusSeconds(second), Reading.Quality.GOOD);
    return new AlarmWatch.Readings(ChannelSummary.of(List.of(r)));
  }

  @Test
  void aChannelSilentForItsPeriodsIsStaleCountedFromTheWatchStartAsAWarning() {
    TestProbe<Device.Command> seen = testKit.createTestProbe();
    testKit.spawn(AlarmWatch.create("incubator-s", device(DeviceTelemetry.NONE, seen), TYPES));
    time.timePasses(Duration.ofSeconds(29));
    seen.expectNoMessage(Duration.ofMillis(100));
    time.timePasses(Duration.ofSeconds(1));
    Device.RaiseAlarm stale = seen.expectMessageClass(Device.RaiseAlarm.class);
    assertEquals(AlarmKind.STALE, stale.kind());
    assertEquals(Channel.Severity.WARNING, stale.severity(), "silence is a warning even on a critical channel");
    assertEquals(30.0, stale.value());
  }

  @Test
  void aReadingRestartsTheStaleCountAndClearsStale() {
    TestProbe<Device.Command> seen = testKit.createTestProbe();
    var watch = testKit.spawn(AlarmWatch.create("incubator-r", device(DeviceTelemetry.NONE, seen), TYPES));
    time.timePasses(Duration.ofSeconds(20));
    watch.tell(temperature(20, 37.0));
    time.timePasses(Duration.ofSeconds(20));
    seen.expectNoMessage(Duration.ofMillis(100));
    time.timePasses(Duration.ofSeconds(10));
    assertEquals(AlarmKind.STALE, seen.expectMessageClass(Device.RaiseAlarm.class).kind());
    watch.tell(temperature(60, 37.0));
    Device.ClearAlarm cleared = seen.expectMessageClass(Device.ClearAlarm.class);
    assertEquals(AlarmKind.STALE, cleared.kind());
  }

  @Test
  void onlyTransitionsReachTheDevice() {
    TestProbe<Device.Command> seen = testKit.createTestProbe();
    var watch = testKit.spawn(AlarmWatch.create("incubator-t", device(DeviceTelemetry.NONE, seen), TYPES));
    watch.tell(temperature(1, 39.5));
    Device.RaiseAlarm high = seen.expectMessageClass(Device.RaiseAlarm.class);
    assertEquals(AlarmKind.HIGH, high.kind());
    assertEquals(Channel.Severity.CRITICAL, high.severity());
    assertEquals(T0.plusSeconds(1), high.readingAt());
    watch.tell(temperature(2, 39.6));
    watch.tell(temperature(3, 38.8));
    seen.expectNoMessage(Duration.ofMillis(200));
    watch.tell(temperature(4, 38.6));
    assertEquals(AlarmKind.HIGH, seen.expectMessageClass(Device.ClearAlarm.class).kind());
  }

  @Test
  void aRestartedWatchBelievesTheDevicesActiveAlarms() {
    Alarm raised = new Alarm("incubator-b~1", "incubator-b", "temperature", AlarmKind.HIGH, Channel.Severity.CRITICAL, 39.5, 39.0, T0, T0,
        null, null, null, null, null);
    DeviceTelemetry withAlarm = DeviceTelemetry.NONE.raised(raised);
    TestProbe<Device.Command> seen = testKit.createTestProbe();
    var watch = testKit.spawn(AlarmWatch.create("incubator-b", device(withAlarm, seen), TYPES));
    watch.tell(temperature(10, 39.7));
    seen.expectNoMessage(Duration.ofMillis(200)); // not raised twice
    watch.tell(temperature(11, 37.0));
    assertEquals(AlarmKind.HIGH, seen.expectMessageClass(Device.ClearAlarm.class).kind()); // nor forgotten
  }

  /** Batches reach a watch on another node: a summary of one reading (no rate: NaN) survives CBOR. */
  @Test
  void aBatchSummaryCrossesTheWire() throws Exception {
    var serialization = org.apache.pekko.serialization.SerializationExtension.get(testKit.system());
    AlarmWatch.Readings readings = temperature(1, 37.2);
    byte[] bytes = serialization.serialize(readings).get();
    var serializer = serialization.findSerializerFor(readings);
    Object back = serialization.deserialize(bytes, serializer.identifier(),
        org.apache.pekko.serialization.Serializers.manifestFor(serializer, readings)).get();
    ChannelSummary s = ((AlarmWatch.Readings) back).channels().get("temperature");
    assertEquals(37.2, s.last().value());
    assertEquals(Double.NaN, s.lastRate());
  }

  @Test
  void declaredChannelsReplaceTheTypes() {
    Channel pressure = new Channel("pressure", "kPa", 80.0, 120.0, 2.0, null, Duration.ofSeconds(1), 5, Channel.Severity.WARNING);
    TestProbe<Device.Command> seen = testKit.createTestProbe();
    var watch = testKit.spawn(AlarmWatch.create("incubator-d", device(DeviceTelemetry.NONE.declared(List.of(pressure)), seen), TYPES));
    watch.tell(temperature(1, 99.0)); // not a channel of this device any more
    seen.expectNoMessage(Duration.ofMillis(200));
    time.timePasses(Duration.ofSeconds(5));
    Device.RaiseAlarm stale = seen.expectMessageClass(Device.RaiseAlarm.class);
    assertEquals("pressure", stale.channel());
  }
}
