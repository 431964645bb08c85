package lims.security;

import lims.kernel.Role;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The authenticated caller of a request, as its access token names it. {@code clientId}: the
 * client a viewer is linked to (it sees only that client's specimens), null for none.
 * {@code devices}: the devices an instrument user's adapter streams telemetry for (empty: none).
 */
public record Principal(String username, Set<Role> roles, String clientId, List<String> devices) {

  public Principal {
    devices = devices == null ? List.of() : List.copyOf(devices);
  }

  public Principal(String username, Set<Role> roles, String clientId) {
    this(username, roles, clientId, List.of());
  }

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
