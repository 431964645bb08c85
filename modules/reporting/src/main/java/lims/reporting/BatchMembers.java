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

  /**
   * The batch a specimen is reported with: of the batches holding it (one per test), the one
   * whose key sorts first. A specimen of several batches is in one automatic report, not one
   * per test.
   */
  public CompletionStage<java.util.Optional<String>> homeOf(String specimenId) {
    return table.query(c -> strings(c, "SELECT MIN(batch_key) FROM batch_member WHERE specimen_id = ?", specimenId))
        .thenApply(keys -> keys.stream().filter(java.util.Objects::nonNull).findFirst());
  }

  /** The specimens whose home is {@code batchKey}, in id order. */
  public CompletionStage<List<String>> membersAtHome(String batchKey) {
    return table.query(c -> strings(c, "SELECT m.specimen_id FROM batch_member m WHERE m.batch_key = ? AND NOT EXISTS "
        + "(SELECT 1 FROM batch_member o WHERE o.specimen_id = m.specimen_id AND o.batch_key < m.batch_key) ORDER BY m.specimen_id", batchKey));
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
