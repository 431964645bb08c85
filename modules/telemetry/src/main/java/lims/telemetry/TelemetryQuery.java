package lims.telemetry;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import lims.device.telemetry.Reading;
import lims.kernel.Database;

/**
 * Reads a channel's history for charts: raw readings, or per bucket of {@code step} their
 * min/avg/max/count, each in one query. A step of whole minutes reads the one-minute rollups
 * (kept longer than raw readings, and far fewer rows); a finer step groups the raw readings.
 */
public final class TelemetryQuery {

  /** One stored reading as read back. */
  public record Point(Instant at, double value, Instant receivedAt, Reading.Quality quality) {}

  /** One bucket, starting at {@code at}: readings in [at, at + step). */
  public record Bucket(Instant at, double min, double avg, double max, long count) {}

  private final Database database;
  private final TelemetrySettings settings;

  TelemetryQuery(Database database, TelemetrySettings settings) {
    this.database = database;
    this.settings = settings;
  }

  /** Up to {@code limit} readings in [from, to), oldest first. */
  CompletionStage<List<Point>> raw(String deviceId, String channel, Instant from, Instant to, int limit) {
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT at, reading_value, received_at, quality FROM telemetry_reading "
          + "WHERE device_id = ? AND channel = ? AND at >= ? AND at < ? ORDER BY at LIMIT ?")) {
        s.setQueryTimeout(settings.statementTimeoutSeconds());
        s.setString(1, deviceId);
        s.setString(2, channel);
        s.setObject(3, TelemetryStore.timestamp(from));
        s.setObject(4, TelemetryStore.timestamp(to));
        s.setInt(5, limit);
        List<Point> points = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            points.add(new Point(rs.getObject(1, OffsetDateTime.class).toInstant(), rs.getDouble(2), rs.getObject(3, OffsetDateTime.class).toInstant(),
                TelemetryStore.quality(rs.getShort(4))));
          }
        }
        return points;
      }
    });
  }

  /** Whether {@code step} is answered from the one-minute rollups. */
  public static boolean fromRollups(Duration step) {
    return step.toMillis() % 60_000 == 0;
  }

  /** Where the first bucket starts: on the minute when read from rollups. */
  public static Instant alignedFrom(Instant from, Duration step) {
    return fromRollups(step) ? from.truncatedTo(ChronoUnit.MINUTES) : from;
  }

  /** The buckets of [from, to) that hold readings, oldest first; {@code from} as {@link #alignedFrom} gives it. */
  CompletionStage<List<Bucket>> buckets(String deviceId, String channel, Instant from, Instant to, Duration step) {
    boolean rollups = fromRollups(step);
    // In floating point throughout: H2 would otherwise take the parameters as whole numbers and round the quotient.
    String bucket = "FLOOR((CAST(EXTRACT(EPOCH FROM %s) AS DOUBLE PRECISION) - CAST(? AS DOUBLE PRECISION)) / CAST(? AS DOUBLE PRECISION)) AS b";
    String inner = rollups
        ? "SELECT " + bucket.formatted("minute_start") + ", min_value AS lo, max_value AS hi, sum_value AS total, "
            + "reading_count AS n FROM telemetry_rollup WHERE device_id = ? AND channel = ? AND minute_start >= ? AND minute_start < ?"
        : "SELECT " + bucket.formatted("at") + ", reading_value AS lo, reading_value AS hi, reading_value AS total, "
            + "1 AS n FROM telemetry_reading WHERE device_id = ? AND channel = ? AND at >= ? AND at < ?";
    String sql = "SELECT b, MIN(lo), SUM(total) / SUM(n), MAX(hi), SUM(n) FROM (" + inner + ") x GROUP BY b ORDER BY b";
    double fromSeconds = from.getEpochSecond() + from.getNano() / 1e9;
    double stepSeconds = step.toNanos() / 1e9;
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement(sql)) {
        s.setQueryTimeout(settings.statementTimeoutSeconds());
        s.setDouble(1, fromSeconds);
        s.setDouble(2, stepSeconds);
        s.setString(3, deviceId);
        s.setString(4, channel);
        s.setObject(5, TelemetryStore.timestamp(from));
        s.setObject(6, TelemetryStore.timestamp(to));
        List<Bucket> buckets = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            long index = rs.getLong(1);
            buckets.add(new Bucket(from.plus(step.multipliedBy(index)), rs.getDouble(2), rs.getDouble(3), rs.getDouble(4), rs.getLong(5)));
          }
        }
        return buckets;
      }
    });
  }
}
