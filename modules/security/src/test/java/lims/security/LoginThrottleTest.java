package lims.security;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class LoginThrottleTest {

  /** A clock the test moves by hand. */
  static final class HandClock extends Clock {
    Instant now = Instant.parse("2026-11-23T08:00:00Z");

    @Override public ZoneId getZone() { return ZoneId.of("UTC"); }
    @Override public Clock withZone(ZoneId zone) { return this; }
    @Override public Instant instant() { return now; }
  }

  final HandClock clock = new HandClock();
  final LoginThrottle throttle = new LoginThrottle(3, 10, Duration.ofMinutes(15), 1000, clock);

  static java.net.InetAddress ip(String literal) {
    return IpLiteral.parse(literal).orElseThrow();
  }

  @Test
  void attemptsLockTheUserUntilTheWindowEnds() {
    for (int i = 0; i < 3; i++) {
      assertEquals(Optional.empty(), throttle.admit("tina", ip("10.0.0.1")));
    }
    Optional<Duration> wait = throttle.admit("tina", ip("10.0.0.2"));
    assertEquals(Optional.of(Duration.ofMinutes(15)), wait);
    clock.now = clock.now.plus(Duration.ofMinutes(15));
    assertEquals(Optional.empty(), throttle.admit("tina", ip("10.0.0.2")));
  }

  @Test
  void aSuccessClearsTheUsersEarlierAttempts() {
    throttle.admit("tina", ip("10.0.0.1"));
    throttle.admit("tina", ip("10.0.0.1"));
    throttle.recordSuccess("tina");
    throttle.admit("tina", ip("10.0.0.1"));
    throttle.admit("tina", ip("10.0.0.1"));
    assertEquals(Optional.empty(), throttle.admit("tina", ip("10.0.0.1")));
  }

  @Test
  void anIpv6HostCannotEscapeByChangingTheLow64Bits() {
    for (int i = 0; i < 10; i++) assertEquals(Optional.empty(), throttle.admit("u" + i, ip("2001:db8:1:2::" + Integer.toHexString(i + 1))));
    assertTrue(throttle.admit("u99", ip("2001:db8:1:2:ffff::1")).isPresent());
    assertEquals(Optional.empty(), throttle.admit("u99", ip("2001:db8:1:3::1")));
  }

  @Test
  void anAddressGetsALimitedNumberOfAttempts() {
    for (int i = 0; i < 10; i++) assertEquals(Optional.empty(), throttle.admit("user" + i, ip("10.0.0.9")));
    assertTrue(throttle.admit("user10", ip("10.0.0.9")).isPresent());
    assertEquals(Optional.empty(), throttle.admit("user10", ip("10.0.0.10")));
  }

  @Test
  void aFullTableRefusesNewAddressesInsteadOfForgettingOldOnes() {
    LoginThrottle throttle = new LoginThrottle(3, 10, Duration.ofMinutes(15), 4, clock);
    for (int i = 0; i < 4; i++) assertEquals(Optional.empty(), throttle.admit("u" + i, ip("10.0.1." + i)));
    assertTrue(throttle.admit("u9", ip("10.0.1.99")).isPresent());
    clock.now = clock.now.plus(Duration.ofMinutes(16));
    assertEquals(Optional.empty(), throttle.admit("u9", ip("10.0.1.99")));
  }
}
