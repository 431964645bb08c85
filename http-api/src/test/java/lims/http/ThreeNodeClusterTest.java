package lims.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import lims.kernel.testing.TestDatabase;
import lims.security.UserAccount;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.sharding.ShardRegion;
import org.apache.pekko.cluster.sharding.typed.GetShardRegionState;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.typed.Cluster;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** Three nodes in one JVM on one PostgreSQL database, joined as one cluster. */
@Tag("postgresql")
class ThreeNodeClusterTest {

  private final List<TestNode> nodes = new ArrayList<>();

  @AfterEach
  void stopAll() throws Exception {
    for (TestNode node : nodes) node.close();
  }

  @Test
  void anEntityIsReachableFromEveryNodeAndKeepsItsStateWhenItsNodeLeaves() throws Exception {
    Map<String, Object> database = TestDatabase.postgresql("cluster");
    // Gauges refreshed often, so every node has decided whether it reports them by the time all are up.
    Map<String, Object> gauges = Map.of("lims.scheduling.gauge-interval", "200ms");
    TestNode first = TestNode.start(database, gauges);
    nodes.add(first);
    String seed = Cluster.get(first.node.system()).selfMember().address().toString();
    for (int i = 0; i < 2; i++) {
      nodes.add(TestNode.start(database, Map.of("lims.cluster.seed-nodes", seed, "lims.scheduling.gauge-interval", "200ms")));
    }
    awaitUpMembers(nodes, 3);
    onlyTheLeaderReportsClusterWideGauges();

    String admin = first.adminToken();
    nodes.get(1).api.createUser(admin, "carol", "carol-password-1", "scientist");
    for (TestNode node : nodes) {
      JsonNode carol = node.api.get("/api/v1/users/carol", admin).json();
      assertEquals("[\"scientist\"]", carol.get("roles").toString(), "read through " + node.node.baseUrl());
      node.api.login("carol", "carol-password-1");
    }

    TestNode host = nodeHosting("carol");
    String hostAddress = Cluster.get(host.node.system()).selfMember().address().toString();
    host.close();
    nodes.remove(host);
    awaitUpMembers(nodes, 2);
    onlyTheLeaderReportsClusterWideGauges();

    for (TestNode node : nodes) {
      ApiClient.Reply reply = node.api.get("/api/v1/users/carol", admin);
      assertEquals(200, reply.status(), reply.body());
      assertEquals("[\"scientist\"]", reply.json().get("roles").toString());
      assertEquals("admin", reply.json().get("created_by").asText());
    }
    String carol = nodes.get(0).api.login("carol", "carol-password-1");
    assertEquals("carol", nodes.get(1).api.get("/api/v1/auth/me", carol).json().get("username").asText());
    String newHost = Cluster.get(nodeHosting("carol").node.system()).selfMember().address().toString();
    assertTrue(!newHost.equals(hostAddress), "carol now lives on " + newHost + ", not on the node that left");
  }

  /** Counts of the whole cluster's read tables appear once across the nodes' metrics: on the leader's. */
  private void onlyTheLeaderReportsClusterWideGauges() {
    nodes.get(0).eventually(() -> {
      List<String> reporting = new ArrayList<>();
      for (TestNode node : nodes) {
        if (node.api.get("/metrics", null).body().contains("\nlims_lab_test_dead_letters ")) {
          reporting.add(Cluster.get(node.node.system()).selfMember().address().toString());
        }
      }
      String leader = String.valueOf(Cluster.get(nodes.get(0).node.system()).state().getLeader());
      assertEquals(List.of(leader), reporting);
    });
  }

  private TestNode nodeHosting(String username) {
    for (TestNode node : nodes) {
      TestProbe<ShardRegion.CurrentShardRegionState> probe = TestProbe.create(node.node.system());
      ClusterSharding.get(node.node.system()).shardState().tell(new GetShardRegionState(UserAccount.TYPE, probe.ref()));
      ShardRegion.CurrentShardRegionState state = probe.receiveMessage(Duration.ofSeconds(10));
      boolean hosts = state.getShards().stream().anyMatch(s -> s.getEntityIds().contains(username));
      if (hosts) return node;
    }
    throw new AssertionError("no node hosts " + username);
  }

  /** Waits until every one of {@code nodes} sees {@code count} Up members (EventStreamClusterTest too). */
  static void awaitUpMembers(List<TestNode> nodes, int count) {
    for (TestNode node : nodes) {
      TestProbe<Object> probe = TestProbe.create(node.node.system());
      probe.awaitAssert(Duration.ofSeconds(40), () -> {
        long up = 0;
        for (var member : Cluster.get(node.node.system()).state().getMembers()) {
          if (member.status() == MemberStatus.up()) up++;
        }
        assertEquals(count, up, "Up members seen by " + node.node.baseUrl());
        return null;
      });
    }
  }
}
