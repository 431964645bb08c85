package lims.kernel;

import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;

/**
 * A command sent by ask, with the instant its caller stops waiting for the answer (decision
 * 0040). A command can reach its entity long after it was sent: the ShardRegion buffers it
 * while its shard has no home (a failover), and an entity holds it while it recovers or
 * writes. By then the caller may have answered 503, and a client that obeyed the 503 may
 * have sent it again. {@link ShardedEntity} drops a command whose {@code replyBy} has passed.
 * Every context's ask helper sends its commands through {@link #ask}; timers, the deadline
 * sweeper's tells and an entity's messages to itself carry no instant and are always applied.
 */
public record Asked(Instant replyBy, @JsonTypeInfo(use = JsonTypeInfo.Id.CLASS) CborSerializable command) implements CborSerializable {

  /** Asks {@code entity}, waiting {@code timeout}; the command carries now + {@code timeout}. */
  public static <C extends CborSerializable, R> CompletionStage<R> ask(EntityRef<C> entity, Function<ActorRef<R>, C> command, Duration timeout) {
    return ask(entity, command, timeout, Clock.systemUTC());
  }

  /**
   * The same with the asker's clock. The entity compares {@code replyBy} with its own node's
   * clock, so nodes' clocks must agree (NTP): a difference moves the cut-off by as much.
   */
  @SuppressWarnings("unchecked") // the entity's mailbox takes its command type; ShardedEntity unwraps this envelope first
  public static <C extends CborSerializable, R> CompletionStage<R> ask(EntityRef<C> entity, Function<ActorRef<R>, C> command, Duration timeout,
      Clock clock) {
    Instant replyBy = clock.instant().plus(timeout);
    EntityRef<Object> carrier = (EntityRef<Object>) (EntityRef<?>) entity;
    return carrier.ask(replyTo -> new Asked(replyBy, command.apply(replyTo)), timeout);
  }
}
