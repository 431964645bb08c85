package lims.acceptance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import lims.bench.cluster.Await;
import lims.bench.cluster.LaunchedNode;
import lims.kernel.testing.TestDatabase;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Two cluster nodes as {@code ./lims node} starts them; the oldest (which hosts the shard
 * coordinator and the singletons) is killed. The survivor is no majority of two, so a
 * majority rule downs it as well and the whole cluster stops; with the lease in the database
 * (decision 0038) it takes the lease, downs the dead node, and the dead node's devices answer
 * writes on the survivor again. This is also what three nodes face when one crashes while
 * another is still restarting.
 */
@Tag("postgresql")
class TwoNodeFailoverTest {

  /** The goal is 15 s on an otherwise idle machine; CI shares two cores with the test. */
  static final Duration FAILOVER_BOUND = Duration.ofSeconds(25);

  @Test
  void whenTheOldestOfTwoNodesCrashesTheOtherTakesOverItsDevices() throws Exception {
    Map<String, Object> database = TestDatabase.postgresql("two_nodes");
    String adminPassword = "two-nodes-admin-" + UUID.randomUUID();
    int remoteA = LaunchedNode.freePort();
    int remoteB = LaunchedNode.freePort();
    String seeds = "127.0.0.1:" + remoteA + ",127.0.0.1:" + remoteB;
    Map<String, String> env = Map.of(
        "LIMS_DB_PASSWORD", String.valueOf(database.get("lims.database.password")),
        "LIMS_JWT_SECRET", UUID.randomUUID() + "-" + UUID.randomUUID(),
        "LIMS_ADMIN_PASSWORD", adminPassword);
    try (LaunchedNode oldest = LaunchedNode.start(ProductJourneyTest.workDir().resolve("two-nodes-a-console.txt"), env, List.of(), args(database, remoteA, seeds))) {
      oldest.awaitConsole(ProductJourneyTest.UP, LaunchedNode.START_BOUND);
      try (LaunchedNode survivor = LaunchedNode.start(ProductJourneyTest.workDir().resolve("two-nodes-b-console.txt"), env, List.of(), args(database, remoteB, seeds))) {
        Client admin = new Client(survivor.awaitConsole(ProductJourneyTest.UP, LaunchedNode.START_BOUND)).as("admin", adminPassword);
        List<String> devices = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          devices.add("pair-" + i);
          admin.post("/api/v1/devices", Map.of("id", "pair-" + i, "name", "Pair " + i, "type", "incubator")).expect(201);
        }
        // Both members serve shards once a write to every device succeeds through the survivor.
        Await.untilPasses(Duration.ofSeconds(60), () -> devices.forEach(d -> admin.put("/api/v1/devices/" + d + "/status", Map.of("status", "available")).expect(200)));

        long killed = System.nanoTime();
        oldest.kill();
        // One prober per device, each sending its next write as soon as the last one answered:
        // a write buffered while its shard has no home is answered the moment it gets one.
        Map<String, Long> answeredAfterMs = new ConcurrentHashMap<>();
        Map<Integer, Integer> statuses = new ConcurrentHashMap<>();
        long deadline = killed + FAILOVER_BOUND.toNanos();
        ExecutorService probers = Executors.newFixedThreadPool(devices.size());
        try {
          for (String device : devices) {
            probers.submit(() -> {
              while (System.nanoTime() < deadline) {
                int status = admin.put("/api/v1/devices/" + device + "/status", Map.of("status", "maintenance")).status();
                statuses.merge(status, 1, Integer::sum);
                if (status == 200) {
                  answeredAfterMs.put(device, Duration.ofNanos(System.nanoTime() - killed).toMillis());
                  return;
                }
              }
            });
          }
          probers.shutdown();
          assertTrue(probers.awaitTermination(FAILOVER_BOUND.toSeconds() + 40, TimeUnit.SECONDS), "the probers stop by their deadline");
        } finally {
          probers.shutdownNow();
        }
        System.out.printf("two nodes: after the oldest was killed, each device answered a write on the survivor within %s ms; answers %s%n",
            new TreeMap<>(answeredAfterMs), statuses);
        assertEquals(Set.copyOf(devices), answeredAfterMs.keySet(), "every device answers on the survivor within " + FAILOVER_BOUND.toSeconds() + " s; statuses " + statuses);
        assertEquals(Set.of(), statuses.keySet().stream().filter(s -> s != 200 && s != 503).collect(Collectors.toSet()),
            "while the shards move a write answers 200 or 503, nothing else");
        assertTrue(survivor.isAlive(), "the survivor keeps running:\n" + survivor.console());
        Await.untilPasses(Duration.ofSeconds(20), () -> admin.get("/ready").expect(200));
      }
    }
  }

  private static List<String> args(Map<String, Object> database, int remotePort, String seeds) {
    return List.of("cluster",
        "--port", String.valueOf(LaunchedNode.freePort()),
        "--db-url", String.valueOf(database.get("lims.database.url")),
        "--db-user", String.valueOf(database.get("lims.database.user")),
        "--remote-port", String.valueOf(remotePort),
        "--seed-nodes", seeds,
        "--management-port", String.valueOf(LaunchedNode.freePort()));
  }
}
