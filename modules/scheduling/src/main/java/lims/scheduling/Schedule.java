package lims.scheduling;

import com.cronutils.model.CronType;
import com.cronutils.model.definition.CronDefinitionBuilder;
import com.cronutils.model.time.ExecutionTime;
import com.cronutils.parser.CronParser;
import java.time.DateTimeException;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Optional;
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
    executionTime(expression);
    zone(timezone);
    return new Schedule(null, expression, timezone);
  }

  /** Why the expression is not a cron this scheduler reads, if it is not (the API names the field with it). */
  public static Optional<String> cronProblem(String expression) {
    return problem(() -> executionTime(expression));
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

  /** The first fire instant strictly after {@code after}; empty when there is none (a one-time test already past, a cron whose years ran out). */
  public Optional<Instant> nextAfter(Instant after) {
    if (!recurring()) return at.isAfter(after) ? Optional.of(at) : Optional.empty();
    return executionTime(cron).nextExecution(ZonedDateTime.ofInstant(after, zone(timezone))).map(ZonedDateTime::toInstant);
  }

  private static ExecutionTime executionTime(String cron) {
    try {
      return ExecutionTime.forCron(QUARTZ.parse(cron).validate());
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
