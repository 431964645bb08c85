package lims.analysis;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import lims.kernel.Database;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/** The deadline index rows the analysis projection keeps: a run whose session may still run stays awake until it is gone. */
class AnalysisProjectionTest {

  static final String ID = "AN-SP-2026-000001-1";
  static final Instant T0 = Instant.parse("2026-11-23T08:00:00Z");

  @Test
  void aRunIsAwakeByItsDeadlineThenUntilItsSessionIsGoneAndAgainAfterALateStart() throws Exception {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Database.migrate(h2, "h2");
    AnalysisProjection projection = new AnalysisProjection();
    try (Connection c = h2.getConnection()) {
      projection.apply(c, new Analysis.AnalysisRequested(ID, "SP-2026-000001", "seq", "lims-" + ID, "run", T0, T0.plusSeconds(3600)));
      assertEquals(List.of(T0.plusSeconds(3600)), due(c), "awake by its deadline");
      projection.apply(c, new Analysis.AnalysisCancelled(ID, "SP-2026-000001", "wrong sample", "sam", T0.plusSeconds(10)));
      assertEquals(List.of(T0.plusSeconds(10)), due(c), "cancelled: awake now, to kill its session");
      projection.apply(c, new Analysis.RemoteSessionEnded(ID, T0.plusSeconds(11)));
      assertEquals(List.of(), due(c), "its session is gone: nothing owed");
      projection.apply(c, new Analysis.SessionStartedAfterEnd(ID, T0.plusSeconds(12)));
      assertEquals(List.of(T0.plusSeconds(12)), due(c), "a late start: awake again until that session is gone");
      projection.apply(c, new Analysis.RemoteSessionEnded(ID, T0.plusSeconds(13)));
      assertEquals(List.of(), due(c));
    }
  }

  private static List<Instant> due(Connection c) throws Exception {
    List<Instant> due = new ArrayList<>();
    try (PreparedStatement s = c.prepareStatement("SELECT due_at FROM deadline WHERE kind = ? AND entity_id = ?")) {
      s.setString(1, AnalysisProjection.DEADLINE_KIND);
      s.setString(2, ID);
      try (ResultSet rs = s.executeQuery()) {
        while (rs.next()) due.add(rs.getObject(1, java.time.OffsetDateTime.class).toInstant());
      }
    }
    return due;
  }
}
