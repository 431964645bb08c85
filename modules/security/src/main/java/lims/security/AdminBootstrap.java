package lims.security;

import lims.kernel.Role;
import java.security.SecureRandom;
import java.util.EnumSet;
import java.util.Optional;
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

  /**
   * @param configuredPassword from LIMS_ADMIN_PASSWORD; blank means generate one.
   * @return the generated password when this call created the admin with one: the caller shows
   *     it once, on the console only (it is in no log file and no event); empty otherwise.
   */
  public static CompletionStage<Optional<String>> ensureAdmin(Users users, String configuredPassword) {
    boolean generated = configuredPassword.isBlank();
    String password = generated ? randomPassword() : configuredPassword;
    if (!generated && PasswordHasher.weakness(password) != null) {
      throw new IllegalArgumentException("LIMS_ADMIN_PASSWORD " + PasswordHasher.weakness(password));
    }
    return users
        .create(ADMIN, password, EnumSet.of(Role.ADMIN), "system")
        .thenApply(
            result -> {
              if (result != UserAccount.CreateResult.CREATED) return Optional.empty();
              log.info("Created the first user, '{}'", ADMIN);
              return generated ? Optional.of(password) : Optional.empty();
            });
  }

  static String randomPassword() {
    SecureRandom random = new SecureRandom();
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 20; i++) sb.append(ALPHABET.charAt(random.nextInt(ALPHABET.length())));
    return sb.toString();
  }
}
