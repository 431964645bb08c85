package lims.http;

import java.util.EnumSet;
import java.util.Set;
import lims.kernel.Role;

/**
 * Who may call an endpoint. Probes (health, readiness) are open to every address so load
 * balancers can reach them; everything else passes the IP allowlist first, and every
 * /api/v1 endpoint but the token ones needs an access token with one of the roles.
 */
public record Access(boolean probe, boolean tokenRequired, Set<Role> roles) {

  public static final Access PROBE = new Access(true, false, Set.of());
  public static final Access OPEN = new Access(false, false, Set.of());

  public static Access anyRole() {
    return new Access(false, true, EnumSet.allOf(Role.class));
  }

  public static Access roles(Role first, Role... rest) {
    return new Access(false, true, EnumSet.of(first, rest));
  }
}
