package lims.kernel;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import org.apache.pekko.actor.typed.BackoffSupervisorStrategy;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventSourcedBehaviorWithEnforcedReplies;
import org.slf4j.LoggerFactory;

/**
 * Every sharded entity of the service. It applies a command sent through {@link Asked#ask}
 * only while its caller still waits: one whose reply-by has passed is dropped unanswered and
 * logged at WARN (decision 0040). The check runs where the entity's own handler would run, so
 * time spent in the ShardRegion's buffer, in the mailbox, and stashed while the entity
 * recovers or writes all count. What remains is the entity's own write: a command checked
 * just before its reply-by is stored when the journal commits, which may be after the caller
 * answered 503 (decision 0040 says how long that can be).
 */
public abstract class ShardedEntity<C, E, S> extends EventSourcedBehaviorWithEnforcedReplies<C, E, S> {

  private final Clock clock;

  protected ShardedEntity(PersistenceId persistenceId, Clock clock) {
    super(persistenceId);
    this.clock = clock;
  }

  /** {@code onPersistFailure}: how the entity starts again after a failed write or recovery (instead of stopping until its next command). */
  protected ShardedEntity(PersistenceId persistenceId, Clock clock, BackoffSupervisorStrategy onPersistFailure) {
    super(persistenceId, onPersistFailure);
    this.clock = clock;
  }

  protected ShardedEntity(PersistenceId persistenceId) {
    this(persistenceId, Clock.systemUTC());
  }

  /** The entity's own handler: it sees every command unwrapped, and only those still awaited. */
  protected abstract CommandHandlerWithReply<C, E, S> commands();

  @Override
  @SuppressWarnings("unchecked") // Asked carries a command of this entity's type: Asked.ask took it as one
  public final CommandHandlerWithReply<C, E, S> commandHandler() {
    CommandHandlerWithReply<C, E, S> commands = commands();
    return (state, command) -> {
      if (!(command instanceof Asked asked)) return commands.apply(state, command);
      Instant now = clock.instant();
      if (now.isAfter(asked.replyBy())) {
        LoggerFactory.getLogger(getClass()).warn("{}: {} not applied: it arrived {} ms after its caller stopped waiting (reply-by {})",
            persistenceId().id(), asked.command().getClass().getSimpleName(), Duration.between(asked.replyBy(), now).toMillis(), asked.replyBy());
        return Effect().noReply();
      }
      return commands.apply(state, (C) asked.command());
    };
  }
}
