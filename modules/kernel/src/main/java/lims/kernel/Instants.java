package lims.kernel;

import java.time.Instant;
import java.time.format.DateTimeParseException;

/**
 * Instants that come from outside (a request, a cursor): the one rule for reading them. An
 * instant the read tables cannot hold on every database the system runs on (PostgreSQL ends
 * in year 294276, the text form beyond 9999 needs a sign) is refused here, before it reaches
 * an entity's journal, where one event a projection cannot write would stop that projection.
 */
public final class Instants {

  public static final String RULE = "an ISO-8601 UTC instant such as 2026-11-23T08:00:00Z, in the years 1 to 9999";

  private static final Instant EARLIEST = Instant.parse("0001-01-01T00:00:00Z");
  private static final Instant LATEST = Instant.parse("9999-12-31T23:59:59.999999999Z");

  private Instants() {}

  /** The instant {@code text} names; IllegalArgumentException when it names none, or one outside the years 1 to 9999. */
  public static Instant parse(String text) {
    Instant at;
    try {
      at = Instant.parse(text);
    } catch (DateTimeParseException e) {
      throw new IllegalArgumentException("not " + RULE, e);
    }
    if (at.isBefore(EARLIEST) || at.isAfter(LATEST)) throw new IllegalArgumentException("not " + RULE);
    return at;
  }
}
