package lims.security;

import lims.kernel.Role;
import java.util.Collection;
import java.util.Optional;
import java.util.Set;

/**
 * The authenticated caller of a request, as its access token names it. {@code clientId}: the
 * client a viewer is linked to (it sees only that client's specimens), null for none.
 */
public record Principal(String username, Set<Role> roles, String clientId) {

  public Principal(String username, Set<Role> roles) {
    this(username, roles, null);
  }

  public boolean hasAnyRole(Collection<Role> wanted) {
    return wanted.stream().anyMatch(roles::contains);
  }

  /** The one client whose specimens this caller may see; empty when it may see every client's. */
  public Optional<String> clientScope() {
    return Optional.ofNullable(clientId);
  }
}
