package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** /ready is 503 until the node is an Up member and while its database does not answer. */
class ReadinessTest {

  @Test
  void aNodeThatHasNotJoinedIsAliveButNotReady() throws Exception {
    // The only seed node does not exist, so this node never becomes Up.
    try (TestNode node = TestNode.startUnjoined(TestDatabase.h2("unjoined"), Map.of("lims.cluster.seed-nodes", "127.0.0.1:9"))) {
      assertEquals(200, node.api.get("/health", null).status());
      problem(node.api.get("/ready", null), 503);
    }
  }

  @Test
  @Tag("postgresql")
  void aNodeWhoseDatabaseStopsAnsweringIsNotReadyUntilItAnswersAgain() throws Exception {
    Map<String, Object> database = TestDatabase.postgresql("readiness");
    String url = (String) database.get("lims.database.url");
    String name = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
    try (TestNode node = TestNode.start(database)) {
      assertEquals(200, node.api.get("/ready", null).status());
      admin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false",
          "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + name + "'");
      TestProbe<Object> probe = TestProbe.create(node.node.system());
      probe.awaitAssert(Duration.ofSeconds(30), () -> {
        problem(node.api.get("/ready", null), 503);
        return null;
      });
      assertEquals(200, node.api.get("/health", null).status());
      admin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
      probe.awaitAssert(Duration.ofSeconds(30), () -> {
        assertEquals(200, node.api.get("/ready", null).status());
        return null;
      });
    }
  }

  private static void admin(String... statements) throws Exception {
    try (Connection c = DriverManager.getConnection(System.getenv("LIMS_TEST_PG_URL"),
            System.getenv().getOrDefault("LIMS_TEST_PG_USER", "lims"), System.getenv().getOrDefault("LIMS_TEST_PG_PASSWORD", ""));
        Statement s = c.createStatement()) {
      for (String sql : statements) s.execute(sql);
    }
  }
}
