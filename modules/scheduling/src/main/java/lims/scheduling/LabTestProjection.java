package lims.scheduling;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import lims.kernel.projection.ReadTableHandler;

/**
 * Keeps {@code lab_test}, {@code lab_test_execution} and {@code dead_letter} from the
 * partitions' writes, each a group of lab-test events (decision 0064). The partitions hold
 * their tests' next instants themselves: there is no deadline-index row to keep.
 */
public final class LabTestProjection extends ReadTableHandler<LabTestPartition.Event> {

  public static final String NAME = "lab-test-read-tables";

  // The row writes both this handler and its batched fold (LabTestWrites) make.
  static final String SET_STATUS = "UPDATE lab_test SET status = ?, updated_at = ? WHERE id = ?";
  static final String SET_STATUS_AND_NEXT = "UPDATE lab_test SET status = ?, next_fire_at = ?, updated_at = ? WHERE id = ?";
  /** A first attempt's outcome: its action's call, its lateness, status, end and log. */
  static final String FIRST_ATTEMPT_FINISHED =
      "UPDATE lab_test_execution SET started_at = ?, lateness_ms = ?, status = ?, finished_at = ?, log = ? WHERE execution_id = ?";

  /**
   * The events of these writes in order: the common ones folded into multi-row statements
   * (LabTestWrites), any other written on its own where it falls.
   */
  @Override
  protected void applyAll(Connection c, List<LabTestPartition.Event> writes) throws SQLException {
    LabTestWrites folded = new LabTestWrites();
    for (LabTestPartition.Event write : writes) {
      for (LabTest.Event event : ((LabTestPartition.Batch) write).events()) {
        if (folded.add(event)) continue;
        folded.flush(c);
        applyOne(c, event);
      }
    }
    folded.flush(c);
  }

  @Override
  protected void apply(Connection c, LabTestPartition.Event write) throws SQLException {
    applyAll(c, List.of(write));
  }

  /** An event the fold does not take. */
  private static void applyOne(Connection c, LabTest.Event event) throws SQLException {
    if (event instanceof LabTest.LabTestEdited e) {
      LabTest.Definition d = e.definition();
      update(c, "UPDATE lab_test SET title = ?, type = ?, experiment = ?, recipients = ?, schedule_at = ?, schedule_cron = ?,"
              + " schedule_timezone = ?, action_kind = ?, max_retries = ?, misfire_policy = ?, updated_at = ?, definition = ? WHERE id = ?",
          d.title(), d.type(), d.experiment(), LabTestWrites.recipients(d), ts(d.schedule().at()), d.schedule().cron(), d.schedule().timezone(),
          d.action().kind(), d.maxRetries(), d.misfirePolicy(), ts(e.at()), StoredDefinition.write(d), e.labTestId());
      if (!status(c, e.labTestId()).equals(LabTest.Status.PAUSED.wireName())) settle(c, e.labTestId(), e.nextFireAt(), e.at());
    } else if (event instanceof LabTest.LabTestDeleted e) {
      status(c, e.labTestId(), LabTest.Status.DELETED.wireName(), null, e.at());
      // Nothing of a deleted test runs again: its open dead letters leave the list (and the
      // gauge), and an execution it was in the middle of will record no outcome.
      update(c, "UPDATE dead_letter SET state = 'discarded' WHERE lab_test_id = ? AND state = 'open'", e.labTestId());
      update(c, "UPDATE lab_test_execution SET status = 'cancelled', finished_at = ? WHERE lab_test_id = ? AND status IN ('started', 'retrying')",
          ts(e.at()), e.labTestId());
    } else if (event instanceof LabTest.LabTestPaused e) {
      status(c, e.labTestId(), LabTest.Status.PAUSED.wireName(), null, e.at());
    } else if (event instanceof LabTest.LabTestResumed e) {
      settle(c, e.labTestId(), e.nextFireAt(), e.at());
    } else if (event instanceof LabTest.ExecutionStarted e) {
      // A retry, or a dead letter retried by hand (a first attempt is folded above).
      update(c, "UPDATE lab_test_execution SET attempt = ?, status = 'started', finished_at = NULL WHERE execution_id = ?",
          e.attempt(), e.executionId());
      update(c, "UPDATE dead_letter SET state = 'retried' WHERE execution_id = ?", e.executionId());
      update(c, SET_STATUS, LabTest.Status.RUNNING.wireName(), ts(e.startedAt()), e.labTestId());
    } else if (event instanceof LabTest.ExecutionSucceeded e) {
      // A later attempt succeeded (a first attempt is folded above).
      finish(c, e.executionId(), e.attempt(), e.actionStartedAt(), e.lateness(), "succeeded", e.finishedAt(), e.log());
      update(c, "DELETE FROM dead_letter WHERE execution_id = ?", e.executionId());
      settle(c, e.labTestId(), e.nextFireAt(), e.finishedAt());
    } else if (event instanceof LabTest.ExecutionFailed e) {
      finish(c, e.executionId(), e.attempt(), e.actionStartedAt(), e.lateness(), e.retryAt() == null ? "failed" : "retrying", e.finishedAt(),
          e.log());
    } else if (event instanceof LabTest.ExecutionDeadLettered e) {
      update(c, "DELETE FROM dead_letter WHERE execution_id = ?", e.executionId());
      update(c, "INSERT INTO dead_letter (execution_id, lab_test_id, due_at, attempts, error, dead_lettered_at, state) VALUES (?, ?, ?, ?, ?, ?, 'open')",
          e.executionId(), e.labTestId(), ts(e.dueAt()), e.attempts(), truncate(e.error(), 2000), ts(e.at()));
      settle(c, e.labTestId(), e.nextFireAt(), e.at());
    } else if (event instanceof LabTest.MisfireSkipped e) {
      notFired(c, e.labTestId(), e.missedDueAt(), e.at(), "skipped", "misfire-policy",
          "not fired: more than the misfire threshold late, and the test's misfire policy is skip");
      settle(c, e.labTestId(), e.nextFireAt(), e.at());
    } else if (event instanceof LabTest.InstantsMissed e) {
      String window = e.catchUpWindow().toString().substring(2).toLowerCase(); // PT1H → 1h
      notFired(c, e.labTestId(), e.firstMissedAt(), e.at(), "missed", "catch-up-window", "not fired: more than the catch-up window ("
          + window + ") late; every instant from " + e.firstMissedAt() + " up to " + e.nextFireAt() + " (not included) was missed");
      settle(c, e.labTestId(), e.nextFireAt(), e.at());
    }
  }

