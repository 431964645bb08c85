package lims.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

class AddressPolicyTest {

  static InetAddress ip(String literal) {
    return IpLiteral.parse(literal).orElseThrow();
  }

  final AddressPolicy policy = new AddressPolicy(Cidr.parseList("192.168.10.0/24, 2001:db8::/32"), Cidr.parseList("10.0.0.5,10.0.0.6"));

  @Test
  void blocksContainExactlyTheirAddresses() {
    Cidr lab = Cidr.parse("192.168.10.0/23");
    assertTrue(lab.contains(ip("192.168.11.255")));
    assertFalse(lab.contains(ip("192.168.12.0")));
    assertTrue(Cidr.parse("0.0.0.0/0").contains(ip("8.8.8.8")));
    assertTrue(Cidr.parse("::1").contains(ip("::1")));
    assertFalse(Cidr.parse("::1").contains(ip("127.0.0.1")));
    assertTrue(Cidr.parse("10.0.0.0/8").contains(ip("::ffff:10.1.2.3")));
  }

  @Test
  void malformedBlocksAreRefused() {
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("10.0.0.0/33"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("lab-gateway.example"));
    assertThrows(IllegalArgumentException.class, () -> Cidr.parse("300.1.1.1"));
  }

  @Test
  void forwardedForFromAnUntrustedPeerIsIgnored() {
    assertEquals(ip("203.0.113.9"), policy.clientAddress(ip("203.0.113.9"), List.of("192.168.10.7")));
  }

  @Test
  void trustedProxiesAreWalkedFromTheRight() {
    assertEquals(ip("192.168.10.7"), policy.clientAddress(ip("10.0.0.5"), List.of("192.168.10.7")));
    assertEquals(ip("192.168.10.7"), policy.clientAddress(ip("10.0.0.5"), List.of("1.2.3.4, 192.168.10.7, 10.0.0.6")));
    assertEquals(ip("10.0.0.5"), policy.clientAddress(ip("10.0.0.5"), List.of("not-an-ip")));
  }

  @Test
  void allowlistCoversBothFamilies() {
    assertTrue(policy.allows(ip("192.168.10.200")));
    assertTrue(policy.allows(ip("2001:db8::42")));
    assertFalse(policy.allows(ip("192.168.11.1")));
    assertFalse(policy.allows(ip("::1")));
  }
}
