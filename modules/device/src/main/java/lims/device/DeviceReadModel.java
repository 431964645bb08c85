package lims.device;

import com.fasterxml.jackson.core.type.TypeReference;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.device.telemetry.Alarm;
import lims.device.telemetry.AlarmKind;
import lims.device.telemetry.Channel;
import lims.device.telemetry.ChannelsJson;
import lims.kernel.projection.ReadTable;
import lims.kernel.KeysetCursor;
import lims.kernel.Page;
import lims.kernel.projection.ReadTableHandler;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.ActorAttributes;
import org.apache.pekko.stream.javadsl.Source;

/**
 * Queries over the device read tables. Every list is one indexed, keyset-paginated query
 * that reads at most one page; the export streams rows from a database cursor, so memory
 * stays constant however many rows there are.
 */
public final class DeviceReadModel {

  public record DeviceRow(String id, String name, String type, String status, List<String> capabilities,
      String holderWorkflowId, Instant bookedAt, int queueLength) {}

  /** Which execution-log rows: any of the bounds may be absent. */
  public record LogFilter(Optional<String> deviceId, Optional<Instant> start, Optional<Instant> end) {}

  private static final String DEVICE_COLUMNS =
      "id, name, type, CASE WHEN status = 'available' AND holder_workflow_id IS NOT NULL THEN 'busy' ELSE status END,"
          + " capabilities, holder_workflow_id, booked_at, queue_length";
  private static final String LOG_COLUMNS =
      "execution_id, device_id, device_type, workflow_id, operation, parameters, status, started_at, finished_at, duration_ms, result";

  private final ReadTable table;

  public DeviceReadModel(ReadTable table) {
    this.table = table;
  }

