package lims.telemetry;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.Database;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps telemetry within its ages ({@code lims.telemetry.retention}): on PostgreSQL, creates
 * the day partitions of the coming days and drops the days wholly past raw retention (a drop,
 * not a DELETE: no dead rows to vacuum); deletes, in bounded chunks, what is past its age
 * elsewhere (H2's readings, the default partition, rollups, batch numbers). Ages count in the
 * database's clock, which every node shares. Every node runs it: each step is idempotent.
 */
public final class TelemetryRetention {

  private static final Logger log = LoggerFactory.getLogger(TelemetryRetention.class);
  private static final String PARTITION_PREFIX = "telemetry_reading_p";
  private static final DateTimeFormatter DAY = DateTimeFormatter.ofPattern("yyyyMMdd");
  /** Rows per DELETE, and DELETEs per table per run: a run never holds a long transaction, and the rest waits for the next run. */
  static final int CHUNK = 10_000;
  private static final int MAX_CHUNKS = 100;

  /** What one run removed. */
  public record Removed(List<LocalDate> droppedDays, long readings, long rollups, long batches) {}

  private final Database database;
  private final TelemetrySettings settings;
  private final boolean postgres;

  TelemetryRetention(Database database, TelemetrySettings settings) {
    this.database = database;
    this.settings = settings;
    this.postgres = database.vendor().equals("postgresql");
  }

  /** Creates the coming days' partitions, then removes what is past retention. */
  CompletionStage<Removed> run() {
    return database.withConnection(Database::now).thenCompose(nowMillis -> {
      Instant now = Instant.ofEpochMilli(nowMillis);
      Instant rawCutoff = now.minus(settings.rawRetention());
      CompletionStage<List<LocalDate>> dropped = postgres
          ? database.withConnection(c -> {
              ensurePartitions(c, now);
              return dropPartitionsBefore(c, rawCutoff);
            })
          : CompletableFuture.completedFuture(List.of());
      // On PostgreSQL the day partitions go whole; only the default partition's old rows are deleted.
      String readings = postgres ? "telemetry_reading_default" : "telemetry_reading";
      return dropped.thenCompose(days -> deleteOlder(readings, "at", rawCutoff, 0, 0)
          .thenCompose(r -> deleteOlder("telemetry_rollup", "minute_start", now.minus(settings.rollupRetention()), 0, 0)
              .thenCompose(u -> deleteOlder("telemetry_batch", "stored_at", now.minus(settings.batchRetention()), 0, 0)
                  .thenApply(b -> new Removed(days, r, u, b)))));
    });
  }

  /**
   * Today's partition and the coming days': run before the node takes its first reading (a
   * reading of a day without its partition would land in the default one and keep that day's
   * partition from being created).
   */
  CompletionStage<Void> ensurePartitions() {
    if (!postgres) return CompletableFuture.completedFuture(null);
    return database.withConnection(c -> {
      ensurePartitions(c, Instant.ofEpochMilli(Database.now(c)));
      return null;
    });
  }

  private void ensurePartitions(Connection c, Instant now) {
    LocalDate today = LocalDate.ofInstant(now, ZoneOffset.UTC);
    for (int i = 0; i <= settings.partitionsAhead(); i++) ensurePartition(c, today.plusDays(i));
  }

  /**
   * The partition of one day (UTC). It fails when the default partition already holds readings
   * of that day (they arrived before it was created): they stay there, found by the same queries.
   */
  void ensurePartition(Connection c, LocalDate day) {
    String sql = "CREATE TABLE IF NOT EXISTS " + PARTITION_PREFIX + DAY.format(day) + " PARTITION OF telemetry_reading FOR VALUES FROM ('"
        + day + " 00:00:00+00') TO ('" + day.plusDays(1) + " 00:00:00+00')";
    try {
      ddl(c, sql);
    } catch (SQLException e) {
      log.warn("could not create the telemetry partition of {} (its readings stay in the default partition): {}", day, e.getMessage());
    }
  }

  /**
   * Partition DDL takes an exclusive lock on the readings table, and every batch's COPY would
   * queue behind it while it waits for the lock: it gives up after {@link #LOCK_WAIT} instead
   * (the next run tries again), so ingest is never held for long.
   */
  private void ddl(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.setQueryTimeout(settings.statementTimeoutSeconds());
      s.execute("SET lock_timeout = '" + LOCK_WAIT.toMillis() + "ms'");
      try {
        s.execute(sql);
      } finally {
        s.execute("RESET lock_timeout");
      }
    }
  }

  static final java.time.Duration LOCK_WAIT = java.time.Duration.ofSeconds(1);

  /** Drops the day partitions that end at or before {@code cutoff}. */
  private List<LocalDate> dropPartitionsBefore(Connection c, Instant cutoff) throws SQLException {
    List<LocalDate> days = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement("SELECT child.relname FROM pg_inherits i JOIN pg_class child ON child.oid = i.inhrelid "
        + "JOIN pg_class parent ON parent.oid = i.inhparent WHERE parent.relname = 'telemetry_reading'")) {
      s.setQueryTimeout(settings.statementTimeoutSeconds());
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) {
          String name = rs.getString(1);
          if (!name.matches(PARTITION_PREFIX + "[0-9]{8}")) continue;
          LocalDate day = LocalDate.parse(name.substring(PARTITION_PREFIX.length()), DAY);
          if (!day.plusDays(1).atStartOfDay(ZoneOffset.UTC).toInstant().isAfter(cutoff)) days.add(day);
        }
      }
    }
    List<LocalDate> dropped = new ArrayList<>();
    for (LocalDate day : days) {
      try {
        ddl(c, "DROP TABLE IF EXISTS " + PARTITION_PREFIX + DAY.format(day));
        dropped.add(day);
      } catch (SQLException e) {
        log.warn("could not drop the telemetry partition of {}: {}", day, e.getMessage());
      }
    }
    if (!dropped.isEmpty()) log.info("dropped telemetry partitions past raw retention: {}", dropped);
    return dropped;
  }

  /** Deletes rows of {@code table} older than {@code cutoff}, a chunk per statement, until none is left or the run's share is spent. */
  private CompletionStage<Long> deleteOlder(String table, String column, Instant cutoff, long deleted, int chunks) {
    if (chunks == MAX_CHUNKS) return CompletableFuture.completedFuture(deleted);
    String sql = postgres
        ? "DELETE FROM " + table + " WHERE ctid IN (SELECT ctid FROM " + table + " WHERE " + column + " < ? LIMIT " + CHUNK + ")"
        : "DELETE FROM " + table + " WHERE " + column + " < ? LIMIT " + CHUNK;
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setQueryTimeout(settings.statementTimeoutSeconds());
        s.setObject(1, TelemetryStore.timestamp(cutoff));
        return s.executeUpdate();
      }
    }).thenCompose(n -> n < CHUNK ? CompletableFuture.completedFuture(deleted + n) : deleteOlder(table, column, cutoff, deleted + n, chunks + 1));
  }
}
