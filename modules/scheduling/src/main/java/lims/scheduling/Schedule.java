package lims.scheduling;

import com.cronutils.model.Cron;
import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.field.CronFieldName;
import com.cronutils.model.field.expression.Always;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.zone.ZoneRules;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.TreeSet;
import lims.kernel.CborSerializable;

/**
 * When a lab test fires: once at an instant, or on a cron expression in an IANA time zone.
 * Cron is the Quartz dialect of cron-utils (seconds minutes hours day-of-month month
 * day-of-week [year], one of the two day fields {@code ?}), because lab measurements want
 * second precision (decision 0019). Instants are computed in the zone, so "06:00 every day"
 * stays 06:00 local across daylight-saving changes.
 */
public record Schedule(Instant at, String cron, String timezone) implements CborSerializable {

  public static final String CRON_RULE =
      "a Quartz cron expression: seconds minutes hours day-of-month month day-of-week [year], e.g. \"0 0 6 * * ?\"";
  private static final CronParser QUARTZ = new CronParser(CronDefinitionBuilder.instanceDefinitionFor(CronType.QUARTZ));

  public static Schedule once(Instant at) {
    return new Schedule(at, null, null);
  }

  /** Checks the expression and zone; IllegalArgumentException with the reason when either is wrong. */
  public static Schedule cron(String expression, String timezone) {
    parse(expression);
    zone(timezone);
    return new Schedule(null, expression, timezone);
  }

  /** Why the expression is not a cron this scheduler reads, if it is not (the API names the field with it). */
  public static Optional<String> cronProblem(String expression) {
    return problem(() -> parse(expression));
  }

  /** Why a one-off test cannot fire at {@code at}, if it cannot: the instant has passed. */
  public static Optional<String> atProblem(Instant at) {
    return at.isAfter(Instant.now()) ? Optional.empty() : Optional.of("is in the past");
  }

  /** Why the name is not an IANA time zone, if it is not. */
  public static Optional<String> zoneProblem(String timezone) {
    return problem(() -> zone(timezone));
  }

