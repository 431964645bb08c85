package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.ServerSocket;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.Address;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.SelfUp;
import org.apache.pekko.cluster.typed.Subscribe;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A first seed node started while another node of the cluster is alive on the database does not
 * form a second cluster (decision 0047): it waits to be taken in, and forms one only once reads
 * have found no other node's presence younger than 10 s for 12 s on end (the whole cluster is down).
 */
@Tag("database")
class ClusterPresenceTest {

  ActorTestKit kit;
  ScheduledExecutorService beats = Executors.newSingleThreadScheduledExecutor();

  @AfterEach
  void stop() {
    beats.shutdownNow();
    if (kit != null) kit.shutdownTestKit();
  }

  @Test
  void aFirstSeedDoesNotFormASecondClusterWhileAnotherNodeIsAliveAndFormsOneWhenNoneIs() throws Exception {
    Config node = NodeConfig.load("test", TestDatabase.fresh("presence")).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("lims", node);
    Database database = Database.get(kit.system());
    Cluster cluster = Cluster.get(kit.system());
    Address self = cluster.selfMember().address();
    // The other member: alive by its row, but its port answers nothing (busy, as on a loaded machine).
    Address other;
    try (ServerSocket unused = new ServerSocket(0)) {
      other = new Address("pekko", "lims", "127.0.0.1", unused.getLocalPort());
    }
    present(database, other); // before the join reads it
    var beat = beats.scheduleWithFixedDelay(() -> present(database, other), 1, 1, TimeUnit.SECONDS);
    TestProbe<SelfUp> up = kit.createTestProbe();
    cluster.subscriptions().tell(Subscribe.create(up.ref(), SelfUp.class));

    ClusterPresence.join(kit.system(), List.of(self, other));
    // Pekko's first seed joins itself after the seed-node time-out (5 s) when no other seed answers.
    up.expectNoMessage(Duration.ofSeconds(8));

    beat.cancel(false); // the other node is gone: its row ages (10 s), then 12 s without a fresh row
    up.expectMessageClass(SelfUp.class, Duration.ofSeconds(45));
    // The read view behind selfMember() follows the event a moment later.
    up.awaitAssert(Duration.ofSeconds(5), () -> {
      assertEquals(MemberStatus.up(), cluster.selfMember().status());
      return null;
    });
    // Up, it writes its own presence for the next node that starts.
    up.awaitAssert(Duration.ofSeconds(10), () -> {
      assertTrue(ClusterPresence.othersAlive(database.dataSource(), other).orElseThrow().contains(self));
      return null;
    });
  }

  private static void present(Database database, Address node) {
    try (Connection c = database.dataSource().getConnection();
        PreparedStatement update = c.prepareStatement("UPDATE cluster_presence SET seen_at = ? WHERE address = ?");
        PreparedStatement insert = c.prepareStatement("INSERT INTO cluster_presence (address, seen_at) VALUES (?, ?)")) {
      long now = Database.now(c);
      update.setLong(1, now);
      update.setString(2, node.toString());
      if (update.executeUpdate() == 0) {
        insert.setString(1, node.toString());
        insert.setLong(2, now);
        insert.executeUpdate();
      }
    } catch (java.sql.SQLException e) {
      throw new IllegalStateException(e);
    }
  }
}
