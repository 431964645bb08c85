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

  /**
   * A channel as the simulator needs it: the unit it must report in, the range to wander in,
   * and the fastest plausible change per second (null: none declared), which it keeps well below.
   */
  public record ChannelSpec(String name, String unit, double low, double high, Double maxRatePerSecond) {}

  private static final ObjectMapper JSON = new ObjectMapper();

  private final List<ChannelSpec> channels;
  private final double[] values;
  private final Random random;
  private long seq;
  /** The instrument time of the last sample: the next is later, so each channel's readings go forward in time. */
  private Instant last = Instant.EPOCH;
  /** The channel that drifts out of its range ({@link #drift}), -1 for none, and from when. */
  private int drifting = -1;
  private Instant driftFrom;

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

  /**
   * From {@code from} on, the channel named climbs steadily past its high limit and stays
   * above it (a failing incubator heater), slowly enough to raise no rate alarm: what a lab
   * does to see an alarm raised, and a critical channel take the device offline.
   */
  public SimulatedInstrument drift(String channel, Instant from) {
    for (int c = 0; c < channels.size(); c++) if (channels.get(c).name().equals(channel)) drifting = c;
    if (drifting < 0) throw new IllegalArgumentException("no channel " + channel + " to drift; the channels are "
        + channels.stream().map(ChannelSpec::name).toList());
    driftFrom = from;
    return this;
  }

  /**
   * The next batch: {@code samples} readings of each channel, {@code interval} apart, the newest
   * at {@code now}, or just after the previous batch's newest when that is later (a caller
   * asking faster than the samples' span).
   */
  public TelemetryStream.Batch next(Instant now, int samples, Duration interval) {
    seq++;
    Instant first = now.minus(interval.multipliedBy(samples - 1L));
    if (!first.isAfter(last)) first = last.plus(interval);
    double seconds = interval.toNanos() / 1e9;
    List<Map<String, Object>> readings = new ArrayList<>(samples * channels.size());
    for (int s = 0; s < samples; s++) {
      last = first.plus(interval.multipliedBy(s));
      String at = last.toString();
      for (int c = 0; c < channels.size(); c++) {
        Map<String, Object> reading = new LinkedHashMap<>();
        reading.put("channel", channels.get(c).name());
        reading.put("at", at);
        reading.put("value", c == drifting && !last.isBefore(driftFrom) ? climb(c, seconds) : step(c, seconds));
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

  /** Up by a minute's span per minute (or half the plausible rate, if slower), to a tenth of the span above high. */
  private double climb(int c, double seconds) {
    ChannelSpec channel = channels.get(c);
    double span = channel.high() - channel.low();
    double perSecond = span / 60;
    if (channel.maxRatePerSecond() != null) perSecond = Math.min(perSecond, channel.maxRatePerSecond() / 2);
    values[c] = Math.min(channel.high() + span * 0.1, values[c] + perSecond * seconds);
    return values[c];
  }

  /**
   * One step of the walk over {@code seconds}: a typical step of a three-hundredth of the range,
   * or a tenth of the fastest plausible change if that is less (no rate alarm from a healthy
   * instrument), pulled back towards the middle, kept inside the middle 80 %. Not rounded: a
   * rounded value jumping by its last digit between samples a millisecond apart would look fast.
   */
  private double step(int c, double seconds) {
    ChannelSpec channel = channels.get(c);
    double span = channel.high() - channel.low();
    double middle = (channel.low() + channel.high()) / 2;
    double typical = span / 300;
    if (channel.maxRatePerSecond() != null) typical = Math.min(typical, channel.maxRatePerSecond() * seconds / 10);
    double next = values[c] + random.nextGaussian() * typical + (middle - values[c]) * 0.02;
    double margin = span * 0.1;
    values[c] = Math.max(channel.low() + margin, Math.min(channel.high() - margin, next));
    return values[c];
  }
}
