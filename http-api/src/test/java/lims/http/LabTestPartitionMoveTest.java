package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpServer;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import lims.kernel.testing.TestDatabase;
import lims.scheduling.LabTest;
import lims.scheduling.LabTestAction;
import lims.scheduling.LabTestPartition;
import lims.scheduling.LabTests;
import lims.scheduling.Schedule;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A firing partition handed to another node in the middle of a burst (decision 0064): three
 * nodes in one JVM on one PostgreSQL, a thousand one-time tests due at one instant, and the
 * node that holds the most of them leaves at that instant. Every execution is called, and
 * none twice: the leaving partition starts nothing new and stops once the outcomes of its
 * calls under way are written, and its next home resumes the executions it had started.
 */
@Tag("postgresql")
class LabTestPartitionMoveTest {

  static final int TESTS = 1000;

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (TestNode node : nodes) node.close();
  }

  @Test
  void aPartitionMovedMidBurstFiresEveryTestOnceAndNoneTwice() throws Exception {
    Map<String, AtomicInteger> calls = new ConcurrentHashMap<>();
    // A backlog for the burst: a thousand calls open their connections at one instant.
    HttpServer receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), TESTS);
    receiver.setExecutor(java.util.concurrent.Executors.newFixedThreadPool(16));
    receiver.createContext("/burst", exchange -> {
      calls.computeIfAbsent(exchange.getRequestHeaders().getFirst("Idempotency-Key"), k -> new AtomicInteger()).incrementAndGet();
      exchange.sendResponseHeaders(200, -1);
      exchange.close();
    });
    receiver.start();
    try {
      Map<String, Object> database = TestDatabase.postgresql("partition_move");
      TestNode first = TestNode.start(database);
      nodes.add(first);
      String seed = Cluster.get(first.node.system()).selfMember().address().toString();
      for (int i = 0; i < 2; i++) nodes.add(TestNode.start(database, Map.of("lims.cluster.seed-nodes", seed)));
      ThreeNodeClusterTest.awaitUpMembers(nodes, 3);
      awaitPartitionsSpread();

      Instant due = Instant.now().plusSeconds(20);
      LabTest.Definition definition = new LabTest.Definition("burst", "check", null, List.of(), Schedule.once(due),
          new LabTestAction("http", Map.of("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/burst")), 0, LabTest.FIRE_ONCE);
      List<String> ids = new ArrayList<>();
      List<CompletableFuture<LabTest.Reply>> created = new ArrayList<>();
      for (int i = 0; i < TESTS; i++) {
        String id = LabTests.newId();
        ids.add(id);
        created.add(nodes.get(i % 3).node.labTests().ask(id, r -> new LabTest.Create(definition, "test", null, r)).toCompletableFuture());
      }
      CompletableFuture.allOf(created.toArray(CompletableFuture[]::new)).get(60, TimeUnit.SECONDS);
      assertTrue(Instant.now().isBefore(due.minusSeconds(2)), "created in time for the burst");

      TestNode leaving = nodeHoldingMostOf(ids);
      while (Instant.now().isBefore(due)) LockSupport.parkNanos(1_000_000);
      leaving.close(); // graceful: its partitions are handed to the other two
      nodes.remove(leaving);

      Set<String> expected = new HashSet<>();
      for (String id : ids) expected.add(LabTest.executionId(id, due));
      try {
        nodes.get(0).eventually(Duration.ofSeconds(60), () -> assertEquals(expected, calls.keySet(), "every execution called"));
      } catch (AssertionError missed) {
        Set<String> uncalled = new HashSet<>(expected);
        uncalled.removeAll(calls.keySet());
        String why = String.format("%d executions uncalled; execution rows: %d started, %d succeeded, %d failed; the failed ones' logs: %s",
            uncalled.size(), executions("started"), executions("succeeded"), executions("failed"),
            nodes.get(0).text("SELECT string_agg(started_at || ' ' || finished_at || ' ' || log, ' | ') FROM lab_test_execution WHERE status = 'failed'"));
        throw new AssertionError(why, missed);
      }
      nodes.get(0).eventually(Duration.ofSeconds(60), () -> assertEquals(TESTS,
          nodes.get(0).count("SELECT COUNT(*) FROM lab_test_execution WHERE status = 'succeeded'")));
      List<String> twice = calls.entrySet().stream().filter(e -> e.getValue().get() > 1).map(Map.Entry::getKey).toList();
      assertEquals(List.of(), twice, "no execution called twice");
    } finally {
      receiver.stop(0);
    }
  }

  private long executions(String status) {
    return nodes.get(0).count("SELECT COUNT(*) FROM lab_test_execution WHERE status = ?", status);
  }

  /**
   * Waits until the joiners have taken their share of the partitions: a partition handed off
   * while a command is on its way to it drops the command (Pekko keeps order that way), and the
   * burst is created afterwards.
   */
  private void awaitPartitionsSpread() {
    nodes.get(0).eventually(Duration.ofSeconds(60), () -> {
      List<Integer> held = new ArrayList<>();
      for (TestNode node : nodes) held.add(partitionsHeldBy(node).size());
      assertTrue(held.stream().mapToInt(Integer::intValue).sum() == 64 && java.util.Collections.max(held) - java.util.Collections.min(held) <= 1,
          "partitions spread over the three nodes: " + held);
    });
  }

  private static Set<String> partitionsHeldBy(TestNode node) {
    TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.node.system());
    ClusterSharding.get(node.node.system()).shardState().tell(new GetShardRegionState(LabTestPartition.TYPE, probe.ref()));
    Set<String> held = new HashSet<>();
    probe.receiveMessage(Duration.ofSeconds(10)).getShards().forEach(s -> held.addAll(s.getEntityIds()));
    return held;
  }

  /** The node whose region holds the partitions of the most of these tests. */
  private TestNode nodeHoldingMostOf(List<String> ids) {
    Map<String, Integer> testsPerPartition = new java.util.HashMap<>();
    for (String id : ids) testsPerPartition.merge(nodes.get(0).node.labTests().partitionOf(id), 1, Integer::sum);
    TestNode most = null;
    int mostTests = -1;
    for (TestNode node : nodes) {
      int held = partitionsHeldBy(node).stream().mapToInt(p -> testsPerPartition.getOrDefault(p, 0)).sum();
      if (held > mostTests) {
        most = node;
        mostTests = held;
      }
    }
    assertTrue(mostTests > 0, "some node holds the tests' partitions");
    return most;
  }
}
