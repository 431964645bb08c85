package lims.http;

import static lims.http.HttpConventionsTest.problem;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import com.fasterxml.jackson.databind.JsonNode;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * /ready is 200 with every check passing on an Up node, and 503 naming the failing checks
 * until the node is an Up member and while its database does not answer (decision 0039).
 */
class ReadinessTest {

  @Test
  void anUpNodeIsReadyAndSaysWhichChecksPassed() throws Exception {
    try (TestNode node = TestNode.start(TestDatabase.h2("ready"))) {
      node.eventually(() -> {
        JsonNode body = node.api.get("/ready", null).json();
        assertEquals("ready", body.path("status").asText(), body.toString());
        for (String check : List.of("membership", "sharding", "journal", "database")) {
          assertEquals("ok", body.path("checks").path(check).asText(), check + " in " + body);
        }
      });
    }
  }

  @Test
  void aNodeThatHasNotJoinedIsAliveButNotReady() throws Exception {
    // The only seed node does not exist, so this node never becomes Up.
    try (TestNode node = TestNode.startUnjoined(TestDatabase.h2("unjoined"), Map.of("lims.cluster.seed-nodes", "127.0.0.1:9"))) {
      assertEquals(200, node.api.get("/health", null).status());
      JsonNode problem = problem(node.api.get("/ready", null), 503);
      String detail = problem.get("detail").asText();
      assertTrue(detail.contains("membership: not an Up cluster member"), detail);
      assertTrue(detail.contains("sharding: this node's shard regions are not registered with a coordinator"), detail);
      assertEquals("ok", problem.path("checks").path("database").asText(), problem.toString());
    }
  }

  @Test
  @Tag("postgresql")
  void aNodeWhoseDatabaseStopsAnsweringIsNotReadyUntilItAnswersAgain() throws Exception {
    Map<String, Object> database = TestDatabase.postgresql("readiness");
    String url = (String) database.get("lims.database.url");
    String name = url.substring(url.lastIndexOf('/') + 1, url.indexOf('?'));
    try (TestNode node = TestNode.start(database)) {
      node.eventually(() -> assertEquals(200, node.api.get("/ready", null).status()));
      admin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS false");
      terminate(name);
      // Every answer meanwhile is 200 (before the node notices) or 503 naming the database, within the check's bound.
      long bound = node.node.system().settings().config().getDuration("pekko.management.health-checks.check-timeout").toMillis();
      List<Integer> answers = new java.util.concurrent.CopyOnWriteArrayList<>();
      node.eventually(() -> {
        // Again each round: a connection the pool was opening when connections were refused may
        // have got through, and would keep the database check green for ever.
        terminate(name);
        long start = System.nanoTime();
        ApiClient.Reply reply = node.api.get("/ready", null);
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        answers.add(reply.status());
        assertTrue(tookMs < bound + 1_000, "/ready took " + tookMs + " ms");
        String detail = problem(reply, 503).get("detail").asText();
        assertTrue(detail.contains("database: "), detail);
      });
      assertTrue(answers.stream().allMatch(status -> status == 200 || status == 503), "only 200 or 503: " + answers);
      assertEquals(200, node.api.get("/health", null).status());
      admin("ALTER DATABASE " + name + " ALLOW_CONNECTIONS true");
      node.eventually(() -> assertEquals(200, node.api.get("/ready", null).status()));
    }
  }

  private static void terminate(String database) {
    try {
      admin("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'");
    } catch (Exception e) {
      throw new IllegalStateException(e);
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