  private static Optional<String> problem(Runnable check) {
    try {
      check.run();
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  public boolean recurring() {
    return cron != null;
  }

  /** The schedule in plain words, as the scheduler reads it: "every day at 06:00 Europe/Berlin", "once at 2026-12-01 08:00 UTC". */
  public String describe() {
    return ScheduleWords.of(this);
  }

  /** A fire instant, and the wall-clock time it shows in the schedule's zone (UTC for a one-off), e.g. 2027-03-29T06:00:00+02:00. */
  public record Fire(Instant at, String localTime) {}

  private static final DateTimeFormatter LOCAL_TIME = DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ssXXX", Locale.ROOT);

  /** The next {@code count} fires strictly after {@code after}, as {@link #nextAfter} computes them; fewer when the schedule ends. */
  public List<Fire> nextFires(Instant after, int count) {
    ZoneId zone = recurring() ? zone(timezone) : ZoneOffset.UTC;
    List<Fire> fires = new ArrayList<>();
    Optional<Instant> next = nextAfter(after);
    while (next.isPresent() && fires.size() < count) {
      fires.add(new Fire(next.get(), LOCAL_TIME.format(next.get().atZone(zone))));
      next = nextAfter(next.get());
    }
    return fires;
  }

  /**
   * The first fire instant strictly after {@code after}; empty when there is none (a one-time
   * test already past, a cron whose years ran out).
   *
   * <p>A cron names wall-clock times, and daylight-saving changes make some of them not exist
   * and others happen twice (decision 0028). The expression is read on the wall clock alone
   * (no zone, so it has neither), and each time it names becomes an instant in the zone:
   * <ul>
   *   <li>a time in the spring gap (02:30 in Berlin on the last Sunday of March) fires as late
   *       as the gap is long, at 03:30 — a daily test still runs that day;
   *   <li>a time in the autumn's repeated hour fires once, at its first occurrence — unless
   *       the expression fires every hour (its hour field {@code *}), whose point is a fire in
   *       every hour of real time, so it fires in both.
   * </ul>
   * Two wall-clock times that become one instant fire once.
   */
  public Optional<Instant> nextAfter(Instant after) {
    if (!recurring()) return at.isAfter(after) ? Optional.of(at) : Optional.empty();
    ZoneId zone = zone(timezone);
    Cron parsed = parse(cron);
    ExecutionTime wallClock = ExecutionTime.forCron(parsed);
    boolean everyHour = parsed.retrieve(CronFieldName.HOUR).getExpression() instanceof Always;
    // The search starts at `after` on the wall clock, once for each offset the zone has in the
    // hours after it: when the clock is about to go back, the next instant can show an earlier
    // wall-clock time than `after` does.
    ZoneRules rules = zone.getRules();
    Instant best = null;
    // After the clock went forward, times of the gap it skipped (read on the offset before it)
    // still fire, late: so the offset of the hours before `after` is searched from as well.
    for (ZoneOffset offset : new TreeSet<>(List.of(rules.getOffset(after.minus(Duration.ofHours(3))), rules.getOffset(after),
        rules.getOffset(after.plus(Duration.ofHours(3)))))) {
      Instant found = earliestFrom(LocalDateTime.ofEpochSecond(after.getEpochSecond(), 0, offset), after, wallClock, zone, everyHour);
      if (found != null && (best == null || found.isBefore(best))) best = found;
    }
    return Optional.ofNullable(best);
  }

  /**
   * The earliest instant after {@code after} among the wall-clock times the cron names from
   * {@code cursor} on (whole seconds: cron-utils keeps the fraction of the time it starts
   * from). Times in a gap or the repeated hour can become instants out of their wall-clock
   * order, so the search goes on to the first plain time (one instant) not earlier than the
   * best found: no later wall-clock time becomes an earlier instant than a plain one.
   */
  private static Instant earliestFrom(LocalDateTime cursor, Instant after, ExecutionTime wallClock, ZoneId zone, boolean everyHour) {
    ZoneRules rules = zone.getRules();
    Instant best = null;
    for (int seen = 0; seen < 64; seen++) {
      Optional<ZonedDateTime> next = wallClock.nextExecution(cursor.atZone(ZoneOffset.UTC));
      if (next.isEmpty()) break;
      cursor = next.get().toLocalDateTime();
      List<Instant> instants = instants(cursor, rules, zone, everyHour);
      for (Instant candidate : instants) {
        if (candidate.isAfter(after) && (best == null || candidate.isBefore(best))) best = candidate;
      }
      if (best != null && rules.getValidOffsets(cursor).size() == 1 && !instants.get(0).isBefore(best)) break;
    }
    return best;
  }

  /** The instants a wall-clock time is in the zone: one; in a gap, shifted by its length; in an overlap, the first (or both). */
  private static List<Instant> instants(LocalDateTime wall, ZoneRules rules, ZoneId zone, boolean both) {
    List<ZoneOffset> offsets = rules.getValidOffsets(wall);
    if (offsets.isEmpty()) return List.of(ZonedDateTime.ofLocal(wall, zone, null).toInstant());
    Instant first = wall.toInstant(offsets.get(0));
    if (offsets.size() == 1 || !both) return List.of(first);
    return List.of(first, wall.toInstant(offsets.get(1)));
  }

  /** "nW" (the weekday nearest day n) for a day some months lack: cron-utils fails computing it in those months. */
  private static final java.util.regex.Pattern NEAREST_WEEKDAY_PAST_28 = java.util.regex.Pattern.compile("(?:^|\\D)(29|3[01])W");

  static Cron parse(String cron) {
    try {
      Cron parsed = QUARTZ.parse(cron).validate();
      String dayOfMonth = parsed.retrieve(CronFieldName.DAY_OF_MONTH).getExpression().asString();
      if (NEAREST_WEEKDAY_PAST_28.matcher(dayOfMonth).find()) {
        throw new IllegalArgumentException("the nearest weekday (W) is supported for days 1 to 28 only, not " + dayOfMonth);
      }
      return parsed;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + cron + "' is not " + CRON_RULE + ": " + e.getMessage());
    }
  }

  private static ZoneId zone(String timezone) {
    try {
      return ZoneId.of(timezone);
    } catch (DateTimeException | NullPointerException e) {
      throw new IllegalArgumentException("'" + timezone + "' is not an IANA time zone such as Europe/Berlin");
    }
  }
}
