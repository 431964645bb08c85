package lims.security;

import com.typesafe.config.Config;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Limits password guessing: attempts per user name (cleared by a successful login) and all
 * login attempts per client address (IPv6 per /64, the block one host usually holds), each
 * within a fixed window. An attempt is counted before its password is checked, so guesses
 * sent at the same time cannot all slip in before the first failure is recorded. Per node:
 * with N nodes an attacker gets at most N times the budget (docs/decisions/0006). When a
 * table of remembered keys is full of live entries, new keys are refused rather than
 * forgotten, so a flood of names cannot reset the counts.
 */
public final class LoginThrottle {

  private record Window(Instant start, int count) {}

  private final int failuresPerUser;
  private final int attemptsPerAddress;
  private final Duration window;
  private final int maxTrackedKeys;
  private final Clock clock;
  private final Map<String, Window> users = new ConcurrentHashMap<>();
  private final Map<String, Window> addresses = new ConcurrentHashMap<>();

  public LoginThrottle(int failuresPerUser, int attemptsPerAddress, Duration window, int maxTrackedKeys, Clock clock) {
    this.failuresPerUser = failuresPerUser;
    this.attemptsPerAddress = attemptsPerAddress;
    this.window = window;
    this.maxTrackedKeys = maxTrackedKeys;
    this.clock = clock;
  }

  public static LoginThrottle fromConfig(Config throttle, Clock clock) {
    return new LoginThrottle(
        throttle.getInt("failures-per-user"),
        throttle.getInt("attempts-per-address"),
        throttle.getDuration("window"),
        throttle.getInt("max-tracked-keys"),
        clock);
  }

  /**
   * Counts an attempt from this address for this user. Empty when it may go ahead;
   * otherwise how long until the caller may try again.
   */
  public synchronized Optional<Duration> admit(String username, InetAddress address) {
    Instant now = clock.instant();
    String addressKey = addressKey(address);
    Optional<Duration> userWait = waitFor(users, username, failuresPerUser, now);
    if (userWait.isPresent()) {
      return userWait;
    }
    Optional<Duration> addressWait = waitFor(addresses, addressKey, attemptsPerAddress, now);
    if (addressWait.isPresent()) {
      return addressWait;
    }
    boolean counted = count(addresses, addressKey, now) && count(users, username, now);
    return counted ? Optional.empty() : Optional.of(window);
  }

  /** The password was right: the user's earlier attempts no longer count against them. */
  public synchronized void recordSuccess(String username) {
    users.remove(username);
  }

  private static String addressKey(InetAddress address) {
    byte[] b = address.getAddress();
    if (b.length == 16) {
      return "v6:" + java.util.HexFormat.of().formatHex(b, 0, 8) + "::/64";
    }
    return address.getHostAddress();
  }

  private Optional<Duration> waitFor(Map<String, Window> table, String key, int limit, Instant now) {
    Window w = table.get(key);
    if (w == null || w.count() < limit) {
      return Optional.empty();
    }
    Instant end = w.start().plus(window);
    return now.isBefore(end) ? Optional.of(Duration.between(now, end)) : Optional.empty();
  }

  /** Adds one to the key's window; false when the table is full and the key is new. */
  private boolean count(Map<String, Window> table, String key, Instant now) {
    if (!table.containsKey(key) && table.size() >= maxTrackedKeys) {
      table.values().removeIf(w -> !now.isBefore(w.start().plus(window)));
      if (table.size() >= maxTrackedKeys) {
        return false;
      }
    }
    table.compute(
        key,
        (k, w) -> w == null || !now.isBefore(w.start().plus(window)) ? new Window(now, 1) : new Window(w.start(), w.count() + 1));
    return true;
  }
}
