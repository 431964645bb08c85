package lims.telemetry;

import com.typesafe.config.Config;
import java.time.Duration;

/** {@code lims.telemetry} (cluster-config/telemetry.conf), read once at start. */
public record TelemetrySettings(Duration futureTolerance, Duration maxFuture, int maxBatch, int maxMessageBytes, Duration messageReadTimeout,
    Duration channelCache, Duration statementTimeout, int queryMaxRows, Duration rawRetention, Duration rollupRetention,
    Duration batchRetention, Duration upkeepInterval, int partitionsAhead, int maxConcurrentWrites) {

  public static TelemetrySettings from(Config telemetry) {
    return new TelemetrySettings(telemetry.getDuration("future-tolerance"), telemetry.getDuration("max-future"), telemetry.getInt("max-batch"),
        (int) Math.min(Integer.MAX_VALUE, telemetry.getBytes("max-message")), telemetry.getDuration("message-read-timeout"),
        telemetry.getDuration("channel-cache"), telemetry.getDuration("statement-timeout"), telemetry.getInt("query.max-rows"),
        telemetry.getDuration("retention.raw"), telemetry.getDuration("retention.rollups"), telemetry.getDuration("retention.batches"),
        telemetry.getDuration("retention.interval"), telemetry.getInt("retention.partitions-ahead"), telemetry.getInt("max-concurrent-writes"));
  }

  /** JDBC counts whole seconds; at least one, so a statement is never unbounded. */
  int statementTimeoutSeconds() {
    return (int) Math.max(1, statementTimeout.toSeconds());
  }
}