  /**
   * An instant the test did not fire, in its executions (decision 0041): the row of the execution
   * it would have had, no attempt, recorded {@code at}. A row already there (a run by hand
   * started in the same millisecond) is left as it is.
   */
  private static void notFired(Connection c, String labTestId, Instant dueAt, Instant at, String status, String firedBy, String why)
      throws SQLException {
    String executionId = LabTest.executionId(labTestId, dueAt);
    try (PreparedStatement s = c.prepareStatement("SELECT 1 FROM lab_test_execution WHERE execution_id = ?")) {
      s.setString(1, executionId);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next()) return;
      }
    }
    update(c, "INSERT INTO lab_test_execution (execution_id, lab_test_id, due_at, started_at, finished_at, lateness_ms, attempt, status,"
            + " fired_by, log) VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?, ?)",
        executionId, labTestId, ts(dueAt), ts(at), ts(at), Duration.between(dueAt, at).toMillis(), status, firedBy, why);
  }

  /** Nothing under way: scheduled while there is a next instant, else dead-lettered or completed (as LabTest.State#settled). */
  private static void settle(Connection c, String id, Instant next, Instant at) throws SQLException {
    status(c, id, settled(c, id, next), next, at);
  }

  private static String settled(Connection c, String id, Instant next) throws SQLException {
    if (next != null) return LabTest.Status.SCHEDULED.wireName();
    return withDeadLetters(c, List.of(id)).isEmpty() ? LabTest.Status.COMPLETED.wireName() : LabTest.Status.DEAD_LETTERED.wireName();
  }

  /** Of these tests, those with dead letters not yet resolved: one query. */
  static Set<String> withDeadLetters(Connection c, Collection<String> ids) throws SQLException {
    if (ids.isEmpty()) return Set.of();
    String marks = String.join(", ", Collections.nCopies(ids.size(), "?"));
    try (PreparedStatement s = c.prepareStatement(
        "SELECT DISTINCT lab_test_id FROM dead_letter WHERE state <> 'resolved' AND lab_test_id IN (" + marks + ")")) {
      int i = 1;
      for (String id : ids) s.setString(i++, id);
      Set<String> found = new HashSet<>();
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) found.add(rs.getString(1));
      }
      return found;
    }
  }

  private static String status(Connection c, String id) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT status FROM lab_test WHERE id = ?")) {
      s.setString(1, id);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? rs.getString(1) : "";
      }
    }
  }

  private static void status(Connection c, String id, String status, Instant next, Instant at) throws SQLException {
    update(c, SET_STATUS_AND_NEXT, status, ts(next), ts(at), id);
  }

  /**
   * An attempt's outcome. The first attempt also sets the execution's lateness (its action's
   * call − the due instant) and starts the log; later ones append to it.
   */
  private static void finish(Connection c, String executionId, int attempt, Instant actionStartedAt, Duration lateness,
      String status, Instant at, List<String> log) throws SQLException {
    if (attempt == 1) {
      update(c, FIRST_ATTEMPT_FINISHED, ts(actionStartedAt), lateness.toMillis(), status, ts(at), log("", log), executionId);
      return;
    }
    String previous = "";
    try (PreparedStatement s = c.prepareStatement("SELECT log FROM lab_test_execution WHERE execution_id = ?")) {
      s.setString(1, executionId);
      try (ResultSet rs = s.executeQuery()) {
        if (rs.next() && rs.getString(1) != null) previous = rs.getString(1) + "\n";
      }
    }
    update(c, "UPDATE lab_test_execution SET status = ?, finished_at = ?, log = ? WHERE execution_id = ?",
        status, ts(at), log(previous, log), executionId);
  }

  /** An execution's log: earlier lines, then this attempt's; the newest 4,000 characters (the column's size). */
  static String log(String previous, List<String> lines) {
    return truncate(previous + String.join("\n", lines), 4000);
  }

  private static String truncate(String s, int max) {
    return s == null || s.length() <= max ? s : s.substring(s.length() - max);
  }
}
