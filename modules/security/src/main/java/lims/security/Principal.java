package lims.security;

import lims.kernel.Role;
import java.util.Collection;
import java.util.Set;

/** The authenticated caller of a request, as its access token names it. */
public record Principal(String username, Set<Role> roles) {

  public boolean hasAnyRole(Collection<Role> wanted) {
    return wanted.stream().anyMatch(roles::contains);
  }
}
