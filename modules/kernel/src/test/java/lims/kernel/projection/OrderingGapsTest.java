package lims.kernel.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/** A follower of the journal's global order hands rows on only up to a gap, until the gap has been there for the timeout. */
class OrderingGapsTest {

  private static final long SECOND = 1_000_000_000L;
  private final OrderingGaps gaps = new OrderingGaps(Duration.ofSeconds(10));

  private List<Long> passable(long position, long now, Long... rows) {
    return gaps.passable(position, List.of(rows), Long::longValue, now);
  }

  @Test
  void rowsWithoutAGapPassAtOnce() {
    assertEquals(List.of(5L, 6L, 7L), passable(4, 0, 5L, 6L, 7L));
  }

  @Test
  void rowsAfterAMissingNumberWaitForItUntilTheTimeout() {
    assertEquals(List.of(5L), passable(4, 0, 5L, 7L, 8L)); // 6 still committing
    assertEquals(List.of(), passable(5, 9 * SECOND, 7L, 8L));
    assertEquals(List.of(6L, 7L, 8L), passable(5, 9 * SECOND, 6L, 7L, 8L)); // it came: all pass, in order
    assertEquals(0, gaps.waitingRanges());
  }

  @Test
  void aNumberMissingForTheTimeoutIsPassedOver() {
    assertEquals(List.of(), passable(4, 0, 6L));
    assertEquals(List.of(), passable(4, 9 * SECOND, 6L, 9L));
    assertEquals(List.of(6L), passable(4, 10 * SECOND, 6L, 9L)); // 5 given up; 7 and 8 seen missing from now on
    assertEquals(List.of(), passable(6, 19 * SECOND, 9L));
    assertEquals(List.of(9L), passable(6, 20 * SECOND, 9L));
    assertEquals(0, gaps.waitingRanges());
  }

  @Test
  void aGapThatPartlyFillsKeepsTheTimeOfItsFirstSight() {
    assertEquals(List.of(), passable(0, 0, 4L));
    assertEquals(List.of(), passable(0, 5 * SECOND, 2L, 4L)); // 1 and 3 still missing since 0 s
    assertEquals(List.of(2L, 4L), passable(0, 10 * SECOND, 2L, 4L));
  }
}
