package lims.adapter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import lims.adapter.SimulatedInstrument.ChannelSpec;
import org.junit.jupiter.api.Test;

/** A healthy simulated instrument: in range, in its units, forward in time, no faster than plausible, seqs increasing. */
class SimulatedInstrumentTest {

  @Test
  void readingsArePlausibleAndGoForwardEvenWhenAskedFasterThanTheirSpan() throws Exception {
    Instant start = Instant.parse("2026-12-02T10:00:00Z");
    SimulatedInstrument instrument = new SimulatedInstrument(ChannelSource.shipped("incubator"), start, 3);
    Map<String, ChannelSpec> channels = new HashMap<>();
    instrument.channels().forEach(c -> channels.put(c.name(), c));
    Map<String, double[]> previous = new HashMap<>(); // per channel: epoch seconds, value
    long seq = 0;
    for (int b = 0; b < 200; b++) {
      // Asked every 10 ms for 50 samples 1 ms apart: more than wall time covers.
      TelemetryStream.Batch batch = instrument.next(start.plusMillis(10L * b), 50, Duration.ofMillis(1));
      assertTrue(batch.seq() > seq, "seqs increase");
      assertTrue(seq != 0 || batch.seq() == start.toEpochMilli() * 1000 + 1, "the first seq follows the start's millisecond x 1000");
      seq = batch.seq();
      JsonNode json = new ObjectMapper().readTree(batch.json());
      assertEquals(batch.seq(), json.get("seq").asLong());
      assertEquals(100, batch.readings());
      for (JsonNode reading : json.get("readings")) {
        ChannelSpec channel = channels.get(reading.get("channel").asText());
        assertEquals(channel.unit(), reading.get("unit").asText());
        double value = reading.get("value").asDouble();
        assertTrue(value > channel.low() && value < channel.high(), value + " outside " + channel);
        Instant at = Instant.parse(reading.get("at").asText());
        double seconds = at.getEpochSecond() + at.getNano() / 1e9;
        double[] before = previous.put(channel.name(), new double[] {seconds, value});
        if (before == null) continue;
        assertTrue(seconds > before[0], "forward in time");
        if (channel.maxRatePerSecond() != null) {
          double rate = Math.abs(value - before[1]) / (seconds - before[0]);
          assertTrue(rate < channel.maxRatePerSecond(), channel.name() + " changed at " + rate + "/s");
        }
      }
    }
  }

  @Test
  void aDriftingChannelClimbsPastItsHighLimitNoFasterThanPlausibleAndStaysThere() throws Exception {
    Instant start = Instant.parse("2026-12-02T10:00:00Z");
    SimulatedInstrument instrument = new SimulatedInstrument(ChannelSource.shipped("incubator"), start, 5).drift("temperature", start.plusSeconds(5));
    ChannelSpec temperature = instrument.channels().stream().filter(c -> c.name().equals("temperature")).findFirst().orElseThrow();
    double previous = Double.NaN;
    double last = 0;
    for (int second = 1; second <= 120; second++) {
      JsonNode json = new ObjectMapper().readTree(instrument.next(start.plusSeconds(second), 1, Duration.ofSeconds(1)).json());
      for (JsonNode reading : json.get("readings")) {
        if (!reading.get("channel").asText().equals("temperature")) continue;
        last = reading.get("value").asDouble();
        if (second <= 5) assertTrue(last < temperature.high(), "in range before the drift: " + last);
        if (!Double.isNaN(previous)) assertTrue(Math.abs(last - previous) < temperature.maxRatePerSecond(), "no rate alarm: " + previous + " to " + last);
        previous = last;
      }
    }
    assertTrue(last > temperature.high(), "above " + temperature.high() + " two minutes on: " + last);
  }
}
