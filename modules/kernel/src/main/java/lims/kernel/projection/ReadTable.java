package lims.kernel.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import lims.kernel.Database;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;

/**
 * A read table that answers a query only once its projection has applied every event
 * journaled before the query arrived, so a client always sees its own acknowledged writes
 * (and everyone else's) in lists: a technician who registers a specimen and scans its label,
 * or creates a lab test and opens the list, never gets "not there" (decision 0037).
 *
 * <p>How: at the query's arrival, the newest event of each of the projection's tags that
 * the projection has not applied yet is the target (found in the {@code (tag, event_id)} index
 * from the projection's stored offset on, so the look costs what is unapplied, not the tag's
 * history: H2 cannot read an index backwards for a plain MAX); the table has caught up when
 * the stored offset of every tag has reached its target. Offsets are committed with the rows
 * they produced (exactly-once projections), so a reached offset means the rows are there. An
 * idle table costs one extra round trip; right after a write the query waits for the
 * projection's polling lag (a few hundred ms). A projection that cannot catch up within
 * {@code lims.read-tables.fresh-read-bound} (stopped, or far behind after a burst) does not
 * hold the query longer: it is answered from what the table holds.
 */
public final class ReadTable {

  private static final String NEWEST_UNAPPLIED =
      "SELECT MAX(\"event_id\") FROM \"event_tag\" WHERE \"tag\" = ? AND \"event_id\" > ?";
  private static final String APPLIED =
      "SELECT \"projection_key\", \"current_offset\" FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?";
  /** Between looks at the offsets while waiting: short against the projections' ~0.2-0.5 s lag. */
  private static final Duration POLL = Duration.ofMillis(20);

  private final Database database;
  private final String projection;
  private final List<String> tags;
  private final Duration bound;

  public ReadTable(Database database, String projection, EventTags tags, Duration bound) {
    this.database = database;
    this.projection = projection;
    this.tags = tags.all();
    this.bound = bound;
  }

  /** The table of {@code projection}, with the node's fresh-read bound. */
  public static ReadTable of(ActorSystem<?> system, String projection, EventTags tags) {
    Duration bound = system.settings().config().getDuration("lims.read-tables.fresh-read-bound");
    return new ReadTable(Database.get(system), projection, tags, bound);
  }

  /** Runs {@code query} once the table has applied every event journaled before this call. */
  public <T> CompletionStage<T> query(Database.SqlWork<T> query) {
    long deadline = System.nanoTime() + bound.toNanos();
    return database.withConnection(c -> {
      Map<String, Long> targets = unapplied(c, applied(c));
      // The common case, an idle or caught-up table: answered on the same connection.
      return targets.isEmpty() ? Attempt.<T>answered(query.apply(c)) : Attempt.<T>waitFor(targets);
    }).thenCompose(attempt -> attempt.answered
        ? CompletableFuture.completedFuture(attempt.answer)
        : awaitCaughtUp(attempt.targets, deadline).thenCompose(ignored -> database.withConnection(query)));
  }

  /** Completes once the table has applied every event journaled before this call (or the bound passed). */
  public CompletionStage<Done> caughtUp() {
    return query(c -> Done.getInstance());
  }

  /** For a query that streams from a cursor of its own: call it after {@link #caughtUp()}. */
  public DataSource dataSource() {
    return database.dataSource();
  }

  private CompletionStage<Void> awaitCaughtUp(Map<String, Long> targets, long deadline) {
    if (System.nanoTime() >= deadline) return CompletableFuture.completedFuture(null);
    Executor later = CompletableFuture.delayedExecutor(POLL.toMillis(), TimeUnit.MILLISECONDS);
    return CompletableFuture.supplyAsync(() -> null, later)
        .thenCompose(ignored -> database.withConnection(c -> caughtUp(c, targets)))
        .thenCompose(done -> done ? CompletableFuture.completedFuture(null) : awaitCaughtUp(targets, deadline));
  }

  /** Per tag, the newest event the projection has not applied yet; none for a caught-up tag. */
  private Map<String, Long> unapplied(Connection c, Map<String, Long> applied) throws SQLException {
    Map<String, Long> newest = new HashMap<>();
    try (PreparedStatement s = c.prepareStatement(NEWEST_UNAPPLIED)) {
      for (String tag : tags) {
        s.setString(1, tag);
        s.setLong(2, applied.getOrDefault(tag, -1L));
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          long event = rs.getLong(1);
          if (!rs.wasNull()) newest.put(tag, event);
        }
      }
    }
    return newest;
  }

  private boolean caughtUp(Connection c, Map<String, Long> targets) throws SQLException {
    Map<String, Long> applied = applied(c);
    return targets.entrySet().stream().allMatch(t -> applied.getOrDefault(t.getKey(), -1L) >= t.getValue());
  }

  /** The projection's stored offset per tag. */
  private Map<String, Long> applied(Connection c) throws SQLException {
    Map<String, Long> applied = new HashMap<>();
    try (PreparedStatement s = c.prepareStatement(APPLIED)) {
      s.setString(1, projection);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) applied.put(rs.getString(1), sequence(rs.getString(2)));
      }
    }
    return applied;
  }

  /** Offsets of events-by-tag projections are journal orderings, stored as text. */
  private static long sequence(String offset) {
    try {
      return Long.parseLong(offset);
    } catch (NumberFormatException e) {
      return -1L;
    }
  }

  private record Attempt<T>(boolean answered, T answer, Map<String, Long> targets) {
    static <T> Attempt<T> answered(T answer) {
      return new Attempt<>(true, answer, Map.of());
    }

    static <T> Attempt<T> waitFor(Map<String, Long> targets) {
      return new Attempt<>(false, null, targets);
    }
  }
}
