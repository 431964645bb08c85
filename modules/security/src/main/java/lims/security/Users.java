package lims.security;

import lims.kernel.Asked;
import lims.kernel.Database;
import lims.kernel.Page;
import lims.kernel.Role;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.regex.Pattern;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.actor.typed.DispatcherSelector;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityRef;
import org.apache.pekko.serialization.Serialization;
import org.apache.pekko.serialization.SerializationExtension;

/** The user directory: creating users and checking their passwords, over the sharded UserAccount entities. */
public final class Users {

  /** Lower case, so "Admin" and "admin" cannot be two users. */
  public static final Pattern USERNAME = Pattern.compile("[a-z][a-z0-9._-]{1,63}");

  /**
   * The users after a name, by name: each user's first event (its creation, which also fixes its
   * roles) through the journal's key (persistence_id, sequence_number), so a page reads only its
   * own users' rows (decision 0054). The bounds are the entity type's ids: above "UserAccount|"
   * and below "UserAccounu", which no other type's id falls between in any collation that
   * orders letters alphabetically.
   */
  static final String PAGE = "SELECT \"persistence_id\", \"event_ser_id\", \"event_ser_manifest\", \"event_payload\" FROM \"event_journal\""
      + " WHERE \"persistence_id\" > ? AND \"persistence_id\" < ? AND \"sequence_number\" = 1 AND \"deleted\" = FALSE"
      + " ORDER BY \"persistence_id\" LIMIT ?";
  private static final String ID_PREFIX = UserAccount.TYPE.name() + "|";
  private static final String ID_BOUND = pastType(UserAccount.TYPE.name());

  private final ActorSystem<?> system;
  private final ClusterSharding sharding;
  private final PasswordHasher hasher;
  private final Executor hashing;
  private final Duration askTimeout;

  public Users(ActorSystem<?> system, PasswordHasher hasher, Duration askTimeout) {
    this.system = system;
    this.sharding = ClusterSharding.get(system);
    this.hasher = hasher;
    this.hashing = system.dispatchers().lookup(DispatcherSelector.fromConfig("lims.password-hashing-dispatcher"));
    this.askTimeout = askTimeout;
    sharding.init(Entity.of(UserAccount.TYPE, ctx -> UserAccount.create(ctx.getEntityId())));
  }

  /** {@code idempotencyToken}: see {@link UserAccount.Create}; null without an Idempotency-Key. */
  public CompletionStage<UserAccount.CreateResult> create(
      String username, String password, Set<Role> roles, String createdBy, String idempotencyToken) {
    return create(username, password, roles, null, createdBy, idempotencyToken);
  }

  /**
   * The same, for a user linked to a client ({@code clientId}, null for none; the caller has
   * checked that the client exists and {@link #clientLinkProblem} that the roles allow it).
   */
  public CompletionStage<UserAccount.CreateResult> create(
      String username, String password, Set<Role> roles, String clientId, String createdBy, String idempotencyToken) {
    return create(username, password, roles, clientId, null, createdBy, idempotencyToken);
  }

  /**
   * The same, for an instrument user linked to the devices its adapter streams for
   * ({@code deviceIds}, null for none; the caller has checked {@link #deviceLinkProblem}).
   */
  public CompletionStage<UserAccount.CreateResult> create(String username, String password, Set<Role> roles, String clientId,
      List<String> deviceIds, String createdBy, String idempotencyToken) {
    return CompletableFuture.supplyAsync(() -> hasher.hash(password), hashing)
        .thenCompose(hash -> Asked.ask(account(username),
            r -> new UserAccount.Create(hash, roles, clientId, deviceIds, createdBy, idempotencyToken, r), askTimeout));
  }

  /**
   * Why a user with these roles cannot be linked to devices, if it cannot: only an instrument
   * user is (the link says which devices' telemetry its adapter may stream).
   */
  public static Optional<String> deviceLinkProblem(Set<Role> roles) {
    return roles.equals(Set.of(Role.INSTRUMENT)) ? Optional.empty() : Optional.of("only a user whose one role is instrument may be linked to devices");
  }

  /**
   * Why a user with these roles cannot be linked to a client, if it cannot: only a viewer and
   * nothing else is, since a link limits what the user sees and every other role works on
   * every client's specimens.
   */
  public static Optional<String> clientLinkProblem(Set<Role> roles) {
    return roles.equals(Set.of(Role.VIEWER)) ? Optional.empty() : Optional.of("only a user whose one role is viewer may be linked to a client");
  }

  public CompletionStage<Optional<UserAccount.User>> find(String username) {
    if (!USERNAME.matcher(username).matches()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return Asked.ask(account(username), UserAccount.Get::new, askTimeout).thenApply(UserAccount.Lookup::user);
  }

  /**
   * A page of users in name order, after the name {@code after} (none: from the first). Read from
   * the journal, which holds a user from the moment its create is answered; the password hash is
   * in each user, for the caller to leave out.
   */
  public CompletionStage<Page<UserAccount.User>> list(int limit, Optional<String> after) {
    Serialization serialization = SerializationExtension.get(system.classicSystem());
    return Database.get(system).withConnection(c -> {
      List<UserAccount.User> users = new ArrayList<>();
      try (PreparedStatement s = c.prepareStatement(PAGE)) {
        s.setString(1, ID_PREFIX + after.orElse(""));
        s.setString(2, ID_BOUND);
        s.setInt(3, limit + 1);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            Object event = serialization.deserialize(rs.getBytes(4), rs.getInt(2), rs.getString(3)).get();
            if (event instanceof UserAccount.UserCreated created) users.add(created.user());
          }
        }
      }
      return Page.of(users, limit, UserAccount.User::username);
    });
  }

  /** The user of a refresh token; empty when the user is gone or the token was revoked (a logout). */
  public CompletionStage<Optional<UserAccount.User>> findForRefresh(String username, String tokenId) {
    if (!USERNAME.matcher(username).matches()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return Asked.ask(account(username), UserAccount.Get::new, askTimeout)
        .thenApply(lookup -> lookup.revokedRefreshTokens().contains(tokenId) ? Optional.empty() : lookup.user());
  }

  /** Logs a refresh token out: no node exchanges it again. */
  public CompletionStage<UserAccount.Revoked> revokeRefresh(String username, String tokenId, java.time.Instant expiresAt) {
    if (!USERNAME.matcher(username).matches()) {
      return CompletableFuture.completedFuture(UserAccount.Revoked.REVOKED);
    }
    return Asked.ask(account(username), r -> new UserAccount.RevokeRefreshToken(tokenId, expiresAt, r), askTimeout);
  }

  /** The user when the password is theirs; empty otherwise, in about the same time either way. */
  public CompletionStage<Optional<UserAccount.User>> authenticate(String username, String password) {
    return find(username)
        .thenApplyAsync(
            user -> {
              if (user.isEmpty()) {
                hasher.matchDecoy(password);
                return user;
              }
              return user.filter(u -> hasher.matches(password, u.passwordHash()));
            },
            hashing);
  }

  /** What sorts just after every id of an entity type: its name with the last letter moved on ("UserAccounu"). */
  static String pastType(String type) {
    return type.substring(0, type.length() - 1) + (char) (type.charAt(type.length() - 1) + 1);
  }

  private EntityRef<UserAccount.Command> account(String username) {
    return sharding.entityRefFor(UserAccount.TYPE, username);
  }
}
