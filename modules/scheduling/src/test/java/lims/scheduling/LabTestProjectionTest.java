package lims.scheduling;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import lims.kernel.Database;
import org.h2.jdbcx.JdbcDataSource;
import org.junit.jupiter.api.Test;

/**
 * The lab-test read tables written from groups of events (common events folded into
 * batches, LabTestWrites) end exactly as writing each event on its own leaves them —
 * whatever the group boundaries, and with the rare events (retries, dead letters) in between.
 */
class LabTestProjectionTest {

  static final Instant T0 = Instant.parse("2026-11-23T08:00:00Z");

  @Test
  void groupedWritesLeaveTheSameRowsAsOneEventAtATime() throws Exception {
    List<LabTest.Event> events = history();
    Map<String, List<String>> oneByOne = tables(db -> {
      for (LabTest.Event e : events) new LabTestProjection().apply(db, new LabTestPartition.Batch(List.of(e)));
    });
    assertTrue(oneByOne.get("lab_test").size() >= 4 && oneByOne.get("lab_test_execution").size() >= 5, oneByOne.toString());
    for (int group : new int[] {1, 2, 3, 5, events.size()}) {
      Map<String, List<String>> grouped = tables(db -> {
        for (int from = 0; from < events.size(); from += group) {
          // A group as the partitions write it: one batch, or a batch per event (groups from several partitions).
          List<LabTest.Event> slice = events.subList(from, Math.min(events.size(), from + group));
          new LabTestProjection().applyAll(db, group % 2 == 0 ? List.of(new LabTestPartition.Batch(slice))
              : slice.stream().map(e -> (LabTestPartition.Event) new LabTestPartition.Batch(List.of(e))).toList());
        }
      });
      assertEquals(oneByOne, grouped, "groups of " + group);
    }
    Map<String, List<String>> midway = tables(db -> new LabTestProjection().applyAll(db,
        List.of(new LabTestPartition.Batch(events.subList(0, events.size() - 4)))));
    assertTrue(midway.get("lab_test").stream().anyMatch(r -> r.startsWith("ID=LT-d ") && r.contains("STATUS=dead_lettered")), midway.toString());
  }

  /**
   * Six tests: one-time that succeeds; recurring; triggered by hand; one-time that fails, is
   * dead-lettered, retried by hand and succeeds; two recurring back from an outage, one missing
   * instants before its catch-up window, one skipping an instant.
   */
  static List<LabTest.Event> history() {
    LabTest.Definition once = definition(Schedule.once(T0.plusSeconds(60)), 1);
    LabTest.Definition daily = definition(Schedule.cron("0 0 6 * * ?", "Europe/Berlin"), 0);
    Instant next = T0.plusSeconds(86_400);
    List<LabTest.Event> e = new ArrayList<>();
    e.add(new LabTest.LabTestCreated("LT-a", once, T0.plusSeconds(60), "ana", T0, null));
    e.add(new LabTest.LabTestCreated("LT-b", daily, T0.plusSeconds(30), "ana", T0.plusMillis(1), null));
    e.add(new LabTest.LabTestCreated("LT-c", once, T0.plusSeconds(90), "ben", T0.plusMillis(2), null));
    e.add(new LabTest.LabTestCreated("LT-d", once, T0.plusSeconds(40), "ben", T0.plusMillis(3), null));
    // Back from an outage: LT-e (fire_all) misses the instants before its catch-up window, LT-f (skip) one instant.
    e.add(new LabTest.LabTestCreated("LT-e", daily, T0.plusSeconds(10), "ana", T0.plusMillis(4), null));
    e.add(new LabTest.LabTestCreated("LT-f", daily, T0.plusSeconds(10), "ana", T0.plusMillis(5), null));
    e.add(new LabTest.InstantsMissed("LT-e", T0.plusSeconds(10), T0.plusSeconds(80), Duration.ofSeconds(5), T0.plusSeconds(85)));
    e.add(new LabTest.MisfireSkipped("LT-f", T0.plusSeconds(10), next, T0.plusSeconds(85)));
    e.add(new LabTest.ExecutionStarted("LT-e", "LT-e-80000", T0.plusSeconds(80), 1, T0.plusSeconds(85), "schedule"));
    e.add(new LabTest.ExecutionSucceeded("LT-e", "LT-e-80000", T0.plusSeconds(80), 1, T0.plusSeconds(85), T0.plusMillis(85_010),
        List.of("200 OK"), next));
    e.add(new LabTest.ExecutionStarted("LT-b", "LT-b-1", T0.plusSeconds(30), 1, T0.plusMillis(29_500), "schedule"));
    e.add(new LabTest.ExecutionSucceeded("LT-b", "LT-b-1", T0.plusSeconds(30), 1, T0.plusMillis(30_002), T0.plusMillis(30_010),
        List.of("200 OK"), next));
    e.add(new LabTest.ExecutionStarted("LT-c", "LT-c-m", T0.plusSeconds(35), 1, T0.plusSeconds(35), "manual:ben"));
    e.add(new LabTest.ExecutionStarted("LT-d", "LT-d-1", T0.plusSeconds(40), 1, T0.plusMillis(39_500), "schedule"));
    e.add(new LabTest.ExecutionFailed("LT-d", "LT-d-1", T0.plusSeconds(40), 1, T0.plusMillis(40_001), T0.plusMillis(40_100),
        List.of("503"), T0.plusSeconds(41)));
    e.add(new LabTest.ExecutionSucceeded("LT-c", "LT-c-m", T0.plusSeconds(35), 1, T0.plusSeconds(35), T0.plusMillis(35_020),
        List.of("manual run", "200 OK"), T0.plusSeconds(90)));
    e.add(new LabTest.ExecutionStarted("LT-d", "LT-d-1", T0.plusSeconds(40), 2, T0.plusSeconds(41), "retry"));
    e.add(new LabTest.ExecutionFailed("LT-d", "LT-d-1", T0.plusSeconds(40), 2, T0.plusSeconds(41), T0.plusMillis(41_050),
        List.of("503 again"), null));
    e.add(new LabTest.ExecutionDeadLettered("LT-d", "LT-d-1", T0.plusSeconds(40), 2, "503 again", T0.plusMillis(41_050), null));
    e.add(new LabTest.ExecutionStarted("LT-a", "LT-a-1", T0.plusSeconds(60), 1, T0.plusMillis(59_500), "schedule"));
    e.add(new LabTest.ExecutionSucceeded("LT-a", "LT-a-1", T0.plusSeconds(60), 1, T0.plusMillis(60_001), T0.plusMillis(60_030),
        List.of("200 OK"), null));
    // Run by hand while its dead letter is open: it settles as dead-lettered, not completed.
    e.add(new LabTest.ExecutionStarted("LT-d", "LT-d-m", T0.plusSeconds(65), 1, T0.plusSeconds(65), "manual:ana"));
    e.add(new LabTest.ExecutionSucceeded("LT-d", "LT-d-m", T0.plusSeconds(65), 1, T0.plusSeconds(65), T0.plusMillis(65_010),
        List.of("200 OK"), null));
    e.add(new LabTest.ExecutionStarted("LT-d", "LT-d-1", T0.plusSeconds(40), 3, T0.plusSeconds(70), "dead-letter-retry:ana"));
    e.add(new LabTest.ExecutionSucceeded("LT-d", "LT-d-1", T0.plusSeconds(40), 3, T0.plusSeconds(70), T0.plusMillis(70_040),
        List.of("200 OK"), null));
    e.add(new LabTest.ExecutionStarted("LT-c", "LT-c-1", T0.plusSeconds(90), 1, T0.plusMillis(89_500), "schedule"));
    e.add(new LabTest.ExecutionSucceeded("LT-c", "LT-c-1", T0.plusSeconds(90), 1, T0.plusMillis(90_003), T0.plusMillis(90_004),
        List.of(), null));
    return e;
  }

