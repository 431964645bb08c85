package lims.security;

import at.favre.lib.crypto.bcrypt.BCrypt;
import java.nio.charset.StandardCharsets;

/** bcrypt hashing. Callers run it on the password-hashing dispatcher: it is slow on purpose. */
public final class PasswordHasher {

  /** bcrypt reads at most this many bytes of a password; longer ones are refused, not truncated. */
  public static final int MAX_PASSWORD_BYTES = 71;

  public static final int MIN_PASSWORD_LENGTH = 12;

  private final int cost;
  /** A real hash to verify against when the user is unknown, so timing does not reveal which names exist. */
  private final String decoyHash;

  public PasswordHasher(int cost) {
    this.cost = cost;
    this.decoyHash = hash("decoy-password-for-unknown-users");
  }

  public String hash(String password) {
    return BCrypt.withDefaults().hashToString(cost, password.toCharArray());
  }

  public boolean matches(String password, String hash) {
    if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
      return false;
    }
    return BCrypt.verifyer().verify(password.toCharArray(), hash).verified;
  }

  /** Spends the time a real check would, for an unknown user name. */
  public void matchDecoy(String password) {
    matches(password, decoyHash);
  }

  /** Why a new password is unacceptable, or null when it is fine. */
  public static String weakness(String password) {
    if (password.length() < MIN_PASSWORD_LENGTH) {
      return "must be at least " + MIN_PASSWORD_LENGTH + " characters";
    }
    if (password.getBytes(StandardCharsets.UTF_8).length > MAX_PASSWORD_BYTES) {
      return "must be at most " + MAX_PASSWORD_BYTES + " bytes in UTF-8";
    }
    return null;
  }
}
