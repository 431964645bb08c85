package lims.reporting;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;
import lims.kernel.projection.ReadTable;
import lims.kernel.projection.ReadTableHandler;
import lims.specimen.TestBatch;

/**
 * Which test batches hold a specimen (table {@code batch_member}, from the test-batch journal,
 * exactly once), so a specimen's approval finds the batch report it belongs to.
 */
public final class BatchMembers {

  public static final String NAME = "batch-member-read-table";

  /** Keeps the table. */
  public static final class Projection extends ReadTableHandler<TestBatch.Event> {
    @Override
    protected void apply(Connection c, TestBatch.Event event) throws SQLException {
      if (event instanceof TestBatch.BatchCreated e) {
        List<Object[]> rows = e.specimenIds().stream().map(id -> new Object[] {e.batchKey(), id}).toList();
        batch(c, "INSERT INTO batch_member (batch_key, specimen_id) VALUES (?, ?)", rows);
      }
    }
  }

  private final ReadTable table;

  public BatchMembers(ReadTable table) {
    this.table = table;
  }

  /** The batches holding {@code specimenId}, oldest key first. */
  public CompletionStage<List<String>> batchesOf(String specimenId) {
    return table.query(c -> strings(c, "SELECT batch_key FROM batch_member WHERE specimen_id = ? ORDER BY batch_key", specimenId));
  }

  /** The specimens of {@code batchKey}, in id order. */
  public CompletionStage<List<String>> membersOf(String batchKey) {
    return table.query(c -> strings(c, "SELECT specimen_id FROM batch_member WHERE batch_key = ? ORDER BY specimen_id", batchKey));
  }

  private static List<String> strings(Connection c, String sql, String parameter) throws SQLException {
    List<String> values = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement(sql)) {
      s.setString(1, parameter);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) values.add(rs.getString(1));
      }
    }
    return values;
  }
}
