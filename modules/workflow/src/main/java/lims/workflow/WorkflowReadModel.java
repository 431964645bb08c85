package lims.workflow;

import static lims.kernel.projection.ReadTableHandler.instant;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
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

  private final ReadTable table;

  public WorkflowReadModel(ReadTable table) {
    this.table = table;
  }

  public CompletionStage<Page<Map<String, Object>>> list(Optional<String> status, int limit, Optional<String> afterId) {
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
      List<Map<String, Object>> rows = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(sql.toString())) {
        for (int i = 0; i < args.size(); i++) s.setObject(i + 1, args.get(i));
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            Map<String, Object> w = new LinkedHashMap<>();
            w.put("id", rs.getString(1));
            w.put("name", rs.getString(2));
            w.put("device_id", rs.getString(3));
            w.put("status", rs.getString(4));
            w.put("priority", rs.getString(5));
            w.put("created_by", rs.getString(6));
            w.put("created_at", instant(rs, 7));
            w.put("booked_at", instant(rs, 8));
            w.put("finished_at", instant(rs, 9));
            w.put("samples", new ArrayList<>());
            w.put("steps", new ArrayList<>());
            rows.add(w);
          }
        }
      }
      Page<Map<String, Object>> result = Page.of(rows, limit, w -> (String) w.get("id"));
      Map<String, Map<String, Object>> page = new LinkedHashMap<>();
      result.items().forEach(w -> page.put((String) w.get("id"), w));
      if (!page.isEmpty()) {
        children(c, page, "SELECT workflow_id, barcode, specimen_id FROM workflow_sample WHERE workflow_id IN (%s) ORDER BY workflow_id, position",
            "samples", rs -> Map.of("barcode", rs.getString(2), "specimen_id", rs.getString(3)));
        children(c, page, "SELECT workflow_id, step_index, operation, status, execution_id, started_at, finished_at FROM workflow_step"
            + " WHERE workflow_id IN (%s) ORDER BY workflow_id, step_index", "steps", rs -> {
          Map<String, Object> step = new LinkedHashMap<>();
          step.put("index", rs.getInt(2));
          step.put("operation", rs.getString(3));
          step.put("status", rs.getString(4));
          step.put("execution_id", rs.getString(5));
          step.put("started_at", instant(rs, 6));
          step.put("finished_at", instant(rs, 7));
          return step;
        });
      }
      return result;
    });
  }

  private interface Row {
    Map<String, Object> read(ResultSet rs) throws SQLException;
  }

  @SuppressWarnings("unchecked")
  private static void children(Connection c, Map<String, Map<String, Object>> page, String sql, String field, Row row) throws SQLException {
    String marks = String.join(", ", Collections.nCopies(page.size(), "?"));
    try (PreparedStatement s = c.prepareStatement(String.format(sql, marks))) {
      int i = 1;
      for (String id : page.keySet()) s.setString(i++, id);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) ((List<Object>) page.get(rs.getString(1)).get(field)).add(row.read(rs));
      }
    }
  }

}
