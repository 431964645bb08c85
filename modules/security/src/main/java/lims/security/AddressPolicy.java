package lims.security;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.util.List;
import java.util.Optional;

/**
 * Which client addresses may use the service, and who the client is behind a proxy.
 * X-Forwarded-For is believed only hop by hop from configured trusted proxies, read from
 * the right: the first address not of a trusted proxy is the client. Anything else a
 * client writes into the header is ignored, so it cannot slip past the allowlist.
 */
public final class AddressPolicy {

  private final List<Cidr> allowlist;
  private final List<Cidr> trustedProxies;

  public AddressPolicy(List<Cidr> allowlist, List<Cidr> trustedProxies) {
    this.allowlist = List.copyOf(allowlist);
    this.trustedProxies = List.copyOf(trustedProxies);
  }

  public static AddressPolicy fromConfig(Config security) {
    return new AddressPolicy(
        Cidr.parseList(security.getString("ip-allowlist")),
        Cidr.parseList(security.getString("trusted-proxies")));
  }

  /**
   * @param forwardedFor every X-Forwarded-For line of the request, in order: a proxy may add
   *     its own line rather than append to the client's, and they read as one list of hops.
   */
  public InetAddress clientAddress(InetAddress peer, List<String> forwardedFor) {
    InetAddress client = IpLiteral.normalize(peer);
    if (forwardedFor.isEmpty()) {
      return client;
    }
    String[] hops = String.join(",", forwardedFor).split(",");
    for (int i = hops.length - 1; i >= 0 && isTrustedProxy(client); i--) {
      Optional<InetAddress> hop = IpLiteral.parse(hops[i]);
      if (hop.isEmpty()) {
        break; // a garbled hop: keep the last address we can vouch for
      }
      client = hop.get();
    }
    return client;
  }

  public boolean allows(InetAddress client) {
    return allowlist.stream().anyMatch(c -> c.contains(client));
  }

  private boolean isTrustedProxy(InetAddress address) {
    return trustedProxies.stream().anyMatch(c -> c.contains(address));
  }
}
