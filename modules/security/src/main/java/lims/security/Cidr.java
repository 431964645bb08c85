package lims.security;

import java.net.InetAddress;
import java.util.Arrays;
import java.util.List;

/** An address block such as 10.0.0.0/8 or ::1/128; a bare address is a block of one. */
public record Cidr(byte[] network, int prefixLength, String text) {

  public static Cidr parse(String text) {
    String[] parts = text.strip().split("/", -1);
    if (parts.length > 2) {
      throw new IllegalArgumentException("not a CIDR block: " + text);
    }
    InetAddress address =
        IpLiteral.parse(parts[0]).orElseThrow(() -> new IllegalArgumentException("not an IP address: " + text));
    byte[] bytes = address.getAddress();
    int maxPrefix = bytes.length * 8;
    int prefix;
    try {
      prefix = parts.length == 2 ? Integer.parseInt(parts[1]) : maxPrefix;
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("bad prefix length in " + text);
    }
    if (prefix < 0 || prefix > maxPrefix) {
      throw new IllegalArgumentException("bad prefix length in " + text);
    }
    return new Cidr(bytes, prefix, text.strip());
  }

  /** Parses a comma-separated list, as environment variables carry it; blanks are skipped. */
  public static List<Cidr> parseList(String commaSeparated) {
    return Arrays.stream(commaSeparated.split(",")).filter(s -> !s.isBlank()).map(Cidr::parse).toList();
  }

  public boolean contains(InetAddress candidate) {
    byte[] other = IpLiteral.normalize(candidate).getAddress();
    if (other.length != network.length) {
      return false;
    }
    int fullBytes = prefixLength / 8;
    for (int i = 0; i < fullBytes; i++) {
      if (other[i] != network[i]) return false;
    }
    int restBits = prefixLength % 8;
    if (restBits == 0) return true;
    int mask = (0xff << (8 - restBits)) & 0xff;
    return (other[fullBytes] & mask) == (network[fullBytes] & mask);
  }
}
