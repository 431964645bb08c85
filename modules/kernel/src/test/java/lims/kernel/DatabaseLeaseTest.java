package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import lims.kernel.testing.TestDatabase;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.typed.javadsl.Adapter;
import org.apache.pekko.coordination.lease.LeaseSettings;
import org.apache.pekko.coordination.lease.javadsl.LeaseProvider;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The split-brain resolver's lease (decision 0038) on the real database: one holder at a
 * time, even when many nodes race for it; renewed while held; a member on the holder's own
 * side may take it over; a crashed holder's lapses after its time, on the database's clock.
 * The lease time here is 1.5 s (5 s shipped), so a lapse is waited for, not simulated.
 */
@Tag("database")
class DatabaseLeaseTest {

  static final Duration TTL = Duration.ofMillis(1500);

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
  void oneNodeHoldsTheLeaseAndRenewsItUntilItReleasesIt() throws Exception {
    DatabaseLease a = lease("one", "lims@10.0.0.1:25520");
    DatabaseLease b = lease("one", "lims@10.0.0.2:25520");

    assertTrue(taken(a), "a free lease is taken");
    assertTrue(a.checkLease());
    assertFalse(taken(b), "a held lease is not");
    assertFalse(b.checkLease());
    assertTrue(taken(a), "its holder takes it again (a restarted node at the same address too)");

    // Three lease times: a renews it, so b never gets it.
    long until = System.nanoTime() + TTL.multipliedBy(3).toNanos();
    while (System.nanoTime() < until) {
      assertFalse(taken(b), "renewed while held");
      assertTrue(a.checkLease());
    }

    assertTrue(a.release().toCompletableFuture().get(10, TimeUnit.SECONDS));
    assertFalse(a.checkLease());
    assertTrue(taken(b), "a released lease is taken");
    b.release().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aCrashedHoldersLeaseLapsesAfterItsTime() throws Exception {
    DatabaseLease crashed = lease("two", "lims@10.0.0.1:25520");
    DatabaseLease next = lease("two", "lims@10.0.0.2:25520");
    assertTrue(taken(crashed));
    long crashedAt = System.nanoTime();
    crashed.abandon();
    assertFalse(taken(next), "within the crashed holder's time");
    long deadline = crashedAt + TTL.plusSeconds(5).toNanos();
    while (!taken(next)) assertTrue(System.nanoTime() < deadline, "lapsed within its time and a margin");
    assertTrue(Duration.ofNanos(System.nanoTime() - crashedAt).compareTo(TTL.minusMillis(300)) > 0, "not before its time");
    next.release().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }

  @Test
  void aMemberOnTheHoldersSideTakesItOverAndOneOutOfReachDoesNot() throws Exception {
    DatabaseLease holder = lease("three", "lims@10.0.0.1:25520");
    DatabaseLease sameSide = new DatabaseLease(settings("three", "lims@10.0.0.2:25520"), database::dataSource, "lims@10.0.0.1:25520"::equals);
    DatabaseLease otherSide = lease("three", "lims@10.0.0.3:25520");
    assertTrue(taken(holder));
    assertFalse(taken(otherSide), "the holder is out of its reach");
    assertTrue(taken(sameSide), "a new leader on the holder's side is not refused by its own side's lease");
    assertFalse(taken(otherSide));
    sameSide.release().toCompletableFuture().get(10, TimeUnit.SECONDS);
    holder.abandon();
  }

  @Test
  void whenManyNodesRaceForTheLeaseExactlyOneTakesIt() throws Exception {
    for (int round = 0; round < 5; round++) {
      List<DatabaseLease> racers = new ArrayList<>();
      List<CompletableFuture<Boolean>> answers = new ArrayList<>();
      for (int n = 0; n < 8; n++) racers.add(lease("race-" + round, "lims@10.0.1." + n + ":25520"));
      for (DatabaseLease racer : racers) answers.add(racer.acquire().toCompletableFuture());
      long winners = 0;
      for (CompletableFuture<Boolean> answer : answers) {
        if (answer.get(20, TimeUnit.SECONDS)) winners++;
      }
      assertEquals(1, winners, "round " + round);
      racers.forEach(DatabaseLease::abandon);
    }
  }

  @Test
  void theResolverFindsTheLeaseThroughTheShippedConfiguration() {
    var lease = LeaseProvider.get(Adapter.toClassic(kit.system())).getLease("lims-sbr",
        node.getString("pekko.cluster.split-brain-resolver.lease-majority.lease-implementation"), "lims@10.0.0.9:25520");
    assertEquals("lims-sbr", lease.getSettings().leaseName());
    assertEquals(Duration.ofSeconds(5), lease.getSettings().timeoutSettings().getHeartbeatTimeout());
    assertEquals("lease-majority", NodeConfig.load("cluster", Map.of(), Map.of()).getString("pekko.cluster.split-brain-resolver.active-strategy"));
  }

  private static DatabaseLease lease(String name, String owner) {
    return new DatabaseLease(settings(name, owner), database::dataSource, member -> false);
  }

  private static LeaseSettings settings(String name, String owner) {
    Config section = ConfigFactory.parseMap(Map.of("heartbeat-timeout", TTL.toMillis() + "ms", "heartbeat-interval", "300ms", "lease-operation-timeout", "3s"))
        .withFallback(node.getConfig("lims.cluster.lease"));
    return LeaseSettings.apply(section, name, owner);
  }

  private static boolean taken(DatabaseLease lease) throws Exception {
    return lease.acquire().toCompletableFuture().get(10, TimeUnit.SECONDS);
  }
}
