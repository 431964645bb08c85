package lims.device.telemetry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The alarm rules on plain values: what raises, what clears, and what does not flap. */
class AlarmRulesTest {

  static final Instant T0 = Instant.parse("2026-12-02T10:00:00Z");
  /** 35-39 °C, cleared 0.3 inside, at most 0.5 °C/s, critical. */
  static final Channel TEMPERATURE = new Channel("temperature", "°C", 35.0, 39.0, 0.3, 0.5, Duration.ofSeconds(1), 30,
      Channel.Severity.CRITICAL);

  static Reading at(int second, double value) {
    return new Reading("temperature", T0.plusSeconds(second), value, "°C", T0.plusSeconds(second), Reading.Quality.GOOD);
  }

  static ChannelSummary batch(Reading... readings) {
    return ChannelSummary.of(List.of(readings)).get("temperature");
  }

  static List<AlarmRules.Transition> evaluate(Set<AlarmKind> active, ChannelSummary s, Reading previous) {
    return AlarmRules.evaluate(TEMPERATURE, active, s, previous);
  }

  @Test
  void aValueAboveHighRaisesWithTheReadingThatCrossed() {
    List<AlarmRules.Transition> t = evaluate(Set.of(), batch(at(0, 38.8), at(1, 39.2), at(2, 39.1)), null);
    assertEquals(List.of(new AlarmRules.Raise(AlarmKind.HIGH, 39.2, 39.0, T0.plusSeconds(1))), t);
  }

  @Test
  void aHighAlarmClearsOnlyOnceBackInsideByTheHysteresis() {
    Set<AlarmKind> active = EnumSet.of(AlarmKind.HIGH);
    assertEquals(List.of(), evaluate(active, batch(at(10, 38.9)), at(9, 38.95)), "just under the limit: still in alarm");
    assertEquals(List.of(), evaluate(active, batch(at(11, 38.75)), at(10, 38.9)), "0.25 under: not yet");
    assertEquals(List.of(new AlarmRules.Clear(AlarmKind.HIGH, 38.7)), evaluate(active, batch(at(12, 38.7)), at(11, 38.75)));
  }

  @Test
  void aValueHoveringOnTheLimitRaisesOnceNotOnEveryCrossing() {
    Set<AlarmKind> active = EnumSet.noneOf(AlarmKind.class);
    List<AlarmRules.Transition> all = new ArrayList<>();
    double[] hovering = {39.05, 38.95, 39.05, 38.9, 39.1, 38.8};
    Reading previous = null;
    for (int i = 0; i < hovering.length; i++) {
      Reading r = at(i * 10, hovering[i]); // slow: no rate alarm
      for (AlarmRules.Transition t : evaluate(active, batch(r), previous)) {
        all.add(t);
        if (t instanceof AlarmRules.Raise) active.add(t.kind());
        else active.remove(t.kind());
      }
      previous = r;
    }
    assertEquals(List.of(new AlarmRules.Raise(AlarmKind.HIGH, 39.05, 39.0, T0)), all);
  }

  @Test
  void anExcursionInsideOneBatchRaisesAndClears() {
    List<AlarmRules.Transition> t = evaluate(Set.of(), batch(at(0, 34.9), at(10, 36.0)), null);
    assertEquals(List.of(new AlarmRules.Raise(AlarmKind.LOW, 34.9, 35.0, T0), new AlarmRules.Clear(AlarmKind.LOW, 36.0)), t);
  }

  @Test
  void aLowAlarmClearsAtLowPlusHysteresis() {
    Set<AlarmKind> active = EnumSet.of(AlarmKind.LOW);
    assertEquals(List.of(), evaluate(active, batch(at(20, 35.2)), at(10, 35.1)));
    assertEquals(List.of(new AlarmRules.Clear(AlarmKind.LOW, 35.3)), evaluate(active, batch(at(30, 35.3)), at(20, 35.2)));
  }

  @Test
  void rateIsMeasuredBetweenConsecutiveReadingsByInstrumentTimeAcrossBatches() {
    // 37.0 -> 38.0 in one second: 1 °C/s, twice the plausible rate.
    List<AlarmRules.Transition> t = evaluate(Set.of(), batch(at(1, 38.0)), at(0, 37.0));
    assertEquals(List.of(new AlarmRules.Raise(AlarmKind.RATE, 1.0, 0.5, T0.plusSeconds(1))), t);
    assertEquals(List.of(), evaluate(EnumSet.of(AlarmKind.RATE), batch(at(2, 38.8)), at(1, 38.0)), "0.8 °C/s: still too fast");
    List<AlarmRules.Transition> cleared = evaluate(EnumSet.of(AlarmKind.RATE), batch(at(3, 38.6)), at(2, 38.8));
    assertEquals(1, cleared.size());
    assertEquals(0.2, ((AlarmRules.Clear) cleared.get(0)).value(), 1e-9, "0.2 °C/s: plausible again");
  }

  @Test
  void readingsWithoutLaterInstrumentTimeSayNothingAboutRate() {
    assertTrue(evaluate(Set.of(), batch(at(5, 37.5)), at(5, 37.0)).isEmpty(), "same instant");
    assertTrue(evaluate(Set.of(), batch(at(4, 37.5)), at(5, 37.0)).isEmpty(), "older than the last one");
  }

  @Test
  void aReadingClearsStaleAndStaleNeedsTheWholePeriodCount() {
    assertEquals(List.of(new AlarmRules.Clear(AlarmKind.STALE, 37.0)), evaluate(EnumSet.of(AlarmKind.STALE), batch(at(100, 37.0)), null));
    assertTrue(AlarmRules.stale(TEMPERATURE, Duration.ofSeconds(30)));
    assertTrue(!AlarmRules.stale(TEMPERATURE, Duration.ofSeconds(29)));
  }

  @Test
  void aChannelWithoutLimitsNeverRaisesForRangeOrRate() {
    Channel free = new Channel("volume", "µL", null, null, 0.0, null, Duration.ofSeconds(1), 10, Channel.Severity.WARNING);
    Reading r = new Reading("volume", T0, 1e9, "µL", T0, Reading.Quality.GOOD);
    assertTrue(AlarmRules.evaluate(free, Set.of(), ChannelSummary.of(List.of(r)).get("volume"), null).isEmpty());
  }
}
