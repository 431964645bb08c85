package lims.kernel;

import java.time.Instant;

/**
 * Who did something to a lab object, in which role, when, from where, and why: carried by
 * every event that changes a specimen, so the journal is the chain of custody.
 */
public record Custody(String userId, String role, Instant at, String clientIp, String requestId, String reason)
    implements CborSerializable {

  /** A person's act, stamped with the instant it is recorded (the caller holds no clock of its own). */
  public static Custody now(String userId, String role, String clientIp, String requestId, String reason) {
    return new Custody(userId, role, Instant.now(), clientIp, requestId, reason);
  }

  /**
   * The system acting on its own (a reaction, a scheduled action): user {@code system} in the
   * admin role, from no address. {@code requestId} names what it acted for ({@code grant:<device>},
   * {@code lab-test:<execution>}, {@code analysis:<run>}); {@code reason} may be null.
   */
  public static Custody system(Instant at, String requestId, String reason) {
    return new Custody("system", "admin", at, "-", requestId, reason);
  }
}
