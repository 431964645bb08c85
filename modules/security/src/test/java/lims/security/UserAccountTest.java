package lims.security;

import lims.kernel.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import java.util.EnumSet;
import org.apache.pekko.actor.testkit.typed.javadsl.ActorTestKit;
import org.apache.pekko.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The entity alone, on the in-memory journal; the testkit also round-trips every message through CBOR. */
class UserAccountTest {

  static final ActorTestKit testKit = ActorTestKit.create(
      EventSourcedBehaviorTestKit.config().withFallback(ConfigFactory.parseResources("serialization.conf")));

  EventSourcedBehaviorTestKit<UserAccount.Command, UserAccount.Event, UserAccount.State> account;

  @BeforeEach
  void fresh() {
    account = EventSourcedBehaviorTestKit.create(testKit.system(), UserAccount.create("rita"));
  }

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @Test
  void isCreatedOnceOnly() {
    var first = account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-1", EnumSet.of(Role.REVIEWER), null, "admin", null, r));
    assertEquals(UserAccount.CreateResult.CREATED, first.reply());
    assertTrue(first.event() instanceof UserAccount.UserCreated);

    var second = account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-2", EnumSet.of(Role.ADMIN), null, "mallory", null, r));
    assertEquals(UserAccount.CreateResult.ALREADY_EXISTS, second.reply());
    assertTrue(second.hasNoEvents());
    assertEquals("hash-1", second.state().user().orElseThrow().passwordHash());
  }

  /** A create repeated with the Idempotency-Key's token is answered as the create was, also after a restart; any other is a conflict. */
  @Test
  void aRepeatWithTheCreatingTokenIsAnsweredCreated() {
    account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-1", EnumSet.of(Role.REVIEWER), null, "admin", "token-a", r));
    account.restart();
    var repeat = account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-2", EnumSet.of(Role.REVIEWER), null, "admin", "token-a", r));
    assertEquals(UserAccount.CreateResult.CREATED, repeat.reply());
    assertTrue(repeat.hasNoEvents());
    assertEquals("hash-1", repeat.state().user().orElseThrow().passwordHash());
    assertEquals(UserAccount.CreateResult.ALREADY_EXISTS,
        account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-3", EnumSet.of(Role.ADMIN), null, "admin", "token-b", r)).reply());
    assertEquals(UserAccount.CreateResult.ALREADY_EXISTS,
        account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-3", EnumSet.of(Role.ADMIN), null, "admin", null, r)).reply());
  }

  @Test
  void comesBackFromItsEventsAfterARestart() {
    account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-1", EnumSet.of(Role.REVIEWER), null, "admin", null, r));
    account.restart();
    var lookup = account.<UserAccount.Lookup>runCommand(UserAccount.Get::new).reply();
    assertEquals(EnumSet.of(Role.REVIEWER), lookup.user().orElseThrow().roles());
    assertEquals("admin", lookup.user().orElseThrow().createdBy());
  }

  /** A logout's revoked token id is kept, through a restart, until the token expires; then it is dropped. */
  @Test
  void keepsRevokedRefreshTokensUntilTheyExpire() {
    account.<UserAccount.CreateResult>runCommand(r -> new UserAccount.Create("hash-1", EnumSet.of(Role.REVIEWER), null, "admin", null, r));
    java.time.Instant now = java.time.Instant.now();
    var revoked = account.<UserAccount.Revoked>runCommand(r -> new UserAccount.RevokeRefreshToken("jti-expiring", now.minusSeconds(1), r));
    assertEquals(UserAccount.Revoked.REVOKED, revoked.reply());
    assertTrue(revoked.event() instanceof UserAccount.RefreshTokenRevoked);
    account.<UserAccount.Revoked>runCommand(r -> new UserAccount.RevokeRefreshToken("jti-live", now.plusSeconds(3600), r));
    account.restart();
    // Revoked again: answered, nothing new stored.
    assertTrue(account.<UserAccount.Revoked>runCommand(r -> new UserAccount.RevokeRefreshToken("jti-live", now.plusSeconds(3600), r)).hasNoEvents());
    assertEquals(java.util.Set.of("jti-live"), account.<UserAccount.Lookup>runCommand(UserAccount.Get::new).reply().revokedRefreshTokens());
  }

  @Test
  void anUnknownUserStoresNoRevocation() {
    var revoked = account.<UserAccount.Revoked>runCommand(r -> new UserAccount.RevokeRefreshToken("jti", java.time.Instant.now().plusSeconds(60), r));
    assertEquals(UserAccount.Revoked.REVOKED, revoked.reply());
    assertTrue(revoked.hasNoEvents());
  }
}
