package lims.kernel.projection;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ToLongFunction;

/**
 * Which journal rows a follower of the global order may hand on. Ordering numbers are taken
 * when a write starts and become visible when it commits, so a reader can see 12 before 11:
 * handing 12 on and moving past 11 would lose 11 for good. So rows are handed on only up to
 * the first missing number; a number still missing after {@code timeout} is taken for a
 * write that rolled back (or a number the database skipped) and passed over. This is the
 * library's rule for projections (jdbc-read-journal.journal-sequence-retrieval: max-tries ×
 * query-delay), and the follower uses the same time. Not thread-safe: one follower owns it.
 */
public final class OrderingGaps {

  private final long timeoutNanos;
  /** Ranges of missing numbers, by first number: {last number, when first seen missing (nanoTime)}. */
  private final TreeMap<Long, long[]> missing = new TreeMap<>();

  public OrderingGaps(Duration timeout) {
    this.timeoutNanos = timeout.toNanos();
  }

  /**
   * Of {@code rows} (the rows after {@code position}, ascending), those that can be handed on
   * at {@code nowNanos}: the longest run without a number missing for less than the timeout.
   */
  public <R> List<R> passable(long position, List<R> rows, ToLongFunction<R> ordering, long nowNanos) {
    List<R> passed = new ArrayList<>();
    long expected = position + 1;
    for (R row : rows) {
      long n = ordering.applyAsLong(row);
      if (n < expected) continue;
      if (n > expected && !missingLongEnough(expected, n - 1, nowNanos)) break;
      passed.add(row);
      expected = n + 1;
    }
    long next = expected;
    missing.headMap(next).entrySet().removeIf(e -> e.getValue()[0] < next);
    return passed;
  }

  /** Whether every number from {@code from} to {@code to} has been missing for the timeout; records the ones seen missing for the first time. */
  private boolean missingLongEnough(long from, long to, long now) {
    boolean allOld = true;
    long next = from;
    Map.Entry<Long, long[]> before = missing.floorEntry(from);
    List<Map.Entry<Long, long[]>> known = new ArrayList<>();
    if (before != null && before.getValue()[0] >= from) known.add(before);
    known.addAll(missing.subMap(from, false, to, true).entrySet());
    for (Map.Entry<Long, long[]> range : known) {
      if (range.getKey() > next) { // a part nobody saw missing before
        missing.put(next, new long[] {range.getKey() - 1, now});
        allOld = false;
      }
      if (now - range.getValue()[1] < timeoutNanos) allOld = false;
      next = Math.max(next, range.getValue()[0] + 1);
    }
    if (next <= to) {
      missing.put(next, new long[] {to, now});
      allOld = false;
    }
    return allOld;
  }

  /** Missing numbers being waited for (a measure for tests and logs). */
  public int waitingRanges() {
    return missing.size();
  }
}
