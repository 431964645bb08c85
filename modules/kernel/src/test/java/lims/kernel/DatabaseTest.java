package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.junit.jupiter.api.Test;

/** The bounds of the node's own database calls (decision 0039). */
class DatabaseTest {

  @Test
  void aCallWhoseStatementHearsNothingIsAnsweredUnavailableWithinTheAskTimeout() throws Exception {
    Map<String, Object> settings = new HashMap<>(TestDatabase.h2("bounded"));
    settings.put("lims.http.ask-timeout", "500ms");
    ActorTestKit kit = ActorTestKit.create("bounded", NodeConfig.load("test", settings).withFallback(ConfigFactory.load()));
    CountDownLatch stuck = new CountDownLatch(1);
    try {
      Database database = Database.get(kit.system());
      long start = System.nanoTime();
      CompletableFuture<Integer> call = database.withConnection(c -> {
        try {
          stuck.await(); // a statement whose server never answers
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
        return 1;
      }).toCompletableFuture();
      ExecutionException failed = assertThrows(ExecutionException.class, () -> call.get(10, TimeUnit.SECONDS));
      long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertInstanceOf(Database.DatabaseUnavailable.class, failed.getCause());
      assertEquals("no answer from the database within 500 ms", failed.getCause().getMessage());
      assertTrue(tookMs >= 500 && tookMs < 3_000, "answered after " + tookMs + " ms");
    } finally {
      stuck.countDown();
      kit.shutdownTestKit();
    }
  }

  @Test
  void aServerThatEndsTheSessionIsUnavailableNotAFault() {
    // pg_ctl stop -m fast ends every session with 57P01; a crashed server's restart, 57P02; one starting up refuses with 57P03.
    for (String state : new String[] {"57P01", "57P02", "57P03", "08006"}) {
      assertTrue(Database.isConnectionFailure(new SQLException("lost", state)), state);
    }
    assertFalse(Database.isConnectionFailure(new SQLException("no such table", "42P01")));
    assertFalse(Database.isConnectionFailure(new SQLException("canceled by statement_timeout", "57014")));
  }

  @Test
  void theMigrationsConnectionToAServerThatNeverAnswersFailsAtItsTimeOut() throws Exception {
    // A frozen PostgreSQL: the kernel accepts the connection, nobody ever answers.
    try (java.net.ServerSocket silent = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())) {
      var config = ConfigFactory.parseMap(Map.of("url", "jdbc:postgresql://127.0.0.1:" + silent.getLocalPort() + "/lims", "user", "lims",
          "password", "", "migration-connect-timeout", "2s"));
      org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(10),
          () -> assertThrows(SQLException.class, () -> Database.postgresMigrationSource(config).getConnection()),
          "the connection is given up at its 2 s time-out");
    }
  }
}
