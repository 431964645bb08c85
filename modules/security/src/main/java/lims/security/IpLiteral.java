package lims.security;

import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Optional;
import java.util.regex.Pattern;

/** Parses an IP address literal without ever resolving a host name. */
final class IpLiteral {

  private static final Pattern IPV4 =
      Pattern.compile("(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)(\\.(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]{2,45}");

  private IpLiteral() {}

  static Optional<InetAddress> parse(String text) {
    String s = text.strip();
    if (s.startsWith("[") && s.endsWith("]")) {
      s = s.substring(1, s.length() - 1);
    }
    boolean literal = IPV4.matcher(s).matches() || (s.contains(":") && IPV6.matcher(s).matches());
    if (!literal) {
      return Optional.empty();
    }
    try {
      // A literal never triggers a DNS look-up.
      return Optional.of(normalize(InetAddress.getByName(s)));
    } catch (UnknownHostException e) {
      return Optional.empty();
    }
  }

  /** IPv4-mapped IPv6 addresses (::ffff:a.b.c.d) compare as the IPv4 address they carry. */
  static InetAddress normalize(InetAddress address) {
    if (address instanceof Inet6Address) {
      byte[] b = address.getAddress();
      boolean mapped = true;
      for (int i = 0; i < 10; i++) mapped &= b[i] == 0;
      mapped &= b[10] == (byte) 0xff && b[11] == (byte) 0xff;
      if (mapped) {
        try {
          return Inet4Address.getByAddress(new byte[] {b[12], b[13], b[14], b[15]});
        } catch (UnknownHostException e) {
          throw new IllegalStateException(e);
        }
      }
    }
    return address;
  }
}