  public CompletionStage<Page<DeviceRow>> devices(int limit, Optional<String> afterId) {
    return table.query(c -> {
      String sql = "SELECT " + DEVICE_COLUMNS + " FROM device" + (afterId.isPresent() ? " WHERE id > ?" : "") + " ORDER BY id LIMIT ?";
      try (PreparedStatement s = c.prepareStatement(sql)) {
        int i = 1;
        if (afterId.isPresent()) s.setString(i++, afterId.get());
        s.setInt(i, limit + 1);
        List<DeviceRow> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) rows.add(device(rs));
        }
        return Page.of(rows, limit, DeviceRow::id);
      }
    });
  }

  public CompletionStage<Page<Execution>> executions(LogFilter filter, int limit, Optional<KeysetCursor> after) {
    return table.query(c -> {
      List<Object> args = new ArrayList<>();
      StringBuilder where = new StringBuilder(" WHERE 1 = 1");
      conditions(filter, where, args);
      if (after.isPresent()) {
        OffsetDateTime at = ReadTableHandler.ts(after.get().at());
        // Keyset on (started_at, execution_id) descending; the first clause lets the index bound the scan.
        where.append(" AND started_at <= ? AND (started_at < ? OR execution_id < ?)");
        args.addAll(List.of(at, at, after.get().id()));
      }
      String sql = "SELECT " + LOG_COLUMNS + " FROM execution_log" + where + " ORDER BY started_at DESC, execution_id DESC LIMIT ?";
      args.add(limit + 1);
      try (PreparedStatement s = c.prepareStatement(sql)) {
        bind(s, args);
        List<Execution> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) rows.add(execution(rs));
        }
        return Page.of(rows, limit, x -> new KeysetCursor(x.startedAt(), x.executionId()).encode());
      }
    });
  }

  public CompletionStage<Optional<Execution>> execution(String executionId) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT " + LOG_COLUMNS + " FROM execution_log WHERE execution_id = ?")) {
        s.setString(1, executionId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() ? Optional.of(execution(rs)) : Optional.empty();
        }
      }
    });
  }

  /** Which alarms: only the active ones or all, of one device or every device. */
  public record AlarmFilter(boolean activeOnly, Optional<String> deviceId) {}

  private static final String ALARM_COLUMNS = "id, device_id, channel, kind, severity, reading_value, threshold, reading_at, raised_at,"
      + " cleared_at, cleared_value, acknowledged_by, acknowledged_at, ack_comment";

  /** Alarms newest first, one keyset page (on raised_at, id). */
  public CompletionStage<Page<Alarm>> alarms(AlarmFilter filter, int limit, Optional<KeysetCursor> after) {
    return table.query(c -> {
      List<Object> args = new ArrayList<>();
      StringBuilder where = new StringBuilder(" WHERE 1 = 1");
      if (filter.activeOnly()) where.append(" AND active = TRUE");
      filter.deviceId().ifPresent(d -> {
        where.append(" AND device_id = ?");
        args.add(d);
      });
      if (after.isPresent()) {
        OffsetDateTime at = ReadTableHandler.ts(after.get().at());
        where.append(" AND raised_at <= ? AND (raised_at < ? OR id < ?)");
        args.addAll(List.of(at, at, after.get().id()));
      }
      args.add(limit + 1);
      try (PreparedStatement s = c.prepareStatement("SELECT " + ALARM_COLUMNS + " FROM alarm" + where + " ORDER BY raised_at DESC, id DESC LIMIT ?")) {
        bind(s, args);
        List<Alarm> rows = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) rows.add(alarm(rs));
        }
        return Page.of(rows, limit, a -> new KeysetCursor(a.raisedAt(), a.id()).encode());
      }
    });
  }

  /** The channels an administrator declared for a device; empty when it has none (its type's apply) or is unknown. */
  public CompletionStage<Optional<List<Channel>>> declaredChannels(String deviceId) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT channels FROM device WHERE id = ?")) {
        s.setString(1, deviceId);
        try (ResultSet rs = s.executeQuery()) {
          return rs.next() && rs.getString(1) != null ? Optional.of(ChannelsJson.read(rs.getString(1))) : Optional.<List<Channel>>empty();
        }
      }
    });
  }

  /** Every registered device's id, at most {@code max} (the alarm watches wake for each). */
  public CompletionStage<List<String>> deviceIds(int max) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT id FROM device ORDER BY id LIMIT ?")) {
        s.setInt(1, max);
        List<String> ids = new ArrayList<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) ids.add(rs.getString(1));
        }
        return ids;
      }
    });
  }

  private static Alarm alarm(ResultSet rs) throws SQLException {
    Double clearedValue = rs.getObject(11) == null ? null : rs.getDouble(11);
    return new Alarm(rs.getString(1), rs.getString(2), rs.getString(3), AlarmKind.fromWireName(rs.getString(4)).orElseThrow(),
        Channel.Severity.fromWireName(rs.getString(5)).orElseThrow(), rs.getDouble(6), rs.getDouble(7), ReadTableHandler.instant(rs, 8),
        ReadTableHandler.instant(rs, 9), ReadTableHandler.instant(rs, 10), clearedValue, rs.getString(12), ReadTableHandler.instant(rs, 13),
        rs.getString(14));
  }

  /** Mean duration in ms of each operation of a device type that has run at least once. */
  public CompletionStage<Map<String, Double>> meanDurations(String deviceType) {
    return table.query(c -> {
      try (PreparedStatement s = c.prepareStatement("SELECT operation, mean_ms FROM operation_duration WHERE device_type = ? AND runs > 0")) {
        s.setString(1, deviceType);
        Map<String, Double> means = new HashMap<>();
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) means.put(rs.getString(1), rs.getDouble(2));
        }
        return means;
      }
    });
  }

  /**
   * Every matching row, oldest first, streamed from a cursor on the JDBC dispatcher; given once
   * the table holds every execution journaled before the export began, so a database that is
   * down fails the export before its answer starts (503), not in the middle of a 200.
   */
  public CompletionStage<Source<Execution, NotUsed>> export(LogFilter filter, int fetchSize) {
    record Cursor(Connection connection, PreparedStatement statement, ResultSet rows) {}
    return table.caughtUp().thenApply(caughtUp -> Source.<Execution, Cursor>unfoldResource(
            () -> {
              Connection c = table.dataSource().getConnection();
              try {
                c.setAutoCommit(false); // PostgreSQL streams with a cursor only inside a transaction
                List<Object> args = new ArrayList<>();
                StringBuilder where = new StringBuilder(" WHERE 1 = 1");
                conditions(filter, where, args);
                PreparedStatement s = c.prepareStatement(
                    "SELECT " + LOG_COLUMNS + " FROM execution_log" + where + " ORDER BY started_at, execution_id",
                    ResultSet.TYPE_FORWARD_ONLY, ResultSet.CONCUR_READ_ONLY);
                s.setFetchSize(fetchSize);
                bind(s, args);
                return new Cursor(c, s, s.executeQuery());
              } catch (SQLException | RuntimeException e) {
                c.close(); // opening the cursor failed: the connection goes back to the pool
                throw e;
              }
            },
            cursor -> cursor.rows().next() ? Optional.of(execution(cursor.rows())) : Optional.empty(),
            cursor -> {
              cursor.rows().close();
              cursor.statement().close();
              cursor.connection().rollback();
              cursor.connection().close();
            })
        .withAttributes(ActorAttributes.dispatcher("lims.jdbc-dispatcher")));
  }

  private static void conditions(LogFilter filter, StringBuilder where, List<Object> args) {
    filter.deviceId().ifPresent(d -> {
      where.append(" AND device_id = ?");
      args.add(d);
    });
    filter.start().ifPresent(t -> {
      where.append(" AND started_at >= ?");
      args.add(ReadTableHandler.ts(t));
    });
    filter.end().ifPresent(t -> {
      where.append(" AND started_at < ?");
      args.add(ReadTableHandler.ts(t));
    });
  }

  private static void bind(PreparedStatement s, List<Object> args) throws SQLException {
    for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
  }

  private static DeviceRow device(ResultSet rs) throws SQLException {
    String caps = rs.getString(5);
    OffsetDateTime booked = rs.getObject(7, OffsetDateTime.class);
    return new DeviceRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4),
        caps.isEmpty() ? List.of() : Arrays.asList(caps.split(",")), rs.getString(6),
        booked == null ? null : booked.toInstant(), rs.getInt(8));
  }

  private static Execution execution(ResultSet rs) throws SQLException {
    OffsetDateTime finished = rs.getObject(9, OffsetDateTime.class);
    Long duration = rs.getObject(10, Long.class);
    return new Execution(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5),
        map(rs.getString(6)), rs.getString(7), rs.getObject(8, OffsetDateTime.class).toInstant(),
        finished == null ? null : finished.toInstant(), duration, map(rs.getString(11)));
  }

  private static Map<String, Object> map(String json) {
    if (json == null) return null;
    try {
      return DeviceProjection.JSON.readValue(json, new TypeReference<Map<String, Object>>() {});
    } catch (java.io.IOException e) {
      throw new IllegalStateException("unreadable JSON in execution_log", e);
    }
  }
}