  @Test
  void instantsNotFiredAreListedAmongTheExecutions() throws Exception {
    Map<String, List<String>> tables = tables(db -> {
      for (LabTest.Event e : history()) new LabTestProjection().apply(db, new LabTestPartition.Batch(List.of(e)));
    });
    String missed = LabTest.executionId("LT-e", T0.plusSeconds(10));
    assertTrue(tables.get("lab_test_execution").stream().anyMatch(r -> r.startsWith("EXECUTION_ID=" + missed + " ") && r.contains("ATTEMPT=0 ")
        && r.contains("STATUS=missed ") && r.contains("FIRED_BY=catch-up-window ") && r.contains("LATENESS_MS=75000 ")
        && r.contains("more than the catch-up window (5s) late; every instant from " + T0.plusSeconds(10) + " up to " + T0.plusSeconds(80))),
        tables.toString());
    String skipped = LabTest.executionId("LT-f", T0.plusSeconds(10));
    assertTrue(tables.get("lab_test_execution").stream().anyMatch(r -> r.startsWith("EXECUTION_ID=" + skipped + " ") && r.contains("ATTEMPT=0 ")
        && r.contains("STATUS=skipped ") && r.contains("FIRED_BY=misfire-policy ")), tables.toString());
    assertTrue(tables.get("lab_test").stream().anyMatch(r -> r.startsWith("ID=LT-f ") && r.contains("STATUS=scheduled")), tables.toString());
  }

  static LabTest.Definition definition(Schedule schedule, int maxRetries) {
    return new LabTest.Definition("OD600", "measurement", "EXP-1", List.of(), schedule,
        new LabTestAction("http", Map.of("url", "http://127.0.0.1:9/none")), maxRetries, LabTest.FIRE_ONCE);
  }

  interface Writes {
    void apply(Connection c) throws Exception;
  }

  /** Every row of the lab-test tables and the deadline index after {@code writes}, on a fresh database. */
  static Map<String, List<String>> tables(Writes writes) throws Exception {
    JdbcDataSource h2 = new JdbcDataSource();
    h2.setURL("jdbc:h2:mem:" + UUID.randomUUID() + ";DB_CLOSE_DELAY=-1");
    Database.migrate(h2, "h2");
    try (Connection c = h2.getConnection()) {
      writes.apply(c);
      return Map.of(
          "lab_test", rows(c, "SELECT * FROM lab_test ORDER BY id"),
          "lab_test_execution", rows(c, "SELECT * FROM lab_test_execution ORDER BY execution_id"),
          "dead_letter", rows(c, "SELECT * FROM dead_letter ORDER BY execution_id"),
          "deadline", rows(c, "SELECT * FROM deadline ORDER BY kind, entity_id"));
    }
  }

  static List<String> rows(Connection c, String sql) throws Exception {
    List<String> rows = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData meta = rs.getMetaData();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= meta.getColumnCount(); i++) row.append(meta.getColumnName(i)).append('=').append(rs.getString(i)).append(' ');
        rows.add(row.toString());
      }
    }
    return rows;
  }
}
