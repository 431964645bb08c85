package lims.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import lims.bench.cluster.Await;
import lims.bench.cluster.LaunchedNode;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two packaged cluster nodes; the first (the oldest, where the shard coordinators run) is
 * killed and, with a long stable-after, not yet downed. The survivor is still an Up member
 * whose database answers, but no coordinator answers it: new shards cannot be placed, and its
 * /ready must say so, on both ports, naming the sharding check (decision 0039). Before this
 * check, such a node answered 200 while the cluster could not write.
 */
@Tag("postgresql")
class CoordinatorLossTest {

  /** The readiness check time-out's default, and room for the answer on a loaded machine. */
  static final long CHECK_MS = 3_000;
  static final long MARGIN_MS = 1_500;

  @Test
  void aSurvivorWhoseCoordinatorIsUnreachableIsNotReadyAndSaysWhy() throws Exception {
    Map<String, Object> database = TestDatabase.postgresql("coordinator");
    String adminPassword = "coordinator-admin-" + UUID.randomUUID();
    Map<String, String> env = new HashMap<>(ProductJourneyTest.clusterEnv(String.valueOf(database.get("lims.database.password")), adminPassword));
    // The window this test looks into: the killed node stays unreachable, not downed, for minutes.
    env.put("LIMS_SBR_STABLE_AFTER", "10m");
    int firstRemote = LaunchedNode.freePort();
    String seed = "127.0.0.1:" + firstRemote;
    int survivorManagement = LaunchedNode.freePort();
    try (LaunchedNode first = LaunchedNode.start(ProductJourneyTest.workDir().resolve("coordinator-first-console.txt"), env, List.of(), args(database, firstRemote, LaunchedNode.freePort(), seed))) {
      first.awaitConsole(ProductJourneyTest.UP, LaunchedNode.START_BOUND); // the oldest member: the coordinators run here
      try (LaunchedNode survivor = LaunchedNode.start(ProductJourneyTest.workDir().resolve("coordinator-survivor-console.txt"), env, List.of(), args(database, LaunchedNode.freePort(), survivorManagement, seed))) {
        survive(first, survivor, survivorManagement);
      }
    }
  }

  private static void survive(LaunchedNode first, LaunchedNode survivor, int survivorManagement) throws Exception {
    Client http = new Client(survivor.awaitConsole(ProductJourneyTest.UP, LaunchedNode.START_BOUND));
    Client management = new Client("http://127.0.0.1:" + survivorManagement);
    Await.untilPasses(ProductJourneyTest.SETTLE, () -> {
      assertEquals(200, http.get("/ready").status(), http.get("/ready").body());
      assertEquals(200, management.get("/ready").status(), management.get("/ready").body());
    });

    first.kill();
    for (Client port : List.of(http, management)) {
      Await.untilPasses(Duration.ofMinutes(1), () -> {
        long start = System.nanoTime();
        Client.Reply reply = port.get("/ready");
        long tookMs = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
        assertEquals(503, reply.status(), reply.body());
        assertTrue(reply.contentType().startsWith("application/problem+json"), reply.contentType());
        JsonNode checks = reply.json().get("checks");
        assertTrue(!checks.get("sharding").asText().equals("ok"), reply.body());
        assertEquals("ok", checks.get("membership").asText(), "the survivor is still an Up member: " + reply.body());
        assertEquals("ok", checks.get("database").asText(), reply.body());
        assertTrue(reply.json().get("detail").asText().contains("sharding: "), reply.body());
        assertTrue(tookMs < CHECK_MS + MARGIN_MS, "/ready took " + tookMs + " ms");
        System.out.println(port.baseUrl + "/ready without a coordinator, in " + tookMs + " ms: " + reply.body());
      });
    }
    // Leaving needs the unreachable node downed first: the survivor is stopped as the first was.
    survivor.kill();
  }

  static List<String> args(Map<String, Object> database, int remotePort, int managementPort, String seed) {
    return List.of("cluster",
        "--port", String.valueOf(LaunchedNode.freePort()),
        "--db-url", String.valueOf(database.get("lims.database.url")),
        "--db-user", String.valueOf(database.get("lims.database.user")),
        "--remote-port", String.valueOf(remotePort),
        "--management-port", String.valueOf(managementPort),
        "--seed-nodes", seed);
  }
}
