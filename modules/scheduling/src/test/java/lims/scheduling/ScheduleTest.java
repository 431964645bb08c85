package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Fire instants, computed from a controllable "now": the schedule is a pure function of it. */
class ScheduleTest {

  static List<Instant> fires(Schedule s, Instant from, int n) {
    List<Instant> out = new ArrayList<>();
    Instant t = from;
    for (int i = 0; i < n; i++) {
      t = s.nextAfter(t).orElseThrow();
      out.add(t);
    }
    return out;
  }

  /** From {@code from}, the schedule's next fires are exactly {@code expected}, in order. */
  static void assertFires(Schedule s, String from, String... expected) {
    assertEquals(Arrays.stream(expected).map(Instant::parse).toList(), fires(s, Instant.parse(from), expected.length));
  }

  @Test
  void aOneTimeTestFiresOnceAtItsInstant() {
    Schedule s = Schedule.once(Instant.parse("2026-12-01T08:00:00Z"));
    assertEquals(Optional.of(Instant.parse("2026-12-01T08:00:00Z")), s.nextAfter(Instant.parse("2026-11-30T00:00:00Z")));
    assertEquals(Optional.empty(), s.nextAfter(Instant.parse("2026-12-01T08:00:00Z")));
  }

  @Test
  void dailyAtSixLocalStaysAtSixAcrossBothBerlinChanges() {
    Schedule s = Schedule.cron("0 0 6 * * ?", "Europe/Berlin");
    assertFires(s, "2026-03-27T12:00:00Z", "2026-03-28T05:00:00Z", "2026-03-29T04:00:00Z", "2026-03-30T04:00:00Z");
    assertFires(s, "2026-10-23T12:00:00Z", "2026-10-24T04:00:00Z", "2026-10-25T05:00:00Z", "2026-10-26T05:00:00Z");
  }

  @Test
  void anHourlyTestInTheNightOfTheChanges() {
    Schedule s = Schedule.cron("0 30 * * * ?", "Europe/Berlin");
    // Spring: 02:30 does not exist on 29 March; 01:30 CET is followed by 03:30 CEST, one hour of real time later.
    assertFires(s, "2026-03-29T00:00:00Z", "2026-03-29T00:30:00Z", "2026-03-29T01:30:00Z", "2026-03-29T02:30:00Z");
    // Autumn: 02:30 happens twice on 25 October, and each hour of real time fires once.
    assertFires(s, "2026-10-24T23:00:00Z", "2026-10-24T23:30:00Z", "2026-10-25T00:30:00Z", "2026-10-25T01:30:00Z", "2026-10-25T02:30:00Z");
  }

  @Test
  void dailyInTheHourThatIsSkippedOrRepeatedFiresOnceEachDay() {
    Schedule s = Schedule.cron("0 30 2 * * ?", "Europe/Berlin");
    // Spring: 02:30 does not exist on 29 March; it fires as late as the gap is long, 03:30 CEST.
    assertFires(s, "2026-03-27T12:00:00Z", "2026-03-28T01:30:00Z", "2026-03-29T01:30:00Z", "2026-03-30T00:30:00Z");
    // Autumn: 02:30 happens twice on 25 October; a daily test fires at the first only.
    assertFires(s, "2026-10-23T12:00:00Z", "2026-10-24T00:30:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
    // The entity plans from "now" once a run is over, seconds after the instant: the same answers.
    assertEquals(Optional.of(Instant.parse("2026-03-29T01:30:00Z")), s.nextAfter(Instant.parse("2026-03-28T01:30:02Z")));
    assertEquals(Optional.of(Instant.parse("2026-10-26T01:30:00Z")), s.nextAfter(Instant.parse("2026-10-25T00:30:02Z")));
    assertEquals(Optional.of(Instant.parse("2026-10-26T01:30:00Z")), s.nextAfter(Instant.parse("2026-10-25T01:00:00Z")));
  }

  @Test
  void severalFiresInTheSkippedHourEachFireAsLateAsTheGapIsLong() {
    Schedule s = Schedule.cron("0 */15 2 * * ?", "Europe/Berlin");
    // Spring: 02:00, 02:15, 02:30 and 02:45 do not exist on 29 March; each fires an hour later, 03:00 to 03:45 CEST.
    assertFires(s, "2026-03-28T23:00:00Z", "2026-03-29T01:00:00Z", "2026-03-29T01:15:00Z", "2026-03-29T01:30:00Z",
        "2026-03-29T01:45:00Z", "2026-03-30T00:00:00Z");
  }

  @Test
  void theNearestWeekdayToADaySomeMonthsLackIsRefusedNotCrashedOn() {
    var bad = assertThrows(IllegalArgumentException.class, () -> Schedule.cron("0 0 8 31W * ?", "UTC"));
    assertTrue(bad.getMessage().contains("W"), bad.getMessage());
    assertEquals(5, Schedule.cron("0 0 8 28W * ?", "UTC").nextFires(Instant.parse("2027-01-01T00:00:00Z"), 5).size());
  }

  @Test
  void aTestEverySecondRunsThroughBothChanges() {
    Schedule s = Schedule.cron("* * * * * ?", "Europe/Berlin");
    assertFires(s, "2026-03-29T00:59:58Z", "2026-03-29T00:59:59Z", "2026-03-29T01:00:00Z", "2026-03-29T01:00:01Z");
    assertFires(s, "2026-10-25T00:59:58Z", "2026-10-25T00:59:59Z", "2026-10-25T01:00:00Z", "2026-10-25T01:00:01Z");
    // And in a zone without changes, from any instant, the next whole second.
    assertEquals(Optional.of(Instant.parse("2026-06-01T12:00:01Z")), Schedule.cron("* * * * * ?", "UTC").nextAfter(Instant.parse("2026-06-01T12:00:00.400Z")));
  }

  @Test
  void badExpressionsAndZonesAreRefusedWithTheReason() {
    var bad = assertThrows(IllegalArgumentException.class, () -> Schedule.cron("61 * * * * ?", "Europe/Berlin"));
    assertTrue(bad.getMessage().contains("Quartz cron"), bad.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Schedule.cron("* * * * *", "Europe/Berlin"));
    assertThrows(IllegalArgumentException.class, () -> Schedule.cron("not cron", "Europe/Berlin"));
    var zone = assertThrows(IllegalArgumentException.class, () -> Schedule.cron("0 0 6 * * ?", "Mars/Olympus"));
    assertTrue(zone.getMessage().contains("IANA"), zone.getMessage());
  }
}
