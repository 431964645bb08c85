package lims.scheduling;

import static lims.kernel.projection.ReadTableHandler.batch;
import static lims.kernel.projection.ReadTableHandler.ts;

import java.sql.Connection;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The lab-test events that come by the thousand — created, first attempt started, first
 * attempt succeeded — folded, for one group of events, into one write per row, sent as a
 * few JDBC batches. A test created, started and finished within the group is one insert;
 * "running" followed by "completed" is one update. The rows end as the per-event writes of
 * {@link LabTestProjection} would leave them; any other event flushes what is folded and is
 * written on its own, so order is kept.
 */
final class LabTestWrites {

  /** The recipients column: addresses separated by one space (none has white space); null for none. */
  static String recipients(LabTest.Definition d) {
    return d.recipients() == null || d.recipients().isEmpty() ? null : String.join(" ", d.recipients());
  }

  /** A status decided when flushing: completed, or dead-lettered if the test has open dead letters. */
  private static final String SETTLED_WITHOUT_NEXT = "";

  /** What a group does to one lab_test row: created in it (then inserted whole), and its last status. */
  private static final class TestRow {
    LabTest.LabTestCreated created;
    String status;
    boolean setsNext;
    Instant next;
    Instant at;
  }

  /** What a group does to one execution row: started in it (then inserted), and how its first attempt ended. */
  private static final class ExecutionRow {
    LabTest.ExecutionStarted started;
    LabTest.ExecutionSucceeded succeeded;
  }

  private final Map<String, TestRow> tests = new LinkedHashMap<>();
  private final Map<String, ExecutionRow> executions = new LinkedHashMap<>();

  /** Folds the event in, or answers false: it must be written on its own, after {@link #flush}. */
  boolean add(LabTest.Event event) {
    if (event instanceof LabTest.LabTestCreated e) {
      TestRow row = test(e.labTestId());
      row.created = e;
      // A new test has no dead letters: without a next instant it is completed.
      status(row, e.nextFireAt() != null ? LabTest.Status.SCHEDULED.wireName() : LabTest.Status.COMPLETED.wireName(), true, e.nextFireAt(), e.at());
      return true;
    }
    if (event instanceof LabTest.ExecutionStarted e && e.attempt() == 1 && !e.trigger().startsWith("dead-letter-retry")) {
      executions.computeIfAbsent(e.executionId(), id -> new ExecutionRow()).started = e;
      status(test(e.labTestId()), LabTest.Status.RUNNING.wireName(), false, null, e.startedAt());
      return true;
    }
    if (event instanceof LabTest.ExecutionSucceeded e && e.attempt() == 1) {
      executions.computeIfAbsent(e.executionId(), id -> new ExecutionRow()).succeeded = e;
      status(test(e.labTestId()), e.nextFireAt() != null ? LabTest.Status.SCHEDULED.wireName() : SETTLED_WITHOUT_NEXT, true, e.nextFireAt(), e.finishedAt());
      return true;
    }
    return false;
  }

  private TestRow test(String id) {
    return tests.computeIfAbsent(id, k -> new TestRow());
  }

  private static void status(TestRow row, String status, boolean setsNext, Instant next, Instant at) {
    row.status = status;
    if (setsNext) {
      row.setsNext = true;
      row.next = next;
    }
    row.at = at;
  }

  /** Writes what is folded, then forgets it. */
  void flush(Connection c) throws SQLException {
    if (tests.isEmpty() && executions.isEmpty()) return;
    Set<String> withOpenLetters = LabTestProjection.withDeadLetters(c,
        tests.entrySet().stream().filter(t -> t.getValue().status.equals(SETTLED_WITHOUT_NEXT)).map(Map.Entry::getKey).toList());
    List<Object[]> inserts = new ArrayList<>();
    List<Object[]> statusAndNext = new ArrayList<>();
    List<Object[]> statusOnly = new ArrayList<>();
    tests.forEach((id, row) -> {
      String status = !row.status.equals(SETTLED_WITHOUT_NEXT) ? row.status
          : withOpenLetters.contains(id) ? LabTest.Status.DEAD_LETTERED.wireName() : LabTest.Status.COMPLETED.wireName();
      if (row.created != null) {
        LabTest.Definition d = row.created.definition();
        inserts.add(new Object[] {id, d.title(), d.type(), d.experiment(), recipients(d), status, ts(d.schedule().at()), d.schedule().cron(),
            d.schedule().timezone(), d.action().kind(), d.maxRetries(), d.misfirePolicy(), ts(row.next), row.created.by(),
            ts(row.created.at()), ts(row.at), StoredDefinition.write(d), row.created.idempotencyToken()});
      } else if (row.setsNext) {
        statusAndNext.add(new Object[] {status, ts(row.next), ts(row.at), id});
      } else {
        statusOnly.add(new Object[] {status, ts(row.at), id});
      }
    });
    batch(c, "INSERT INTO lab_test (id, title, type, experiment, recipients, status, schedule_at, schedule_cron, schedule_timezone,"
        + " action_kind, max_retries, misfire_policy, next_fire_at, created_by, created_at, updated_at, definition,"
        + " idempotency_token) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", inserts);
    batch(c, LabTestProjection.SET_STATUS_AND_NEXT, statusAndNext);
    batch(c, LabTestProjection.SET_STATUS, statusOnly);

    List<Object[]> started = new ArrayList<>();
    List<Object[]> finished = new ArrayList<>();
    executions.forEach((id, row) -> {
      LabTest.ExecutionSucceeded done = row.succeeded;
      if (row.started == null) {
        finished.add(new Object[] {ts(done.actionStartedAt()), done.lateness().toMillis(), "succeeded", ts(done.finishedAt()), log(done), id});
      } else if (done == null) {
        LabTest.ExecutionStarted e = row.started;
        started.add(new Object[] {id, e.labTestId(), ts(e.dueAt()), ts(e.startedAt()), 0L, e.attempt(), "started", e.trigger(), null, null});
      } else {
        LabTest.ExecutionStarted e = row.started;
        started.add(new Object[] {id, e.labTestId(), ts(e.dueAt()), ts(done.actionStartedAt()), done.lateness().toMillis(), e.attempt(),
            "succeeded", e.trigger(), ts(done.finishedAt()), log(done)});
      }
    });
    batch(c, "INSERT INTO lab_test_execution (execution_id, lab_test_id, due_at, started_at, lateness_ms, attempt, status, fired_by,"
        + " finished_at, log) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", started);
    batch(c, LabTestProjection.FIRST_ATTEMPT_FINISHED, finished);

    tests.clear();
    executions.clear();
  }

  private static String log(LabTest.ExecutionSucceeded e) {
    return LabTestProjection.log("", e.log());
  }
}
