package lims.security;

import lims.kernel.Role;
import java.time.Instant;
import java.util.Optional;
import java.util.Set;
import lims.kernel.CborSerializable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;
import lims.kernel.ShardedEntity;
import org.apache.pekko.persistence.typed.javadsl.ReplyEffect;

/**
 * A user of the service, keyed by user name. Invariant: created at most once, so a user
 * name is unique cluster-wide without a database lock; every change is an event, which is
 * the audit trail of who created whom and when.
 */
public final class UserAccount
    extends ShardedEntity<UserAccount.Command, UserAccount.Event, UserAccount.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "UserAccount");

  public sealed interface Command extends CborSerializable permits Create, Get {}

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key a client sent with the create, or
   * null; a repeat carrying the same token is answered CREATED, as the create was.
   */
  public record Create(String passwordHash, Set<Role> roles, String createdBy, String idempotencyToken, ActorRef<CreateResult> replyTo)
      implements Command {}

  public record Get(ActorRef<Lookup> replyTo) implements Command {}

  public enum CreateResult implements CborSerializable {
    CREATED,
    ALREADY_EXISTS
  }

  public record Lookup(Optional<User> user) implements CborSerializable {}

  public record User(String username, String passwordHash, Set<Role> roles, String createdBy, Instant createdAt)
      implements CborSerializable {}

  public sealed interface Event extends CborSerializable permits UserCreated {}

  public record UserCreated(String username, String passwordHash, Set<Role> roles, String createdBy, Instant at, String idempotencyToken)
      implements Event {}

  /** {@code idempotencyToken}: that of the request that created the user, or null. */
  public record State(Optional<User> user, String idempotencyToken) implements CborSerializable {}

  private final String username;

  private UserAccount(String username) {
    super(PersistenceId.of(TYPE.name(), username));
    this.username = username;
  }

  public static Behavior<Command> create(String username) {
    return new UserAccount(username);
  }

  @Override
  public State emptyState() {
    return new State(Optional.empty(), null);
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), new Lookup(state.user())))
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create create) {
    if (state.user().isPresent()) {
      boolean repeat = create.idempotencyToken() != null && create.idempotencyToken().equals(state.idempotencyToken());
      return Effect().reply(create.replyTo(), repeat ? CreateResult.CREATED : CreateResult.ALREADY_EXISTS);
    }
    return Effect()
        .persist(new UserCreated(username, create.passwordHash(), create.roles(), create.createdBy(), Instant.now(), create.idempotencyToken()))
        .thenReply(create.replyTo(), s -> CreateResult.CREATED);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            UserCreated.class,
            (state, e) -> new State(Optional.of(new User(e.username(), e.passwordHash(), e.roles(), e.createdBy(), e.at())), e.idempotencyToken()))
        .build();
  }
}
