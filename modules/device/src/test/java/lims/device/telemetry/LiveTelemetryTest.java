package lims.device.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import lims.device.telemetry.LiveTelemetry.ChannelReadings;
import lims.device.telemetry.LiveTelemetry.LiveReadings;
import lims.device.telemetry.LiveTelemetry.Point;
import lims.kernel.NodeConfig;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.SerializationTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/** The live view's message: one per stored batch, per channel in order, and fit to cross to another node. */
class LiveTelemetryTest {

  static final ActorTestKit kit = ActorTestKit.create("live-telemetry",
      NodeConfig.load("test", TestDatabase.h2("live-telemetry")).withFallback(ConfigFactory.load()));
  static final Instant T = Instant.parse("2026-12-02T10:00:00Z");

  @AfterAll
  static void stop() {
    kit.shutdownTestKit();
  }

  static Reading reading(String channel, int second, double value, Reading.Quality quality) {
    return new Reading(channel, T.plusSeconds(second), value, channel.equals("co2") ? "%" : "°C", T.plusSeconds(60), quality);
  }

  @Test
  void aBatchIsGroupedByChannelKeepingTheInstrumentsOrder() {
    LiveReadings live = LiveTelemetry.group("incubator-1", List.of(reading("temperature", 0, 37.0, Reading.Quality.GOOD),
        reading("co2", 0, 5.0, Reading.Quality.GOOD), reading("temperature", 1, 37.1, Reading.Quality.FUTURE)));
    assertEquals(new LiveReadings("incubator-1", List.of(
        new ChannelReadings("temperature", "°C", List.of(new Point(T, 37.0, "good"), new Point(T.plusSeconds(1), 37.1, "future"))),
        new ChannelReadings("co2", "%", List.of(new Point(T, 5.0, "good"))))), live);
  }

  @Test
  void itCrossesNodesAsCbor() {
    LiveReadings live = LiveTelemetry.group("incubator-1", List.of(reading("temperature", 0, 37.0, Reading.Quality.GOOD)));
    assertEquals(live, new SerializationTestKit(kit.system()).verifySerialization(live, false));
  }

  @Test
  void aSubscriberGetsWhatIsStoredAfterItSubscribed() {
    LiveTelemetry telemetry = LiveTelemetry.start(kit.system());
    TestProbe<LiveReadings> probe = kit.createTestProbe();
    telemetry.subscribe("test-subscriber", probe.getRef()::tell);
    List<Reading> batch = List.of(reading("temperature", 0, 37.0, Reading.Quality.GOOD));
    // The subscription registers asynchronously: publish until the first arrives, then it is in.
    LiveReadings first = probe.awaitAssert(Duration.ofSeconds(10), Duration.ofMillis(100), () -> {
      telemetry.stored("incubator-1", batch);
      return probe.receiveMessage(Duration.ofMillis(100));
    });
    assertEquals(LiveTelemetry.group("incubator-1", batch), first);
    telemetry.stored("incubator-1", List.of()); // nothing stored: nothing published
    List<Reading> marker = List.of(reading("co2", 1, 5.5, Reading.Quality.GOOD));
    telemetry.stored("incubator-1", marker);
    LiveReadings next;
    do {
      next = probe.receiveMessage(Duration.ofSeconds(10));
      assertEquals(false, next.channels().isEmpty(), "an empty batch was published");
    } while (!next.equals(LiveTelemetry.group("incubator-1", marker)));
  }
}
