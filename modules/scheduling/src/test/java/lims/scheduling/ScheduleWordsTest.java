package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/**
 * A schedule in words, and the words checked against the fires the scheduler computes for the
 * same expression: the reading is of the parsed expression the scheduler fires on, not of a
 * cron library of its own.
 */
class ScheduleWordsTest {

  static String words(String cron, String zone) {
    return Schedule.cron(cron, zone).describe();
  }

  @Test
  void theCommonShapesInTheirUsualWords() {
    Map<String, String> expected = new TreeMap<>(Map.ofEntries(
        Map.entry("0 0 6 * * ?", "every day at 06:00 Europe/Berlin"),
        Map.entry("30 0 6 * * ?", "every day at 06:00:30 Europe/Berlin"),
        Map.entry("0 0 6,18 * * ?", "every day at 06:00 and 18:00 Europe/Berlin"),
        Map.entry("* * * * * ?", "every second (Europe/Berlin)"),
        Map.entry("*/10 * * * * ?", "every 10 seconds (Europe/Berlin)"),
        Map.entry("0 * * * * ?", "every minute (Europe/Berlin)"),
        Map.entry("0 */15 * * * ?", "every 15 minutes (Europe/Berlin)"),
        Map.entry("0 5/15 * * * ?", "every 15 minutes from minute 5 (Europe/Berlin)"),
        Map.entry("0 15 * * * ?", "every hour at :15 (Europe/Berlin)"),
        Map.entry("0 30 */2 * * ?", "every 2 hours at :30 (Europe/Berlin)"),
        Map.entry("0 0/15 8-17 ? * MON-FRI", "every 15 minutes from 08:00 to 17:45, every Monday to Friday (Europe/Berlin)"),
        Map.entry("0 0 6 ? * MON,WED,FRI", "every Monday, Wednesday and Friday at 06:00 Europe/Berlin"),
        Map.entry("0 0 6 ? * MON-FRI", "every Monday to Friday at 06:00 Europe/Berlin"),
        Map.entry("0 0 7 ? * SUN", "every Sunday at 07:00 Europe/Berlin"),
        Map.entry("0 30 8 1 * ?", "on day 1 of every month at 08:30 Europe/Berlin"),
        Map.entry("0 30 8 1,15 * ?", "on days 1 and 15 of every month at 08:30 Europe/Berlin"),
        Map.entry("0 0 8 L * ?", "on the last day of every month at 08:00 Europe/Berlin"),
        Map.entry("0 0 9 ? * 6#3", "on the third Friday of every month at 09:00 Europe/Berlin"),
        Map.entry("0 0 9 ? * 6L", "on the last Friday of every month at 09:00 Europe/Berlin"),
        Map.entry("0 0 6 1 1,7 ?", "on day 1 of January and July at 06:00 Europe/Berlin"),
        Map.entry("0 0 6 * 3-5 ?", "every day in March to May at 06:00 Europe/Berlin"),
        Map.entry("0 0 6 26-31 3 ? 2099", "on days 26 to 31 of March in 2099 at 06:00 Europe/Berlin"),
        // No usual words: each field read as it is.
        Map.entry("0 5,10 * * * ?", "at second 0 of minutes 5 and 10 of every hour (Europe/Berlin)")));
    expected.forEach((cron, words) -> assertEquals(words, words(cron, "Europe/Berlin"), cron));
    assertEquals("once at 2026-12-01 08:00 UTC", Schedule.once(Instant.parse("2026-12-01T08:00:00Z")).describe());
    assertEquals("once at 2026-12-01 08:00:15 UTC", Schedule.once(Instant.parse("2026-12-01T08:00:15Z")).describe());
  }

