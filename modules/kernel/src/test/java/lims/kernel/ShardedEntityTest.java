package lims.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import lims.kernel.testing.ManualClock;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.actor.testkit.typed.javadsl.TestProbe;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;

/**
 * A command's reply-by, checked where the entity handles it (decision 0040), on the in-memory
 * journal with a clock moved by hand. The testkit round-trips every command through CBOR, so
 * the envelope and the command inside it are also checked to cross nodes intact.
 */
class ShardedEntityTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  /** The smallest entity: a count that commands add to. */
  static final class Tally extends ShardedEntity<Tally.Command, Tally.Added, Tally.Count> {
    interface Command extends CborSerializable {}

    record Add(int amount, ActorRef<Count> replyTo) implements Command {}

    record Added(int amount) implements CborSerializable {}

    record Count(int total) implements CborSerializable {}

    Tally(String id, ManualClock clock) {
      super(PersistenceId.of("Tally", id), clock);
    }

    @Override
    public Count emptyState() {
      return new Count(0);
    }

    @Override
    protected CommandHandlerWithReply<Command, Added, Count> commands() {
      return (state, command) -> {
        Add add = (Add) command;
        return Effect().persist(new Added(add.amount())).thenReply(add.replyTo(), s -> s);
      };
    }

    @Override
    public EventHandler<Count, Added> eventHandler() {
      return (state, event) -> new Count(state.total() + event.amount());
    }
  }

  @SuppressWarnings({"unchecked", "rawtypes"}) // the envelope travels as the entity's command, as Asked.ask sends it
  private static EventSourcedBehaviorTestKit.CommandResult<Tally.Command, Tally.Added, Tally.Count> send(
      EventSourcedBehaviorTestKit<Tally.Command, Tally.Added, Tally.Count> tally, Asked asked) {
    return ((EventSourcedBehaviorTestKit) tally).runCommand(asked);
  }

  @Test
  void aCommandStillAwaitedIsAppliedAndOneWhoseReplyByHasPassedIsNot() {
    ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
    var tally = EventSourcedBehaviorTestKit.<Tally.Command, Tally.Added, Tally.Count>create(testKit.system(), new Tally("t-1", clock));
    TestProbe<Tally.Count> caller = testKit.createTestProbe();
    Instant replyBy = clock.instant().plusSeconds(5);

    var onTime = send(tally, new Asked(replyBy, new Tally.Add(2, caller.ref())));
    assertEquals(List.of(new Tally.Added(2)), onTime.events());
    assertEquals(new Tally.Count(2), caller.receiveMessage());

    clock.advance(Duration.ofSeconds(5));
    var atTheInstant = send(tally, new Asked(replyBy, new Tally.Add(3, caller.ref())));
    assertEquals(List.of(new Tally.Added(3)), atTheInstant.events(), "the caller still waits at its reply-by");
    caller.receiveMessage();

    clock.advance(Duration.ofMillis(1));
    var late = send(tally, new Asked(replyBy, new Tally.Add(100, caller.ref())));
    assertTrue(late.events().isEmpty(), "a command whose caller stopped waiting is not applied");
    assertEquals(new Tally.Count(5), late.state());
    caller.expectNoMessage(Duration.ofMillis(100));

    // Messages without an envelope (timers, tells, an entity's own) have no reply-by.
    var plain = tally.<Tally.Count>runCommand(r -> new Tally.Add(1, r));
    assertEquals(new Tally.Count(6), plain.reply());
  }

  @Test
  void aLateCommandIsNotAppliedAfterARestartEither() {
    ManualClock clock = new ManualClock(Instant.parse("2026-03-01T10:00:00Z"));
    var tally = EventSourcedBehaviorTestKit.<Tally.Command, Tally.Added, Tally.Count>create(testKit.system(), new Tally("t-2", clock));
    TestProbe<Tally.Count> caller = testKit.createTestProbe();
    send(tally, new Asked(clock.instant().plusSeconds(1), new Tally.Add(4, caller.ref())));
    tally.restart();
    clock.advance(Duration.ofSeconds(90));
    var late = send(tally, new Asked(clock.instant().minusSeconds(83), new Tally.Add(7, caller.ref())));
    assertTrue(late.events().isEmpty());
    assertEquals(new Tally.Count(4), late.state());
  }
}
