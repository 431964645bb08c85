package lims.device.telemetry;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What the alarm rules need of one channel's readings in a stored batch, so the watch gets a
 * few values per channel, not the batch: the first and last reading (instrument time), the
 * highest and lowest, and the steepest change between consecutive readings with the change
 * between the last two ({@code NaN} when the batch has fewer than two with distinct times).
 */
public record ChannelSummary(String channel, Reading first, Reading last, Reading highest, Reading lowest, double steepestRate,
    Reading steepestAt, double lastRate) {

  public static Map<String, ChannelSummary> of(List<Reading> readings) {
    Map<String, List<Reading>> byChannel = new LinkedHashMap<>();
    for (Reading r : readings) byChannel.computeIfAbsent(r.channel(), k -> new ArrayList<>()).add(r);
    Map<String, ChannelSummary> summaries = new LinkedHashMap<>();
    byChannel.forEach((channel, list) -> summaries.put(channel, of(channel, list)));
    return summaries;
  }

  private static ChannelSummary of(String channel, List<Reading> unordered) {
    List<Reading> list = new ArrayList<>(unordered);
    list.sort(Comparator.comparing(Reading::at));
    Reading highest = list.get(0);
    Reading lowest = list.get(0);
    double steepest = Double.NaN;
    Reading steepestAt = null;
    double lastRate = Double.NaN;
    for (int i = 1; i < list.size(); i++) {
      Reading r = list.get(i);
      if (r.value() > highest.value()) highest = r;
      if (r.value() < lowest.value()) lowest = r;
      double rate = rate(list.get(i - 1), r);
      if (Double.isNaN(rate)) continue;
      lastRate = rate;
      if (Double.isNaN(steepest) || rate > steepest) {
        steepest = rate;
        steepestAt = r;
      }
    }
    return new ChannelSummary(channel, list.get(0), list.get(list.size() - 1), highest, lowest, steepest, steepestAt, lastRate);
  }

  /** Absolute change per second from {@code a} to {@code b} by instrument time; NaN when b is not later. */
  public static double rate(Reading a, Reading b) {
    long nanos = java.time.Duration.between(a.at(), b.at()).toNanos();
    if (nanos <= 0) return Double.NaN;
    return Math.abs(b.value() - a.value()) / (nanos / 1e9);
  }
}
