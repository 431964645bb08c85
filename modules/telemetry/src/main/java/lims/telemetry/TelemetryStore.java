package lims.telemetry;

import java.io.IOException;
import java.io.StringReader;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletionStage;
import lims.device.telemetry.Reading;
import lims.kernel.Database;

/**
 * Writes batches of readings: one transaction each, holding the batch's number (so a resent
 * batch stores nothing), its readings (PostgreSQL: COPY; H2: a multi-row insert) and the
 * one-minute rollups they fall in. Runs on the database pool's bounded JDBC dispatcher; every
 * statement is bounded by {@code statement-timeout}.
 */
final class TelemetryStore {

  private static final String COPY_READINGS =
      "COPY telemetry_reading (device_id, channel, at, received_at, reading_value, quality) FROM STDIN (FORMAT csv)";
  private static final String INSERT_READING =
      "INSERT INTO telemetry_reading (device_id, channel, at, received_at, reading_value, quality) VALUES (?, ?, ?, ?, ?, ?)";
  private static final String UPSERT_ROLLUP_POSTGRES = "INSERT INTO telemetry_rollup (device_id, channel, minute_start, min_value, max_value, "
      + "sum_value, reading_count) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (device_id, channel, minute_start) DO UPDATE SET "
      + "min_value = LEAST(telemetry_rollup.min_value, EXCLUDED.min_value), max_value = GREATEST(telemetry_rollup.max_value, EXCLUDED.max_value), "
      + "sum_value = telemetry_rollup.sum_value + EXCLUDED.sum_value, reading_count = telemetry_rollup.reading_count + EXCLUDED.reading_count";
  private static final String UPSERT_ROLLUP_H2 = "MERGE INTO telemetry_rollup r USING (VALUES (CAST(? AS VARCHAR(64)), CAST(? AS VARCHAR(64)), "
      + "CAST(? AS TIMESTAMP WITH TIME ZONE), CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), CAST(? AS DOUBLE PRECISION), CAST(? AS BIGINT))) "
      + "s(device_id, channel, minute_start, min_value, max_value, sum_value, reading_count) "
      + "ON r.device_id = s.device_id AND r.channel = s.channel AND r.minute_start = s.minute_start "
      + "WHEN MATCHED THEN UPDATE SET min_value = LEAST(r.min_value, s.min_value), max_value = GREATEST(r.max_value, s.max_value), "
      + "sum_value = r.sum_value + s.sum_value, reading_count = r.reading_count + s.reading_count "
      + "WHEN NOT MATCHED THEN INSERT (device_id, channel, minute_start, min_value, max_value, sum_value, reading_count) "
      + "VALUES (s.device_id, s.channel, s.minute_start, s.min_value, s.max_value, s.sum_value, s.reading_count)";

  private final Database database;
  private final TelemetrySettings settings;
  private final boolean postgres;

  TelemetryStore(Database database, TelemetrySettings settings) {
    this.database = database;
    this.settings = settings;
    this.postgres = database.vendor().equals("postgresql");
  }

  /**
   * Stores batch {@code seq} of {@code deviceId}: true once committed; false when that batch
   * was stored before (nothing is written again). A failure leaves nothing of it stored.
   */
  CompletionStage<Boolean> store(String deviceId, long seq, List<Reading> readings, Instant receivedAt) {
    return database.withConnection(c -> {
      c.setAutoCommit(false);
      try {
        if (postgres) {
          try (Statement s = c.createStatement()) {
            // Bounds COPY too, which has no JDBC query time-out of its own.
            s.execute("SET LOCAL statement_timeout = " + settings.statementTimeout().toMillis());
          }
        }
        if (!claim(c, deviceId, seq, receivedAt)) {
          c.rollback();
          return false;
        }
        if (!readings.isEmpty()) {
          if (postgres) copy(c, deviceId, readings); else insert(c, deviceId, readings);
          rollups(c, deviceId, readings);
        }
        c.commit();
        return true;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    });
  }

  /** Inserts the batch's number; false when it is there already (or a concurrent twin got there first). */
  private boolean claim(Connection c, String deviceId, long seq, Instant receivedAt) throws SQLException {
    String sql = "INSERT INTO telemetry_batch (device_id, seq, stored_at) VALUES (?, ?, ?)" + (postgres ? " ON CONFLICT DO NOTHING" : "");
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setQueryTimeout(settings.statementTimeoutSeconds());
      s.setString(1, deviceId);
      s.setLong(2, seq);
      s.setObject(3, timestamp(receivedAt));
      return s.executeUpdate() == 1;
    } catch (SQLException e) {
      if ("23505".equals(e.getSQLState())) return false; // H2: the primary key holds it already
      throw e;
    }
  }