  /** The words of the day-of-week shapes name the days the scheduler really fires on (Quartz counts from Sunday = 1). */
  @Test
  void theWordsOfTheWeekdaysAreTheDaysItFiresOn() {
    assertFiresOn("0 0 6 ? * MON-FRI", EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY));
    assertFiresOn("0 0 6 ? * 2-6", EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY));
    assertFiresOn("0 0 7 ? * SUN", EnumSet.of(DayOfWeek.SUNDAY));
    assertFiresOn("0 0 7 ? * 1", EnumSet.of(DayOfWeek.SUNDAY));
    assertEquals("every Monday to Friday at 06:00 Europe/Berlin", words("0 0 6 ? * 2-6", "Europe/Berlin"));
    assertEquals("every Sunday at 07:00 Europe/Berlin", words("0 0 7 ? * 1", "Europe/Berlin"));
  }

  /** "every 15 minutes from 08:00 to 17:45": the first and last fire of a day are those, 15 minutes apart in between. */
  @Test
  void theWordsOfAnIntervalAreItsFires() {
    Schedule s = Schedule.cron("0 0/15 8-17 ? * MON-FRI", "UTC");
    List<Schedule.Fire> fires = s.nextFires(Instant.parse("2026-12-02T07:59:59Z"), 41); // a Wednesday
    assertEquals(Instant.parse("2026-12-02T08:00:00Z"), fires.get(0).at());
    assertEquals(Instant.parse("2026-12-02T17:45:00Z"), fires.get(39).at());
    assertEquals(Instant.parse("2026-12-03T08:00:00Z"), fires.get(40).at());
    for (int i = 1; i < 40; i++) assertEquals(Duration.ofMinutes(15), Duration.between(fires.get(i - 1).at(), fires.get(i).at()));
    List<Schedule.Fire> tenSeconds = Schedule.cron("*/10 * * * * ?", "UTC").nextFires(Instant.parse("2026-12-02T08:00:00Z"), 5);
    assertEquals(Instant.parse("2026-12-02T08:00:50Z"), tenSeconds.get(4).at());
  }

  /** The next fires and the wall-clock time each shows in the zone, across Berlin's spring change (Sunday 29 March 2099). */
  @Test
  void nextFiresShowTheLocalTimeAcrossADaylightSavingChange() {
    List<Schedule.Fire> fires = Schedule.cron("0 30 2 27-31 3 ? 2099", "Europe/Berlin").nextFires(Instant.parse("2099-01-01T00:00:00Z"), 5);
    assertEquals(List.of(
        new Schedule.Fire(Instant.parse("2099-03-27T01:30:00Z"), "2099-03-27T02:30:00+01:00"),
        new Schedule.Fire(Instant.parse("2099-03-28T01:30:00Z"), "2099-03-28T02:30:00+01:00"),
        // 02:30 does not exist that night: it fires as late as the gap is long (decision 0028).
        new Schedule.Fire(Instant.parse("2099-03-29T01:30:00Z"), "2099-03-29T03:30:00+02:00"),
        new Schedule.Fire(Instant.parse("2099-03-30T00:30:00Z"), "2099-03-30T02:30:00+02:00"),
        new Schedule.Fire(Instant.parse("2099-03-31T00:30:00Z"), "2099-03-31T02:30:00+02:00")), fires);
    // Its years run out: fewer than asked, no error.
    assertEquals(List.of(), Schedule.cron("0 0 6 * * ? 2099", "UTC").nextFires(Instant.parse("2099-12-31T07:00:00Z"), 5));
    List<Schedule.Fire> once = Schedule.once(Instant.parse("2099-06-01T08:00:00Z")).nextFires(Instant.parse("2099-01-01T00:00:00Z"), 5);
    assertEquals(List.of(new Schedule.Fire(Instant.parse("2099-06-01T08:00:00Z"), "2099-06-01T08:00:00Z")), once);
  }

  private static void assertFiresOn(String cron, Set<DayOfWeek> days) {
    ZoneId zone = ZoneId.of("Europe/Berlin");
    List<Schedule.Fire> fires = Schedule.cron(cron, "Europe/Berlin").nextFires(Instant.parse("2026-12-05T12:00:00Z"), 14);
    EnumSet<DayOfWeek> seen = EnumSet.noneOf(DayOfWeek.class);
    fires.forEach(f -> seen.add(f.at().atZone(zone).getDayOfWeek()));
    assertEquals(days, seen, cron);
    assertTrue(fires.size() == 14, cron);
  }
}
