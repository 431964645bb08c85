package lims.kernel;

import java.util.List;
import java.util.function.Function;

/** One page of a keyset-paginated list, and the cursor of the next page (null on the last). */
public record Page<T>(List<T> items, String nextCursor) {

  /**
   * From rows read with {@code LIMIT limit + 1}: the first {@code limit} rows, and a cursor
   * (from the last row kept) only when the extra row shows there is more.
   */
  public static <T> Page<T> of(List<T> rows, int limit, Function<T, String> cursorOf) {
    if (rows.size() <= limit) return new Page<>(List.copyOf(rows), null);
    List<T> items = List.copyOf(rows.subList(0, limit));
    return new Page<>(items, cursorOf.apply(items.get(limit - 1)));
  }

  public <R> Page<R> map(Function<T, R> f) {
    return new Page<>(items.stream().map(f).toList(), nextCursor);
  }
}
