package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.cluster.MemberStatus;
import org.apache.pekko.cluster.typed.Cluster;
import org.apache.pekko.cluster.typed.Join;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pause fence on real cluster members in one JVM: held side effects run again once another
 * member vouches for this incarnation; a lone member is clear at once; a witness vouches only for
 * the incarnation it sees Up. (The frozen process itself: acceptance's ClusterUnderFaultsTest.)
 */
class PauseFenceTest {

  static final Config CONFIG = ConfigFactory.parseString("""
      pekko.actor.provider = cluster
      pekko.remote.artery.canonical.hostname = "127.0.0.1"
      pekko.remote.artery.canonical.port = 0
      pekko.cluster.jmx.enabled = off
      lims.cluster.pause-fence { threshold = 2s, tick = 200ms, ask-timeout = 1s, hold-at-most = 60s }
      """).withFallback(ConfigFactory.parseResources("serialization.conf"));

  ActorTestKit first;
  ActorTestKit second;

  @AfterEach
  void stop() {
    if (second != null) second.shutdownTestKit();
    if (first != null) first.shutdownTestKit();
  }

  static ActorTestKit member(ActorTestKit seed) {
    ActorTestKit kit = ActorTestKit.create("lims", CONFIG);
    Cluster cluster = Cluster.get(kit.system());
    cluster.manager().tell(Join.create(seed == null ? cluster.selfMember().address() : Cluster.get(seed.system()).selfMember().address()));
    PauseFence.get(kit.system());
    return kit;
  }

  static void awaitUp(ActorTestKit kit, int members) {
    kit.createTestProbe().awaitAssert(Duration.ofSeconds(20), () -> {
      long up = java.util.stream.StreamSupport.stream(Cluster.get(kit.system()).state().getMembers().spliterator(), false)
          .filter(m -> m.status() == MemberStatus.up()).count();
      assertEquals(members, up);
      return null;
    });
  }

  @Test
  void aHeldNodeActsAgainOnceAnotherMemberVouchesForIt() throws Exception {
    first = member(null);
    awaitUp(first, 1);
    second = member(first);
    awaitUp(first, 2);
    awaitUp(second, 2);
    PauseFence fence = PauseFence.get(second.system());
    fence.hold(TimeUnit.SECONDS.toNanos(9)).get(10, TimeUnit.SECONDS);
    assertEquals("vouched for by " + Cluster.get(first.system()).selfMember().address(), fence.released());
    assertTrue(fence.clear().toCompletableFuture().isDone(), "clear again");
  }

  @Test
  void aLoneMemberHasNoOneWhoCouldHaveTakenOverAndIsClearAtOnce() throws Exception {
    first = member(null);
    awaitUp(first, 1);
    PauseFence fence = PauseFence.get(first.system());
    fence.hold(TimeUnit.SECONDS.toNanos(9)).get(5, TimeUnit.SECONDS);
    assertEquals("no other member could have taken this node's entities over", fence.released());
  }

  @Test
  void aWitnessVouchesOnlyForTheIncarnationItSeesUp() {
    first = member(null);
    awaitUp(first, 1);
    var witness = first.spawn(PauseFence.witness(Cluster.get(first.system()), () -> false));
    var self = Cluster.get(first.system()).selfMember().uniqueAddress();
    TestProbe<PauseFence.Vouched> probe = first.createTestProbe();
    witness.tell(new PauseFence.Vouch(self.address().toString(), self.longUid(), probe.ref()));
    assertTrue(probe.receiveMessage().up());
    witness.tell(new PauseFence.Vouch(self.address().toString(), self.longUid() + 1, probe.ref()));
    assertFalse(probe.receiveMessage().up(), "an earlier incarnation at the same address, removed");
    witness.tell(new PauseFence.Vouch("pekko://lims@127.0.0.1:1", self.longUid(), probe.ref()));
    assertFalse(probe.receiveMessage().up(), "not a member");
    var heldWitness = first.spawn(PauseFence.witness(Cluster.get(first.system()), () -> true));
    heldWitness.tell(new PauseFence.Vouch(self.address().toString(), self.longUid(), probe.ref()));
    assertFalse(probe.receiveMessage().up(), "a witness that was frozen itself vouches for no one");
  }
}
