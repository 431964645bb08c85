package lims.kernel.projection;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import lims.kernel.Database;
import lims.kernel.NodeConfig;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A read table's query runs once the projection's stored offsets have reached every event
 * journaled before it (decision 0037), against the real journal and offset tables. The
 * projection is played by the test: it moves the stored offset by hand.
 */
@Tag("database")
class ReadTableTest {

  static ActorTestKit kit;
  static Database database;
  static long sequence;

  @BeforeAll
  static void start() {
    kit = ActorTestKit.create("read-table", NodeConfig.load("test", TestDatabase.fresh("read_table")).withFallback(ConfigFactory.load()));
    database = Database.get(kit.system());
  }

  @AfterAll
  static void stop() {
    if (kit != null) kit.shutdownTestKit();
  }

  @Test
  void aQueryRunsOnlyOnceTheProjectionHasAppliedTheEventsBeforeIt() throws Exception {
    ReadTable table = new ReadTable(database, "waits", new EventTags("waits", 2), Duration.ofSeconds(60));
    long first = journal("waits-0");
    long second = journal("waits-1");
    applied("waits", "waits-0", first);
    applied("waits", "waits-1", second);
    assertEquals(second, table.query(c -> offset(c, "waits", "waits-1")).toCompletableFuture().get(10, TimeUnit.SECONDS),
        "a caught-up table answers at once");

    long written = journal("waits-1");
    List<CompletableFuture<Long>> readers = new ArrayList<>();
    for (int i = 0; i < 50; i++) readers.add(table.query(c -> offset(c, "waits", "waits-1")).toCompletableFuture());
    assertTrue(readers.stream().noneMatch(CompletableFuture::isDone), "no reader is answered before the projection applied the write");
    applied("waits", "waits-1", written);
    for (CompletableFuture<Long> reader : readers) {
      assertEquals(written, reader.get(10, TimeUnit.SECONDS), "every reader ran after the projection applied the write");
    }
  }

  @Test
  void aProjectionStuckBehindHoldsReadsForTheBoundOnceThenNotUntilItMoves() throws Exception {
    Duration bound = Duration.ofSeconds(2);
    ReadTable table = new ReadTable(database, "stuck", new EventTags("stuck", 1), bound);
    long applied = journal("stuck-0");
    applied("stuck", "stuck-0", applied);
    long unapplied = journal("stuck-0");

    long start = System.nanoTime();
    assertEquals(applied, table.query(c -> offset(c, "stuck", "stuck-0")).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - start >= bound.toNanos(), "the first read waited the bound");

    start = System.nanoTime();
    assertEquals(applied, table.query(c -> offset(c, "stuck", "stuck-0")).toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertTrue(System.nanoTime() - start < bound.toNanos(), "a read after the bound passed does not wait for the stuck tag again");

    // The projection moves again: reads wait for it again.
    applied("stuck", "stuck-0", unapplied);
    long next = journal("stuck-0");
    CompletableFuture<Long> reader = table.query(c -> offset(c, "stuck", "stuck-0")).toCompletableFuture();
    assertFalse(reader.isDone());
    applied("stuck", "stuck-0", next);
    assertEquals(next, reader.get(10, TimeUnit.SECONDS));
  }

  @Test
  void aReadWaitingForItsProjectionFailsAtOnceWhenALookAtTheOffsetsFails() throws Exception {
    ReadTable table = new ReadTable(database, "failing", new EventTags("failing", 1), Duration.ofSeconds(60));
    applied("failing", "failing-0", journal("failing-0"));
    journal("failing-0"); // not applied: a read waits for it, looking at the offsets every 20 ms
    CompletableFuture<Long> reader = table.query(c -> 1L).toCompletableFuture();
    // The offsets cannot be read any more, as when the database is down: the read must not wait out its 60 s.
    offsetStore("\"pekko_projection_offset_store\"", "\"offsets_away\"");
    try {
      ExecutionException failed = assertThrows(ExecutionException.class, () -> reader.get(10, TimeUnit.SECONDS));
      assertTrue(failed.getCause().getMessage().contains("offsets_away") || failed.getCause().getMessage().contains("pekko_projection_offset_store"),
          failed.getCause().toString());
    } finally {
      offsetStore("\"offsets_away\"", "\"pekko_projection_offset_store\"");
    }
  }

  static void offsetStore(String from, String to) throws SQLException {
    try (Connection c = database.dataSource().getConnection(); Statement s = c.createStatement()) {
      s.execute("ALTER TABLE " + from + " RENAME TO " + to);
    }
  }

  /** Journals one event with this tag, as the journal does (event and tag in one write); its ordering. */
  static long journal(String tag) throws SQLException {
    try (Connection c = database.dataSource().getConnection()) {
      String id = "ReadTableTest|" + tag;
      long seq = ++sequence;
      try (PreparedStatement s = c.prepareStatement("INSERT INTO \"event_journal\" (\"persistence_id\", \"sequence_number\", \"deleted\","
          + " \"writer\", \"write_timestamp\", \"adapter_manifest\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\")"
          + " VALUES (?, ?, FALSE, 'test', 0, '', 1, '', ?)")) {
        s.setString(1, id);
        s.setLong(2, seq);
        s.setBytes(3, new byte[] {1});
        s.executeUpdate();
      }
      long ordering;
      try (PreparedStatement s = c.prepareStatement("SELECT \"ordering\" FROM \"event_journal\" WHERE \"persistence_id\" = ? AND \"sequence_number\" = ?")) {
        s.setString(1, id);
        s.setLong(2, seq);
        try (ResultSet rs = s.executeQuery()) {
          rs.next();
          ordering = rs.getLong(1);
        }
      }
      try (PreparedStatement s = c.prepareStatement("INSERT INTO \"event_tag\" (\"event_id\", \"tag\") VALUES (?, ?)")) {
        s.setLong(1, ordering);
        s.setString(2, tag);
        s.executeUpdate();
      }
      return ordering;
    }
  }

  /** What the projection stores with its rows: the ordering of the last event it applied. */
  static void applied(String projection, String tag, long ordering) throws SQLException {
    try (Connection c = database.dataSource().getConnection()) {
      try (PreparedStatement s = c.prepareStatement("DELETE FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ? AND \"projection_key\" = ?")) {
        s.setString(1, projection);
        s.setString(2, tag);
        s.executeUpdate();
      }
      try (PreparedStatement s = c.prepareStatement("INSERT INTO \"pekko_projection_offset_store\" (\"projection_name\", \"projection_key\","
          + " \"current_offset\", \"manifest\", \"mergeable\", \"last_updated\") VALUES (?, ?, ?, 'SEQ', FALSE, 0)")) {
        s.setString(1, projection);
        s.setString(2, tag);
        s.setString(3, Long.toString(ordering));
        s.executeUpdate();
      }
    }
  }

  static long offset(Connection c, String projection, String tag) throws SQLException {
    try (PreparedStatement s = c.prepareStatement("SELECT \"current_offset\" FROM \"pekko_projection_offset_store\" WHERE \"projection_name\" = ? AND \"projection_key\" = ?")) {
      s.setString(1, projection);
      s.setString(2, tag);
      try (ResultSet rs = s.executeQuery()) {
        return rs.next() ? Long.parseLong(rs.getString(1)) : -1;
      }
    }
  }
}
