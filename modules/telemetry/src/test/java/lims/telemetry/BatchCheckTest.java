package lims.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import lims.device.DeviceType;
import lims.device.telemetry.Reading;
import org.junit.jupiter.api.Test;

/** What an adapter's batch turns into: readings to store (flagged when from the future), refusals by index and field. */
class BatchCheckTest {

  private static final Instant NOW = Instant.parse("2026-12-02T10:00:00Z");
  private final TelemetrySettings settings = TelemetrySettings.from(ConfigFactory.parseResources("telemetry.conf").resolve().getConfig("lims.telemetry"));
  private final ChannelCatalog.DeviceChannels incubator = new ChannelCatalog.DeviceChannels("incubator-1", DeviceType.INCUBATOR,
      ChannelCatalog.Source.TYPE, lims.device.telemetry.TypeChannels.fromConfig(ConfigFactory.parseResources("telemetry.conf").resolve().getConfig("lims.telemetry"))
          .of(DeviceType.INCUBATOR.wireName()));
  private final BatchCheck check = new BatchCheck(new ObjectMapper(), settings);

  @Test
  void aClockAheadByMoreThanTheToleranceIsFlaggedAndBeyondADayRefused() {
    var batch = (BatchCheck.Batch) check.check("{\"seq\": 5, \"readings\": [" + reading(NOW.plusSeconds(4)) + "," + reading(NOW.plusSeconds(6)) + ","
        + reading(NOW.plus(Duration.ofDays(1)).plusSeconds(1)) + "," + reading(Instant.parse("1969-12-31T23:59:59Z")) + "]}", incubator, NOW);
    assertEquals(List.of(Reading.Quality.GOOD, Reading.Quality.FUTURE), batch.readings().stream().map(Reading::quality).toList());
    assertEquals(NOW, batch.readings().get(0).receivedAt());
    assertEquals(List.of(new ReadingRefused(batch.refused().get(0).error(), 5L, 2, "at"), new ReadingRefused(batch.refused().get(1).error(), 5L, 3, "at")),
        batch.refused());
  }

  @Test
  void aMessageThatIsNoBatchIsRefusedWhole() {
    assertEquals("seq", refusal("{\"seq\": 0, \"readings\": []}").field());
    assertEquals("seq", refusal("{\"seq\": 1.5, \"readings\": []}").field());
    assertEquals("readings", refusal("{\"seq\": 1}").field());
    assertEquals(-1, refusal("[1, 2]").index());
    StringBuilder many = new StringBuilder("{\"seq\": 9, \"readings\": [");
    for (int i = 0; i < settings.maxBatch() + 1; i++) many.append(i == 0 ? "" : ",").append(reading(NOW));
    ReadingRefused tooMany = refusal(many.append("]}").toString());
    assertEquals(9L, tooMany.seq());
    assertEquals("readings", tooMany.field());
    assertEquals(-1, refusal("x".repeat(settings.maxMessageBytes() + 1)).index());
  }

  private ReadingRefused refusal(String message) {
    return assertInstanceOf(BatchCheck.Refused.class, check.check(message, incubator, NOW)).why();
  }

  private static String reading(Instant at) {
    return "{\"channel\": \"temperature\", \"at\": \"" + at + "\", \"value\": 37.0, \"unit\": \"°C\"}";
  }
}
