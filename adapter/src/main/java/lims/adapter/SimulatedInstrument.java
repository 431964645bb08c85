package lims.adapter;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * A made-up instrument: each channel wanders (a random walk) around the middle of its expected
 * range and stays inside it, the way a healthy incubator's temperature does. Each call of
 * {@link #next} samples {@code samples} readings per channel, {@code interval} apart and
 * ending now, into one batch with the next seq.
 *
 * <p>Seqs start at the epoch millisecond of the simulator's start times 1000, so a simulator
 * started again for the same device carries on above every seq of its earlier runs (the node
 * acknowledges a seq it has seen without storing it again: a seq used twice for different
 * readings would lose the second ones).
 */
public final class SimulatedInstrument {

  /** A channel as the simulator needs it: the unit it must report in, and the range to wander in. */
  public record ChannelSpec(String name, String unit, double low, double high) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<ChannelSpec> channels;
  private final double[] values;
  private final Random random;
  private long seq;

  public SimulatedInstrument(List<ChannelSpec> channels, Instant start, long randomSeed) {
    this.channels = List.copyOf(channels);
    this.values = new double[channels.size()];
    for (int i = 0; i < values.length; i++) values[i] = (channels.get(i).low() + channels.get(i).high()) / 2;
    this.random = new Random(randomSeed);
    this.seq = start.toEpochMilli() * 1000;
  }

  public List<ChannelSpec> channels() {
    return channels;
  }

  /** The next batch: {@code samples} readings of each channel, the newest at {@code now}. */
  public TelemetryStream.Batch next(Instant now, int samples, Duration interval) {
    seq++;
    List<Map<String, Object>> readings = new ArrayList<>(samples * channels.size());
    for (int s = samples - 1; s >= 0; s--) {
      String at = now.minus(interval.multipliedBy(s)).toString();
      for (int c = 0; c < channels.size(); c++) {
        Map<String, Object> reading = new LinkedHashMap<>();
        reading.put("channel", channels.get(c).name());
        reading.put("at", at);
        reading.put("value", step(c));
        reading.put("unit", channels.get(c).unit());
        readings.add(reading);
      }
    }
    Map<String, Object> batch = new LinkedHashMap<>();
    batch.put("seq", seq);
    batch.put("readings", readings);
    try {
      return new TelemetryStream.Batch(seq, JSON.writeValueAsString(batch), readings.size());
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One step of the walk: a hundredth of the range at most, pulled back towards the middle, kept inside the middle 80 %. */
  private double step(int c) {
    ChannelSpec channel = channels.get(c);
    double span = channel.high() - channel.low();
    double middle = (channel.low() + channel.high()) / 2;
    double next = values[c] + random.nextGaussian() * span / 300 + (middle - values[c]) * 0.02;
    double margin = span * 0.1;
    values[c] = Math.max(channel.low() + margin, Math.min(channel.high() - margin, next));
    return Math.round(values[c] * 1000) / 1000.0;
  }
}
