package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lims.kernel.testing.ManualClock;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.LeaseProvider;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The split-brain resolver's lease (decision 0038) on the real database: one holder at a
 * time, even when many nodes race for it; the holder may take it again; a release or the
 * lapse of a crashed holder's time frees it.
 */
@Tag("database")
class DatabaseLeaseTest {

  static ActorTestKit kit;
  static Database database;
  static Config node;

  @BeforeAll
  static void start() {
    node = NodeConfig.load("test", TestDatabase.fresh("lease")).withFallback(ConfigFactory.load());
    kit = ActorTestKit.create("lease", node);
    database = Database.get(kit.system());
  }

  @AfterAll
  static void stop() {
    if (kit != null) kit.shutdownTestKit();
  }

  @Test
  void oneNodeHoldsTheLeaseUntilItReleasesOrItsTimeLapses() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-02T01:00:00Z"));
    DatabaseLease a = lease("one", "10.0.0.1:25520", clock);
    DatabaseLease b = lease("one", "10.0.0.2:25520", clock);

    assertTrue(taken(a), "a free lease is taken");
    assertTrue(a.checkLease());
    assertFalse(taken(b), "a held lease is not");
    assertFalse(b.checkLease());
    assertTrue(taken(a), "its holder takes it again (a restarted node at the same address too)");

    assertTrue(a.release().toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertFalse(a.checkLease());
    assertTrue(taken(b), "a released lease is taken");

    // b crashes holding it: a waits out its time (heartbeat-timeout, 10 s in node.conf).
    clock.advance(Duration.ofSeconds(9));
    assertFalse(taken(a), "still within the crashed holder's time");
    clock.advance(Duration.ofSeconds(2));
    assertFalse(b.checkLease(), "the holder itself no longer counts on it");
    assertTrue(taken(a), "lapsed");
  }

  @Test
  void whenManyNodesRaceForTheLeaseExactlyOneTakesIt() throws Exception {
    ManualClock clock = new ManualClock(Instant.parse("2026-12-02T01:00:00Z"));
    for (int round = 0; round < 5; round++) {
      List<CompletableFuture<Boolean>> racers = new ArrayList<>();
      for (int n = 0; n < 8; n++) {
        racers.add(lease("race-" + round, "10.0.1." + n + ":25520", clock).acquire().toCompletableFuture());
      }
      long winners = 0;
      for (CompletableFuture<Boolean> racer : racers) {
        if (racer.get(20, TimeUnit.SECONDS)) winners++;
      }
      assertEquals(1, winners, "round " + round);
    }
  }

  @Test
  void theResolverFindsTheLeaseThroughTheShippedConfiguration() {
    var lease = LeaseProvider.get(Adapter.toClassic(kit.system())).getLease("lims-sbr",
        node.getString("pekko.cluster.split-brain-resolver.lease-majority.lease-implementation"), "10.0.0.9:25520");
    assertEquals("lims-sbr", lease.getSettings().leaseName());
    assertEquals(Duration.ofSeconds(10), lease.getSettings().timeoutSettings().getHeartbeatTimeout());
    assertEquals("lease-majority", NodeConfig.load("cluster", java.util.Map.of(), java.util.Map.of())
        .getString("pekko.cluster.split-brain-resolver.active-strategy"));
  }

  private static DatabaseLease lease(String name, String owner, ManualClock clock) {
    Config section = node.getConfig("lims.cluster.lease").withFallback(node.getConfig("pekko.coordination.lease"));
    return new DatabaseLease(LeaseSettings.apply(section, name, owner), () -> database, clock);
  }

  private static boolean taken(DatabaseLease lease) throws Exception {
    return lease.acquire().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
