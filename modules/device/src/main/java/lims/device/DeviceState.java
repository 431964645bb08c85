package lims.device;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import lims.device.telemetry.DeviceTelemetry;
import lims.kernel.CborSerializable;

/**
 * A device's state: registration, operational status, the active booking, the queue in
 * service order, and its recent executions. Pure: every change returns a new state.
 */
public record DeviceState(
    Optional<Registration> registration,
    OperationalStatus status,
    Optional<Booking> booking,
    List<QueueEntry> queue,
    long nextSequence,
    long executionCount,
    Map<String, Execution> recentExecutions,
    DeviceTelemetry telemetry)
    implements CborSerializable {

  /** Snapshots taken before telemetry existed have none. */
  public DeviceState {
    telemetry = telemetry == null ? DeviceTelemetry.NONE : telemetry;
  }

  /** Finished executions kept in the entity for GET /executions/{id}; older ones are read from the log table. */
  static final int RECENT_EXECUTIONS = 50;

  static final Comparator<QueueEntry> SERVICE_ORDER =
      Comparator.comparing(QueueEntry::priority).thenComparingLong(QueueEntry::sequence);

  /** {@code idempotencyToken}: that of the request that registered the device, or null. */
  public record Registration(String deviceId, String name, DeviceType type, List<String> capabilities, Instant registeredAt,
      String idempotencyToken) implements CborSerializable {

    /** Whether a registration carrying {@code token} is a repeat of the one that registered the device. */
    boolean registeredFor(String token) {
      return token != null && token.equals(idempotencyToken);
    }
  }

  static DeviceState empty() {
    return new DeviceState(Optional.empty(), OperationalStatus.AVAILABLE, Optional.empty(), List.of(), 1, 0, Map.of(), DeviceTelemetry.NONE);
  }

  /** Whether a request may be granted right now (a queue entry or a direct booking). */
  boolean grantsNow() {
    return status == OperationalStatus.AVAILABLE && booking.isEmpty();
  }

  Optional<QueueEntry> nextInLine() {
    return queue.stream().findFirst();
  }

  Optional<QueueEntry> queued(String workflowId) {
    return queue.stream().filter(e -> e.workflowId().equals(workflowId)).findFirst();
  }

  /** 1-based place in service order, 0 when not queued. */
  int positionOf(String workflowId) {
    for (int i = 0; i < queue.size(); i++) {
      if (queue.get(i).workflowId().equals(workflowId)) return i + 1;
    }
    return 0;
  }

  boolean heldBy(String workflowId) {
    return booking.map(b -> b.workflowId().equals(workflowId)).orElse(false);
  }

  /** available, busy (available and held), maintenance or offline. */
  public String reportedStatus() {
    return status == OperationalStatus.AVAILABLE && booking.isPresent() ? "busy" : status.wireName();
  }

  DeviceState registered(Registration r) {
    return new DeviceState(Optional.of(r), status, booking, queue, nextSequence, executionCount, recentExecutions, telemetry);
  }

  DeviceState withStatus(OperationalStatus s) {
    return new DeviceState(registration, s, booking, queue, nextSequence, executionCount, recentExecutions, telemetry);
  }

  /** The grant also removes the holder from the queue when it came from there. */
  DeviceState granted(Booking b) {
    List<QueueEntry> rest = queue.stream().filter(e -> !e.workflowId().equals(b.workflowId())).toList();
    return new DeviceState(registration, status, Optional.of(b), rest, nextSequence, executionCount, recentExecutions, telemetry);
  }

  DeviceState released() {
    return new DeviceState(registration, status, Optional.empty(), queue, nextSequence, executionCount, recentExecutions, telemetry);
  }

  DeviceState enqueued(QueueEntry entry) {
    List<QueueEntry> q = new ArrayList<>(queue);
    q.add(entry);
    q.sort(SERVICE_ORDER);
    return new DeviceState(registration, status, booking, List.copyOf(q), entry.sequence() + 1, executionCount, recentExecutions, telemetry);
  }

  DeviceState dequeued(String workflowId) {
    List<QueueEntry> rest = queue.stream().filter(e -> !e.workflowId().equals(workflowId)).toList();
    return new DeviceState(registration, status, booking, rest, nextSequence, executionCount, recentExecutions, telemetry);
  }

  DeviceState executionStarted(Execution e) {
    Map<String, Execution> recent = new LinkedHashMap<>(recentExecutions);
    recent.put(e.executionId(), e);
    return new DeviceState(registration, status, booking, queue, nextSequence, executionCount + 1, recent, telemetry);
  }

  DeviceState executionFinished(String executionId, String outcome, Instant at, Map<String, Object> result) {
    Execution running = recentExecutions.get(executionId);
    if (running == null) return this;
    Map<String, Execution> recent = new LinkedHashMap<>(recentExecutions);
    recent.put(executionId, running.finish(outcome, at, result));
    // Keep every running entry and the newest finished ones.
    long finished = recent.values().stream().filter(x -> !x.running()).count();
    var it = recent.values().iterator();
    while (finished > RECENT_EXECUTIONS && it.hasNext()) {
      if (!it.next().running()) {
        it.remove();
        finished--;
      }
    }
    return new DeviceState(registration, status, booking, queue, nextSequence, executionCount, recent, telemetry);
  }

  DeviceState withTelemetry(DeviceTelemetry t) {
    return new DeviceState(registration, status, booking, queue, nextSequence, executionCount, recentExecutions, t);
  }

  List<Execution> runningExecutions() {
    return recentExecutions.values().stream().filter(Execution::running).toList();
  }
}
