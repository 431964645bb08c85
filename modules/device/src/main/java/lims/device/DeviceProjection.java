package lims.device;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Map;
import lims.device.telemetry.ChannelsJson;
import lims.kernel.projection.ReadTableHandler;

/**
 * Folds device events into the read tables: {@code device} (lists), {@code execution_log}
 * (history and search) and {@code operation_duration} (running mean per device type and
 * operation, for wait estimates). Runs exactly once per event: the rows and the offset
 * commit in one transaction, so plain INSERT and UPDATE suffice.
 */
public final class DeviceProjection extends ReadTableHandler<Device.Event> {

  public static final String NAME = "device-read-tables";
  static final ObjectMapper JSON = new ObjectMapper();

  @Override
  protected void apply(Connection c, Device.Event event) throws SQLException {
    if (event instanceof Device.DeviceRegistered e) {
      update(c, "INSERT INTO device (id, name, type, status, capabilities, queue_length, updated_at) VALUES (?, ?, ?, 'available', ?, 0, ?)",
          e.deviceId(), e.name(), e.type().wireName(), String.join(",", e.capabilities()), ts(e.at()));
    } else if (event instanceof Device.StatusChanged e) {
      update(c, "UPDATE device SET status = ?, updated_at = ? WHERE id = ?", e.status().wireName(), ts(e.at()), e.deviceId());
    } else if (event instanceof Device.BookingGranted e) {
      update(c, "UPDATE device SET holder_workflow_id = ?, booked_at = ?, queue_length = queue_length - ?, updated_at = ? WHERE id = ?",
          e.booking().workflowId(), ts(e.booking().bookedAt()), e.fromQueue() ? 1 : 0, ts(e.booking().bookedAt()), e.deviceId());
    } else if (event instanceof Device.RequestQueued e) {
      update(c, "UPDATE device SET queue_length = queue_length + 1, updated_at = ? WHERE id = ?", ts(e.entry().enqueuedAt()), e.deviceId());
    } else if (event instanceof Device.QueueEntryCancelled e) {
      update(c, "UPDATE device SET queue_length = queue_length - 1, updated_at = ? WHERE id = ?", ts(e.at()), e.deviceId());
    } else if (event instanceof Device.BookingReleased e) {
      update(c, "UPDATE device SET holder_workflow_id = NULL, booked_at = NULL, updated_at = ? WHERE id = ?", ts(e.at()), e.deviceId());
    } else if (event instanceof Device.ExecutionStarted e) {
      Execution x = e.execution();
      update(c, "INSERT INTO execution_log (execution_id, device_id, device_type, workflow_id, operation, parameters, status, started_at)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
          x.executionId(), x.deviceId(), x.deviceType(), x.workflowId(), x.operation(), json(x.parameters()), x.status(), ts(x.startedAt()));
    } else if (event instanceof Device.ExecutionFinished e) {
      finish(c, e);
    } else if (event instanceof Device.ChannelsDeclared e) {
      update(c, "UPDATE device SET channels = ?, updated_at = ? WHERE id = ?", ChannelsJson.write(e.channels()), ts(e.at()), e.deviceId());
    } else if (event instanceof Device.AlarmRaised e) {
      update(c, "INSERT INTO alarm (id, device_id, channel, kind, severity, reading_value, threshold, reading_at, raised_at, active)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, TRUE)",
          e.alarmId(), e.deviceId(), e.channel(), e.kind().wireName(), e.severity().wireName(), e.value(), e.threshold(),
          ts(e.readingAt()), ts(e.at()));
    } else if (event instanceof Device.AlarmCleared e) {
      update(c, "UPDATE alarm SET active = FALSE, cleared_at = ?, cleared_value = ? WHERE id = ?", ts(e.at()), e.value(), e.alarmId());
    } else if (event instanceof Device.AlarmAcknowledged e) {
      update(c, "UPDATE alarm SET acknowledged_by = ?, acknowledged_at = ?, ack_comment = ? WHERE id = ?", e.by(), ts(e.at()), e.comment(),
          e.alarmId());
    }
  }

  private static void finish(Connection c, Device.ExecutionFinished e) throws SQLException {
    String type;
    String operation;
    Instant started;
    try (PreparedStatement s = c.prepareStatement("SELECT device_type, operation, started_at FROM execution_log WHERE execution_id = ?")) {
      s.setString(1, e.executionId());
      try (ResultSet rs = s.executeQuery()) {
        if (!rs.next()) return;
        type = rs.getString(1);
        operation = rs.getString(2);
        started = rs.getObject(3, OffsetDateTime.class).toInstant();
      }
    }
    long durationMs = java.time.Duration.between(started, e.at()).toMillis();
    update(c, "UPDATE execution_log SET status = ?, finished_at = ?, duration_ms = ?, result = ? WHERE execution_id = ?",
        e.status(), ts(e.at()), durationMs, json(e.result()), e.executionId());
    if (Execution.SUCCEEDED.equals(e.status())) {
      // Incremental mean: mean += (x - mean) / n, under the row's lock.
      update(c, "UPDATE operation_duration SET runs = runs + 1, mean_ms = mean_ms + (? - mean_ms) / (runs + 1)"
          + " WHERE device_type = ? AND operation = ?", (double) durationMs, type, operation);
    }
  }


  private static String json(Map<String, Object> values) {
    try {
      return JSON.writeValueAsString(values == null ? Map.of() : values);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(e);
    }
  }
}
