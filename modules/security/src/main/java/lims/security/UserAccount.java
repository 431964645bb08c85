package lims.security;

import lims.kernel.Role;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
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
 * the audit trail of who created whom and when. It also holds the user's revoked refresh
 * tokens (logouts) until they expire, so every node refuses a revoked token: refreshing
 * already asks this entity for the user's current roles (decision 0049).
 */
public final class UserAccount
    extends ShardedEntity<UserAccount.Command, UserAccount.Event, UserAccount.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "UserAccount");

  public sealed interface Command extends CborSerializable permits Create, Get, RevokeRefreshToken {}

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key a client sent with the create, or
   * null; a repeat carrying the same token is answered CREATED, as the create was.
   */
  public record Create(String passwordHash, Set<Role> roles, String clientId, List<String> deviceIds, String createdBy, String idempotencyToken,
      ActorRef<CreateResult> replyTo) implements Command {

    public Create(String passwordHash, Set<Role> roles, String clientId, String createdBy, String idempotencyToken, ActorRef<CreateResult> replyTo) {
      this(passwordHash, roles, clientId, null, createdBy, idempotencyToken, replyTo);
    }
  }

  public record Get(ActorRef<Lookup> replyTo) implements Command {}

  /** A logout: the refresh token {@code tokenId} (its {@code jti}) is refused from now until it expires anyway. */
  public record RevokeRefreshToken(String tokenId, Instant expiresAt, ActorRef<Revoked> replyTo) implements Command {}

  public enum Revoked implements CborSerializable {
    REVOKED
  }

  public enum CreateResult implements CborSerializable {
    CREATED,
    ALREADY_EXISTS
  }

  /** {@code revokedRefreshTokens}: ids of the user's refresh tokens revoked and not yet expired. */
  public record Lookup(Optional<User> user, Set<String> revokedRefreshTokens) implements CborSerializable {}

  /**
   * {@code clientId}: the code of the client a viewer is linked to (it sees only that client's
   * specimens), null for every other user. {@code deviceIds}: the devices an instrument user's
   * adapter streams telemetry for; null or empty for none.
   */
  public record User(String username, String passwordHash, Set<Role> roles, String createdBy, Instant createdAt, String clientId,
      List<String> deviceIds) implements CborSerializable {

    /** Never null: empty for none. */
    public List<String> devices() {
      return deviceIds == null ? List.of() : deviceIds;
    }
  }

  public sealed interface Event extends CborSerializable permits UserCreated, RefreshTokenRevoked {}

  /**
   * {@code clientId}: null for users created before clients existed, as for every user not linked to one;
   * {@code deviceIds} null for users created before telemetry, as for every user not linked to devices.
   */
  public record UserCreated(String username, String passwordHash, Set<Role> roles, String createdBy, Instant at, String idempotencyToken,
      String clientId, List<String> deviceIds) implements Event {

    /** The user this creates: roles are set here once and never change, so this is the user as it is now. */
    public User user() {
      return new User(username, passwordHash, roles, createdBy, at, clientId, deviceIds);
    }
  }

  public record RefreshTokenRevoked(String tokenId, Instant expiresAt, Instant at) implements Event {}

  /**
   * {@code idempotencyToken}: that of the request that created the user, or null.
   * {@code revokedRefreshTokens}: token id to its expiry; an entry is dropped once expired, so
   * the map holds at most one refresh-token lifetime's logouts.
   */
  public record State(Optional<User> user, String idempotencyToken, Map<String, Instant> revokedRefreshTokens) implements CborSerializable {

    State revoke(RefreshTokenRevoked e) {
      Map<String, Instant> revoked = new HashMap<>();
      revokedRefreshTokens.forEach((id, expiry) -> {
        if (expiry.isAfter(e.at())) revoked.put(id, expiry);
      });
      revoked.put(e.tokenId(), e.expiresAt());
      return new State(user, idempotencyToken, Map.copyOf(revoked));
    }
  }

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
    return new State(Optional.empty(), null, Map.of());
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, this::onCreate)
        .onCommand(Get.class, (state, get) -> Effect().reply(get.replyTo(), new Lookup(state.user(), state.revokedRefreshTokens().keySet())))
        .onCommand(RevokeRefreshToken.class, this::onRevoke)
        .build();
  }

  private ReplyEffect<Event, State> onCreate(State state, Create create) {
    if (state.user().isPresent()) {
      boolean repeat = create.idempotencyToken() != null && create.idempotencyToken().equals(state.idempotencyToken());
      return Effect().reply(create.replyTo(), repeat ? CreateResult.CREATED : CreateResult.ALREADY_EXISTS);
    }
    return Effect()
        .persist(new UserCreated(username, create.passwordHash(), create.roles(), create.createdBy(), Instant.now(), create.idempotencyToken(),
            create.clientId(), create.deviceIds()))
        .thenReply(create.replyTo(), s -> CreateResult.CREATED);
  }

  private ReplyEffect<Event, State> onRevoke(State state, RevokeRefreshToken revoke) {
    if (state.user().isEmpty() || state.revokedRefreshTokens().containsKey(revoke.tokenId())) {
      return Effect().reply(revoke.replyTo(), Revoked.REVOKED);
    }
    return Effect()
        .persist(new RefreshTokenRevoked(revoke.tokenId(), revoke.expiresAt(), Instant.now()))
        .thenReply(revoke.replyTo(), s -> Revoked.REVOKED);
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(
            UserCreated.class,
            (state, e) -> new State(Optional.of(e.user()), e.idempotencyToken(), state.revokedRefreshTokens()))
        .onEvent(RefreshTokenRevoked.class, State::revoke)
        .build();
  }
}
