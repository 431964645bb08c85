package lims.device;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import lims.kernel.CborSerializable;

/** One operation run on a device for the workflow holding it; the execution-log entry. */
public record Execution(
    String executionId,
    String deviceId,
    String deviceType,
    String workflowId,
    String operation,
    Map<String, Object> parameters,
    String status,
    Instant startedAt,
    Instant finishedAt,
    Long durationMs,
    Map<String, Object> result)
    implements CborSerializable {

  public static final String RUNNING = "running";
  public static final String SUCCEEDED = "succeeded";
  public static final String FAILED = "failed";

  public boolean running() {
    return RUNNING.equals(status);
  }

  Execution finish(String outcome, Instant at, Map<String, Object> outcomeResult) {
    return new Execution(executionId, deviceId, deviceType, workflowId, operation, parameters, outcome, startedAt, at,
        Duration.between(startedAt, at).toMillis(), outcomeResult);
  }
}
