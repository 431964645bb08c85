package lims.security;

import lims.kernel.Asked;
import lims.kernel.Role;
import java.time.Duration;
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

/** The user directory: creating users and checking their passwords, over the sharded UserAccount entities. */
public final class Users {

  /** Lower case, so "Admin" and "admin" cannot be two users. */
  public static final Pattern USERNAME = Pattern.compile("[a-z][a-z0-9._-]{1,63}");

  private final ClusterSharding sharding;
  private final PasswordHasher hasher;
  private final Executor hashing;
  private final Duration askTimeout;

  public Users(ActorSystem<?> system, PasswordHasher hasher, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.hasher = hasher;
    this.hashing = system.dispatchers().lookup(DispatcherSelector.fromConfig("lims.password-hashing-dispatcher"));
    this.askTimeout = askTimeout;
    sharding.init(Entity.of(UserAccount.TYPE, ctx -> UserAccount.create(ctx.getEntityId())));
  }

  /** {@code idempotencyToken}: see {@link UserAccount.Create}; null without an Idempotency-Key. */
  public CompletionStage<UserAccount.CreateResult> create(
      String username, String password, Set<Role> roles, String createdBy, String idempotencyToken) {
    return CompletableFuture.supplyAsync(() -> hasher.hash(password), hashing)
        .thenCompose(hash -> Asked.ask(account(username), r -> new UserAccount.Create(hash, roles, createdBy, idempotencyToken, r), askTimeout));
  }

  public CompletionStage<Optional<UserAccount.User>> find(String username) {
    if (!USERNAME.matcher(username).matches()) {
      return CompletableFuture.completedFuture(Optional.empty());
    }
    return Asked.ask(account(username), UserAccount.Get::new, askTimeout).thenApply(UserAccount.Lookup::user);
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

  private EntityRef<UserAccount.Command> account(String username) {
    return sharding.entityRefFor(UserAccount.TYPE, username);
  }
}
