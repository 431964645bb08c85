package lims.device.telemetry;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * When a channel's alarms are raised and cleared (docs/domain.md, Alarms; decision 0060). Pure:
 * the watch gives the channel, what is active, the readings' summary and the reading before it.
 *
 * <ul>
 *   <li>high: raised by a value above {@code high}; cleared by one at or below {@code high - hysteresis}.
 *   <li>low: raised below {@code low}; cleared at or above {@code low + hysteresis}.
 *   <li>rate: raised when consecutive readings (by instrument time) change faster than
 *       {@code maxRatePerSecond}; cleared when the latest change is no faster.
 *   <li>stale: raised by the watch's timer after {@link Channel#staleAfter()} without a reading;
 *       cleared by the next reading.
 * </ul>
 *
 * A batch that goes out of range and back raises and clears in one: the excursion is in the
 * device's history, and a critical one has taken the device offline.
 */
public final class AlarmRules {

  /** A change the watch asks the device for. */
  public sealed interface Transition permits Raise, Clear {
    AlarmKind kind();
  }

  public record Raise(AlarmKind kind, double value, double threshold, Instant readingAt) implements Transition {}

  public record Clear(AlarmKind kind, double value) implements Transition {}

  private AlarmRules() {}

  /** {@code previous}: the channel's last reading before this batch, or null. */
  public static List<Transition> evaluate(Channel c, Set<AlarmKind> active, ChannelSummary s, Reading previous) {
    List<Transition> out = new ArrayList<>();
    if (c.high() != null) {
      range(out, AlarmKind.HIGH, active.contains(AlarmKind.HIGH), s.highest(), s.last(), c.high(),
          s.highest().value() > c.high(), s.last().value() <= c.high() - c.hysteresis());
    }
    if (c.low() != null) {
      range(out, AlarmKind.LOW, active.contains(AlarmKind.LOW), s.lowest(), s.last(), c.low(),
          s.lowest().value() < c.low(), s.last().value() >= c.low() + c.hysteresis());
    }
    if (c.maxRatePerSecond() != null) rate(out, c.maxRatePerSecond(), active.contains(AlarmKind.RATE), s, previous);
    if (active.contains(AlarmKind.STALE)) out.add(new Clear(AlarmKind.STALE, s.last().value()));
    return out;
  }

  /** Whether a channel silent for {@code silentFor} is stale. */
  public static boolean stale(Channel c, java.time.Duration silentFor) {
    return silentFor.compareTo(c.staleAfter()) >= 0;
  }

  private static void range(List<Transition> out, AlarmKind kind, boolean active, Reading extreme, Reading last, double threshold,
      boolean beyond, boolean backInside) {
    if (!active && beyond) {
      out.add(new Raise(kind, extreme.value(), threshold, extreme.at()));
      if (last != extreme && last.at().isAfter(extreme.at()) && backInside) out.add(new Clear(kind, last.value()));
    } else if (active && backInside) {
      out.add(new Clear(kind, last.value()));
    }
  }

  private static void rate(List<Transition> out, double max, boolean active, ChannelSummary s, Reading previous) {
    double across = previous == null ? Double.NaN : ChannelSummary.rate(previous, s.first());
    double steepest = s.steepestRate();
    Reading steepestAt = s.steepestAt();
    if (!Double.isNaN(across) && (Double.isNaN(steepest) || across > steepest)) {
      steepest = across;
      steepestAt = s.first();
    }
    double latest = !Double.isNaN(s.lastRate()) ? s.lastRate() : across;
    if (Double.isNaN(latest)) return;
    if (!active && steepest > max) {
      out.add(new Raise(AlarmKind.RATE, steepest, max, steepestAt.at()));
      if (steepestAt != s.last() && latest <= max) out.add(new Clear(AlarmKind.RATE, latest));
    } else if (active && latest <= max) {
      out.add(new Clear(AlarmKind.RATE, latest));
    }
  }
}
