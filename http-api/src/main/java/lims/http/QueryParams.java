package lims.http;

import java.time.Instant;
import java.util.Optional;
import java.util.regex.Pattern;
import lims.kernel.Instants;
import lims.kernel.KeysetCursor;

/** Validated query parameters: each bad value is a 400 naming the parameter. */
final class QueryParams {

  static final int DEFAULT_LIMIT = 50;
  static final int MAX_LIMIT = 500;

  private QueryParams() {}

  static Optional<String> string(Call call, String name) {
    return call.request().getUri().query().get(name).filter(v -> !v.isEmpty());
  }

  static int limit(Call call) {
    Optional<String> raw = string(call, "limit");
    if (raw.isEmpty()) return DEFAULT_LIMIT;
    try {
      int limit = Integer.parseInt(raw.get());
      if (limit >= 1 && limit <= MAX_LIMIT) return limit;
    } catch (NumberFormatException e) {
      // reported below
    }
    throw ProblemException.invalid("limit", "must be a whole number from 1 to " + MAX_LIMIT);
  }

  static Optional<String> matching(Call call, String name, Pattern pattern, String rule) {
    Optional<String> value = string(call, name);
    if (value.isPresent() && !pattern.matcher(value.get()).matches()) {
      throw ProblemException.invalid(name, "must be " + rule);
    }
    return value;
  }

  /** A list's {@code after} cursor for a list ordered by an instant and an id. */
  static Optional<KeysetCursor> keysetCursor(Call call) {
    try {
      return string(call, "after").map(KeysetCursor::decode);
    } catch (IllegalArgumentException e) {
      throw ProblemException.invalid("after", "must be a cursor from next_cursor");
    }
  }

  static Optional<Instant> instant(Call call, String name) {
    try {
      return string(call, name).map(Instants::parse);
    } catch (IllegalArgumentException e) {
      throw ProblemException.invalid(name, "must be " + Instants.RULE);
    }
  }

  record TimeRange(Optional<Instant> start, Optional<Instant> end) {}

  /** start and end of a time range; start must come before end. */
  static TimeRange range(Call call) {
    Optional<Instant> start = instant(call, "start");
    Optional<Instant> end = instant(call, "end");
    if (start.isPresent() && end.isPresent() && !start.get().isBefore(end.get())) {
      throw ProblemException.invalid("start", "must be before end");
    }
    return new TimeRange(start, end);
  }
}
