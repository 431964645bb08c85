package lims.security;

import lims.kernel.Role;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * On a service with no users, creates "admin". The admin account is always the first one
 * (only an admin can create users), so "admin does not exist" means "no users yet"; the
 * entity's create-once rule makes this safe when several nodes start at the same time.
 */
public final class AdminBootstrap {

  public static final String ADMIN = "admin";
  private static final Logger log = LoggerFactory.getLogger(AdminBootstrap.class);
  private static final String ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

  private AdminBootstrap() {}

  /** LIMS_ADMIN_PASSWORD when set, else a new random one; chosen once per start, before the first try. */
  public static String password(String configuredPassword) {
    return configuredPassword.isBlank() ? randomPassword() : configuredPassword;
  }

  /**
   * Creates the admin with {@code password}; the caller retries while shards settle, with the
   * same password: a try whose answer was lost may have created the admin, and the next one
   * finds it there.
   *
   * @param generated whether {@code password} was generated rather than configured
   * @return the generated password when this start created the admin with it: the caller shows
   *     it once, on the console only (it is in no log file and no event); empty otherwise.
   */
  public static CompletionStage<Optional<String>> ensureAdmin(Users users, String password, boolean generated) {
    if (!generated && PasswordHasher.weakness(password) != null) {
      throw new IllegalArgumentException("LIMS_ADMIN_PASSWORD " + PasswordHasher.weakness(password));
    }
    return users
        .create(ADMIN, password, EnumSet.of(Role.ADMIN), "system", null)
        .thenCompose(
            result -> {
              if (result == UserAccount.CreateResult.CREATED) {
                log.info("Created the first user, '{}'", ADMIN);
                return CompletableFuture.completedFuture(generated ? Optional.of(password) : Optional.<String>empty());
              }
              if (!generated) return CompletableFuture.completedFuture(Optional.<String>empty());
              // The admin existed: from an earlier start, or from this start's earlier try, whose
              // password it then has (a new random one matches no earlier start's).
              return users.authenticate(ADMIN, password).thenApply(user -> user.map(u -> password));
            });
  }

  static String randomPassword() {
    SecureRandom random = new SecureRandom();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    return sb.toString();
  }
}
