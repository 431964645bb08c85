package lims.kernel.projection;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;
import lims.kernel.Database;
import org.apache.pekko.Done;
import org.apache.pekko.actor.typed.ActorSystem;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A read table that answers a query only once its projection has applied every event
 * journaled before the query arrived, so a client sees its own acknowledged writes (and
 * everyone else's) in lists: a technician who registers a specimen and scans its label, or
 * creates a lab test and opens the list, never gets "not there" (decision 0037). What
 * reactions journal later, on their own (a specimen moved by its workflow), is a later write
 * and may not be there yet.
 *
 * <p>How: at the query's arrival, the newest event of each of the projection's tags that
 * the projection has not applied yet is the target (found in the {@code (tag, event_id)} index
 * from the projection's stored offset on, so the look costs what is unapplied, not the tag's
 * history: H2 cannot read an index backwards for a plain MAX); the table has caught up when
 * the stored offset of every tag has reached its target. Offsets are committed with the rows
 * they produced (exactly-once projections), so a reached offset means the rows are there.
 * Events are never deleted here (persistence.conf), so every indexed event reaches the
 * projection. An idle table costs one extra round trip on the query's own connection.
 *
 * <p>Right after a write the query waits for the projection's polling lag (a few hundred ms).
 * All waiting queries of a table share one poller, reading the offsets every 20 ms while
 * anyone waits, so a crowd of readers costs the pool no more than one. Bounds: a query waits
 * at most {@code lims.read-tables.fresh-read-bound}, then is answered from what the table
 * holds; and a tag whose offset has stood still behind its events for longer than that
 * bound (a projection stopped by a failing event, or not running) is not waited for at all
 * until it moves again, so a stuck projection costs readers a warning in the log, not seconds.
 */
public final class ReadTable {

  private static final Logger log = LoggerFactory.getLogger(ReadTable.class);
  private static final String NEWEST_UNAPPLIED =
      "SELECT MAX(\"event_id\") FROM \"event_tag\" WHERE \"tag\" = ? AND \"event_id\" > ?";
  private static final String APPLIED =
      "SELECT \"projection_key\", \"current_offset\", \"manifest\" FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ?";
  /** The manifest of an events-by-tag projection's offset: a journal ordering, stored as text. */
  private static final String SEQUENCE = "SEQ";
  /** Between looks at the offsets while anyone waits: short against the projections' ~0.2-0.5 s lag. */
  private static final long POLL_MS = 20;

  private final Database database;
  private final String projection;
  private final List<String> tags;
  private final long boundNanos;
  /** Per tag behind its events: the offset it stood at and since when (nanoTime). */
  private final Map<String, Behind> behind = new ConcurrentHashMap<>();
  private final Object lock = new Object();
  private final List<Waiter> waiting = new ArrayList<>(); // guarded by lock
  private boolean polling; // guarded by lock

  public ReadTable(Database database, String projection, EventTags tags, Duration bound) {
    this.database = database;
    this.projection = projection;
    this.tags = tags.all();
    this.boundNanos = bound.toNanos();
  }

  /** The table of {@code projection}, with the node's fresh-read bound. */
  public static ReadTable of(ActorSystem<?> system, String projection, EventTags tags) {
    Duration bound = system.settings().config().getDuration("lims.read-tables.fresh-read-bound");
    return new ReadTable(Database.get(system), projection, tags, bound);
  }

  /** Runs {@code query} once the table has applied every event journaled before this call. */
  public <T> CompletionStage<T> query(Database.SqlWork<T> query) {
    long deadline = System.nanoTime() + boundNanos;
    return database.withConnection(c -> {
      Map<String, Long> targets = unapplied(c, applied(c));
      // The common case, an idle or caught-up table: answered on the same connection.
      return targets.isEmpty() ? Attempt.<T>answered(query.apply(c)) : Attempt.<T>waitFor(targets);
    }).thenCompose(attempt -> attempt.answered
        ? CompletableFuture.completedFuture(attempt.answer)
        : caughtUp(attempt.targets, deadline).thenCompose(ignored -> database.withConnection(query)));
  }

  /** Completes once the table has applied every event journaled before this call (or the bound passed). */
  public CompletionStage<Done> caughtUp() {
    return query(c -> Done.getInstance());
  }

  /** For a query that streams from a cursor of its own: call it after {@link #caughtUp()}. */
  public DataSource dataSource() {
    return database.dataSource();
  }

  private CompletionStage<Void> caughtUp(Map<String, Long> targets, long deadline) {
    Waiter waiter = new Waiter(targets, deadline, new CompletableFuture<>());
    synchronized (lock) {
      waiting.add(waiter);
      if (!polling) {
        polling = true;
        pollLater();
      }
    }
    // The poller answers it by its deadline; this is the bound should a poll itself never end.
    return waiter.done.completeOnTimeout(null, TimeUnit.NANOSECONDS.toMillis(boundNanos) + 1_000, TimeUnit.MILLISECONDS);
  }

  private void pollLater() {
    CompletableFuture.runAsync(this::poll, CompletableFuture.delayedExecutor(POLL_MS, TimeUnit.MILLISECONDS));
  }

  /**
   * One look at the offsets for every waiting query; polls again while any still waits. A look
   * that fails (the database down) fails every waiting query at once: their own query would
   * fail the same way, and waiting out the bound first would only make the answer late.
   */
  private void poll() {
    database.withConnection(this::applied).whenComplete((applied, failure) -> {
      long now = System.nanoTime();
      List<Waiter> answered = new ArrayList<>();
      synchronized (lock) {
        for (Iterator<Waiter> i = waiting.iterator(); i.hasNext(); ) {
          Waiter w = i.next();
          boolean reached = applied != null && reached(applied, w.targets);
          if (failure != null || reached || now >= w.deadline) {
            i.remove();
            answered.add(w);
            if (failure == null && !reached) giveUpOn(w, applied);
          }
        }
        if (waiting.isEmpty()) polling = false;
        else pollLater();
      }
      answered.forEach(w -> {
        if (failure != null) w.done.completeExceptionally(failure);
        else w.done.complete(null);
      });
    });
  }

  /** A read waited the bound: the tags it waited for that still stand where they stood are stuck. */
  private void giveUpOn(Waiter w, Map<String, Long> applied) {
    log.warn("{}: a read waited {} ms for the projection to apply its events and was answered from the table as it is",
        projection, TimeUnit.NANOSECONDS.toMillis(boundNanos));
    for (String tag : w.targets.keySet()) {
      Behind b = behind.get(tag);
      if (b != null && Long.valueOf(b.offset).equals(applied.get(tag))) b.waitedOut = true;
    }
  }

  private static boolean reached(Map<String, Long> applied, Map<String, Long> targets) {
    return targets.entrySet().stream().allMatch(t -> {
      Long offset = applied.get(t.getKey());
      return offset != null && offset >= t.getValue();
    });
  }

  /** Per tag, the newest event the projection has not applied yet, leaving out tags stuck behind. */
  private Map<String, Long> unapplied(Connection c, Map<String, Long> applied) throws SQLException {
    Map<String, Long> newest = new HashMap<>();
    try (PreparedStatement s = c.prepareStatement(NEWEST_UNAPPLIED)) {
      for (String tag : tags) {
        Long offset = applied.getOrDefault(tag, -1L);
        if (offset == null) continue; // an offset of another kind: no ordering to compare with
        s.setString(1, tag);
        s.setLong(2, offset);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          long event = rs.getLong(1);
          if (rs.wasNull()) {
            behind.remove(tag);
          } else if (!stuck(tag, offset)) {
            newest.put(tag, event);
          }
        }
      }
    }
    return newest;
  }

  /** Whether the tag has stood at this offset, behind its events, for longer than the bound. */
  private boolean stuck(String tag, long offset) {
    long now = System.nanoTime();
    Behind since = behind.compute(tag, (t, b) -> b != null && b.offset == offset ? b : new Behind(offset, now));
    boolean stuck = since.waitedOut || now - since.since > boundNanos;
    if (stuck && !since.reported) {
      since.reported = true;
      log.warn("{}: tag {} has stood at offset {} behind its events for over {} ms; reads do not wait for it until it moves",
          projection, tag, offset, TimeUnit.NANOSECONDS.toMillis(boundNanos));
    }
    return stuck;
  }

  /** The projection's stored offset per tag; null for an offset that is not a journal ordering. */
  private Map<String, Long> applied(Connection c) throws SQLException {
    Map<String, Long> applied = new HashMap<>();
    try (PreparedStatement s = c.prepareStatement(APPLIED)) {
      s.setString(1, projection);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) applied.put(rs.getString(1), SEQUENCE.equals(rs.getString(3)) ? Long.valueOf(rs.getString(2)) : null);
      }
    }
    return applied;
  }

  private static final class Behind {
    final long offset;
    final long since;
    volatile boolean reported;
    /** A read waited the whole bound for this tag at this offset. */
    volatile boolean waitedOut;

    Behind(long offset, long since) {
      this.offset = offset;
      this.since = since;
    }
  }

  private record Waiter(Map<String, Long> targets, long deadline, CompletableFuture<Void> done) {}

  private record Attempt<T>(boolean answered, T answer, Map<String, Long> targets) {
    static <T> Attempt<T> answered(T answer) {
      return new Attempt<>(true, answer, Map.of());
    }

    static <T> Attempt<T> waitFor(Map<String, Long> targets) {
      return new Attempt<>(false, null, targets);
    }
  }
}
