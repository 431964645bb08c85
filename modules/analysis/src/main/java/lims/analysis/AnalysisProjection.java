package lims.analysis;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Optional;
import lims.kernel.deadline.DeadlineIndex;
import lims.kernel.projection.ReadTableHandler;

/**
 * Keeps the {@code analysis} read table and the analyses' rows of the deadline index:
 * a run in flight must be awake by its deadline; a run that ended early must be awake
 * now, until its tmux session is gone; any other ended run needs nothing.
 */
public final class AnalysisProjection extends ReadTableHandler<Analysis.Event> {

  public static final String NAME = "analysis-read-table";
  public static final String DEADLINE_KIND = "analysis";

  @Override
  protected void apply(Connection c, Analysis.Event event) throws SQLException {
    if (event instanceof Analysis.AnalysisRequested e) {
      update(c, "INSERT INTO analysis (id, specimen_id, pipeline, state, remote_session, requested_at, deadline, attempts)"
              + " VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
          e.analysisId(), e.specimenId(), e.pipeline(), Analysis.Status.DISPATCHING.wireName(), e.remoteSession(), ts(e.requestedAt()), ts(e.deadline()));
      if (e.command() != null) DeadlineIndex.set(c, DEADLINE_KIND, e.analysisId(), e.deadline());
    } else if (event instanceof Analysis.DispatchAttemptFailed e) {
      update(c, "UPDATE analysis SET attempts = ?, failure_reason = ? WHERE id = ?", e.attempt(), truncate(e.reason()), e.analysisId());
    } else if (event instanceof Analysis.AnalysisDispatched e) {
      update(c, "UPDATE analysis SET state = ?, attempts = ?, dispatched_at = ?, failure_reason = NULL WHERE id = ?",
          Analysis.Status.RUNNING.wireName(), e.attempt(), ts(e.at()), e.analysisId());
    } else if (event instanceof Analysis.ResultRecorded e) {
      update(c, "UPDATE analysis SET result_status = ? WHERE id = ?", e.status(), e.analysisId());
    }
    Optional<Analysis.Ending> ending = Analysis.ending(event);
    if (ending.isPresent()) {
      Analysis.Ending end = ending.get();
      update(c, "UPDATE analysis SET state = ?, failure_reason = ?, finished_at = ? WHERE id = ?", end.state().wireName(), truncate(end.reason()),
          ts(end.at()), event.analysisId());
      // Cancelled or timed out: awake now, until its tmux session is gone; any other end owes nothing.
      DeadlineIndex.set(c, DEADLINE_KIND, event.analysisId(), end.state().killsSession() ? end.at() : null);
    }
    if (event instanceof Analysis.RemoteSessionEnded e) {
      DeadlineIndex.clear(c, DEADLINE_KIND, e.analysisId());
    }
    // Its session may run again: awake until it is gone, as after the end.
    if (event instanceof Analysis.SessionStartedAfterEnd e) {
      DeadlineIndex.set(c, DEADLINE_KIND, e.analysisId(), e.at());
    }
  }

  /** failure_reason is VARCHAR(2000); a remote error can be longer. */
  private static String truncate(String s) {
    return s == null || s.length() <= 2000 ? s : s.substring(0, 1997) + "...";
  }
}
