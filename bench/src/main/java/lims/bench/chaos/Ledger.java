package lims.bench.chaos;

import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * What the harness's clients sent and what they were told: every HTTP attempt, and every
 * command the product acknowledged (a 2xx), which the audit then looks for in the journal.
 * Times are epoch milliseconds of this machine's clock, which the nodes share.
 */
final class Ledger {

  /** The status of an attempt that got no answer: refused, reset, or past the client's time-out. */
  static final int NO_ANSWER = 0;

  /**
   * One HTTP request. {@code entity} is the sharded entity a write addressed ("Device|id"),
   * when known before or from the answer; null otherwise.
   */
  record Attempt(long sentAt, long doneAt, int node, String route, boolean write, int status, String entity) {
    boolean ok() {
      return status >= 200 && status < 300;
    }

    /** A 5xx, or no answer at all: the product did not do what was asked, or the client cannot know. */
    boolean failed() {
      return status == NO_ANSWER || status >= 500;
    }
  }

  /** A specimen registration as the client saw it: {@code specimenId} is null unless acknowledged. */
  record Registration(String clientRef, String specimenId) {}

  record Transition(String specimenId, String action) {}

  /** An acknowledged booking or release of a device by a workflow. */
  record DeviceCommand(String deviceId, String workflowId, boolean release) {}

  /**
   * A lab test the client asked for: one-time ({@code dueAt} its instant) or cron ({@code dueAt}
   * 0); {@code id} null unless acknowledged; {@code ackedAt} when the 201 came.
   */
  record LabTestOrder(String title, String id, long dueAt, long ackedAt) {
    boolean acked() {
      return id != null;
    }
  }

  /** A cron test deleted at the end of the load: no instant after {@code sentAt} is expected. */
  record CronEnd(String id, long sentAt) {}

  final Queue<Attempt> attempts = new ConcurrentLinkedQueue<>();
  final Queue<Registration> registrations = new ConcurrentLinkedQueue<>();
  final Queue<Transition> transitions = new ConcurrentLinkedQueue<>();
  final Queue<DeviceCommand> deviceCommands = new ConcurrentLinkedQueue<>();
  final Queue<LabTestOrder> labTests = new ConcurrentLinkedQueue<>();
  final Queue<CronEnd> cronEnds = new ConcurrentLinkedQueue<>();

  List<Attempt> writes() {
    return attempts.stream().filter(Attempt::write).sorted((a, b) -> Long.compare(a.sentAt(), b.sentAt())).toList();
  }
}
