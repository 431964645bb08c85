package lims.workflow;

import static lims.kernel.projection.ReadTableHandler.instant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.ReadTable;
import lims.kernel.Page;

/** GET /workflows: a page of workflows with their samples and steps, in three queries whatever the page size. */
public final class WorkflowReadModel {

  /** A workflow of the list, with its samples and steps as the read tables hold them. */
  public record WorkflowRow(String id, String name, String deviceId, String status, String priority, String createdBy, Instant createdAt,
      Instant bookedAt, Instant finishedAt, List<SampleRow> samples, List<StepRow> steps) {}

  public record SampleRow(String barcode, String specimenId) {}

  public record StepRow(int index, String operation, String status, String executionId, Instant startedAt, Instant finishedAt) {}

  private final ReadTable table;

  public WorkflowReadModel(ReadTable table) {
    this.table = table;
  }

  public CompletionStage<Page<WorkflowRow>> list(Optional<String> status, int limit, Optional<String> afterId) {
    return table.query(c -> {
      StringBuilder sql = new StringBuilder("SELECT id, name, device_id, status, priority, created_by, created_at, booked_at, finished_at FROM workflow WHERE 1 = 1");
      List<Object> args = new ArrayList<>();
      status.ifPresent(s -> {
        sql.append(" AND status = ?");
        args.add(s);
      });
      afterId.ifPresent(a -> {
        sql.append(" AND id > ?");
        args.add(a);
      });
      sql.append(" ORDER BY id LIMIT ?");
      args.add(limit + 1);
      List<WorkflowRow> rows = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            // The children lists are filled below, for the whole page at once.
            rows.add(new WorkflowRow(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), rs.getString(5), rs.getString(6),
                instant(rs, 7), instant(rs, 8), instant(rs, 9), new ArrayList<>(), new ArrayList<>()));
          }
        }
      }
      Page<WorkflowRow> result = Page.of(rows, limit, WorkflowRow::id);
      Map<String, WorkflowRow> page = new LinkedHashMap<>();
      result.items().forEach(w -> page.put(w.id(), w));
      if (!page.isEmpty()) {
        children(c, page, "SELECT workflow_id, barcode, specimen_id FROM workflow_sample WHERE workflow_id IN (%s) ORDER BY workflow_id, position",
            (w, rs) -> w.samples().add(new SampleRow(rs.getString(2), rs.getString(3))));
        children(c, page, "SELECT workflow_id, step_index, operation, status, execution_id, started_at, finished_at FROM workflow_step"
            + " WHERE workflow_id IN (%s) ORDER BY workflow_id, step_index",
            (w, rs) -> w.steps().add(new StepRow(rs.getInt(2), rs.getString(3), rs.getString(4), rs.getString(5), instant(rs, 6), instant(rs, 7))));
      }
      return result;
    });
  }

  /** Adds the child a result row holds to its workflow. */
  private interface Child {
    void add(WorkflowRow workflow, ResultSet rs) throws SQLException;
  }

  private static void children(Connection c, Map<String, WorkflowRow> page, String sql, Child child) throws SQLException {
    String marks = String.join(", ", Collections.nCopies(page.size(), "?"));
    try (PreparedStatement s = c.prepareStatement(String.format(sql, marks))) {
      int i = 1;
      for (String id : page.keySet()) s.setString(i++, id);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) child.add(page.get(rs.getString(1)), rs);
      }
    }
  }

}