  private void copy(Connection c, String deviceId, List<Reading> readings) throws SQLException {
    StringBuilder csv = new StringBuilder(readings.size() * 96);
    for (Reading r : readings) {
      // Device ids and channel names are [a-z0-9_-]: nothing to quote.
      csv.append(deviceId).append(',').append(r.channel()).append(',').append(r.at()).append(',').append(r.receivedAt()).append(',')
          .append(r.value()).append(',').append(quality(r.quality())).append('\n');
    }
    try {
      c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn(COPY_READINGS, new StringReader(csv.toString()));
    } catch (IOException e) {
      throw new SQLException("COPY of telemetry readings failed", "08006", e);
    }
  }

  private void insert(Connection c, String deviceId, List<Reading> readings) throws SQLException {
    try (PreparedStatement s = c.prepareStatement(INSERT_READING)) {
      s.setQueryTimeout(settings.statementTimeoutSeconds());
      for (Reading r : readings) {
        s.setString(1, deviceId);
        s.setString(2, r.channel());
        s.setObject(3, timestamp(r.at()));
        s.setObject(4, timestamp(r.receivedAt()));
        s.setDouble(5, r.value());
        s.setShort(6, quality(r.quality()));
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  private record MinuteKey(String channel, Instant minute) implements Comparable<MinuteKey> {
    @Override
    public int compareTo(MinuteKey o) {
      int byChannel = channel.compareTo(o.channel);
      return byChannel != 0 ? byChannel : minute.compareTo(o.minute);
    }
  }

  private static final class Rollup {
    double min = Double.POSITIVE_INFINITY;
    double max = Double.NEGATIVE_INFINITY;
    double sum;
    long count;

    void add(double value) {
      min = Math.min(min, value);
      max = Math.max(max, value);
      sum += value;
      count++;
    }
  }

  /** Folds the batch into its minutes first; upserts them in key order, so two batches of one device never deadlock. */
  private void rollups(Connection c, String deviceId, List<Reading> readings) throws SQLException {
    Map<MinuteKey, Rollup> minutes = new TreeMap<>();
    for (Reading r : readings) minutes.computeIfAbsent(new MinuteKey(r.channel(), r.at().truncatedTo(ChronoUnit.MINUTES)), k -> new Rollup()).add(r.value());
    try (PreparedStatement s = c.prepareStatement(postgres ? UPSERT_ROLLUP_POSTGRES : UPSERT_ROLLUP_H2)) {
      s.setQueryTimeout(settings.statementTimeoutSeconds());
      for (Map.Entry<MinuteKey, Rollup> e : minutes.entrySet()) {
        s.setString(1, deviceId);
        s.setString(2, e.getKey().channel());
        s.setObject(3, timestamp(e.getKey().minute()));
        s.setDouble(4, e.getValue().min);
        s.setDouble(5, e.getValue().max);
        s.setDouble(6, e.getValue().sum);
        s.setLong(7, e.getValue().count);
        s.addBatch();
      }
      s.executeBatch();
    }
  }

  static short quality(Reading.Quality quality) {
    return (short) quality.ordinal();
  }

  static Reading.Quality quality(short stored) {
    return Reading.Quality.values()[stored];
  }

  static OffsetDateTime timestamp(Instant at) {
    return OffsetDateTime.ofInstant(at, ZoneOffset.UTC);
  }
}
