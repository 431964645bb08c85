package lims.security;

import lims.kernel.Role;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.EnumSet;
import java.util.Map;
import org.junit.jupiter.api.Test;

class TokenServiceTest {

  static final Config JWT = ConfigFactory.parseMap(Map.of(
      "secret", "a-test-signing-key-of-at-least-32-bytes",
      "issuer", "lims",
      "access-token-ttl", "15m",
      "refresh-token-ttl", "12h",
      "clock-skew", "30s"));

  final Instant now = Instant.parse("2026-11-23T10:00:00Z");
  final TokenService tokens = new TokenService(JWT, Clock.fixed(now, ZoneOffset.UTC));

  @Test
  void anIssuedAccessTokenNamesItsUserAndRoles() throws Exception {
    var pair = tokens.issue("rita", EnumSet.of(Role.REVIEWER, Role.VIEWER));
    Principal p = tokens.verifyAccess(pair.accessToken());
    assertEquals("rita", p.username());
    assertEquals(EnumSet.of(Role.REVIEWER, Role.VIEWER), p.roles());
    assertEquals(900, pair.expiresInSeconds());
  }

  @Test
  void aViewerLinkedToAClientCarriesItInBothTokens() throws Exception {
    var pair = tokens.issue("vera", EnumSet.of(Role.VIEWER), "ACME");
    assertEquals(java.util.Optional.of("ACME"), tokens.verifyAccess(pair.accessToken()).clientScope());
    assertEquals("ACME", tokens.verifyRefresh(pair.refreshToken()).principal().clientId());
    assertEquals(java.util.Optional.empty(), tokens.verifyAccess(tokens.issue("rita", EnumSet.of(Role.VIEWER)).accessToken()).clientScope());
  }

  @Test
  void anInstrumentUserLinkedToDevicesCarriesThemInBothTokens() throws Exception {
    var pair = tokens.issue("adapter.incubator1", EnumSet.of(Role.INSTRUMENT), null, java.util.List.of("incubator-1", "incubator-2"));
    assertEquals(java.util.List.of("incubator-1", "incubator-2"), tokens.verifyAccess(pair.accessToken()).devices());
    assertEquals(java.util.List.of("incubator-1", "incubator-2"), tokens.verifyRefresh(pair.refreshToken()).principal().devices());
    assertEquals(java.util.List.of(), tokens.verifyAccess(tokens.issue("rita", EnumSet.of(Role.VIEWER)).accessToken()).devices());
  }

  @Test
  void anAccessTokenExpiresAfterItsTtlPlusSkew() throws Exception {
    String access = tokens.issue("rita", EnumSet.of(Role.VIEWER)).accessToken();
    new TokenService(JWT, Clock.fixed(now.plus(Duration.ofMinutes(15)).plusSeconds(29), ZoneOffset.UTC)).verifyAccess(access);
    var later = new TokenService(JWT, Clock.fixed(now.plus(Duration.ofMinutes(16)), ZoneOffset.UTC));
    assertEquals("token expired", assertThrows(TokenService.InvalidToken.class, () -> later.verifyAccess(access)).getMessage());
  }

  /** A logout revokes a refresh token by its id, kept as long as the token is accepted (its expiry plus the skew): both come from the token. */
  @Test
  void aRefreshTokenNamesItsIdAndExpiry() throws Exception {
    var pair = tokens.issue("rita", EnumSet.of(Role.VIEWER));
    TokenService.RefreshGrant grant = tokens.verifyRefresh(pair.refreshToken());
    assertEquals("rita", grant.principal().username());
    assertEquals(EnumSet.of(Role.VIEWER), grant.principal().roles());
    Instant acceptedUntil = grant.expiresAt();
    assertEquals(now.plus(tokens.refreshTtl()).plus(JWT.getDuration("clock-skew")).getEpochSecond(), acceptedUntil.getEpochSecond());
    new TokenService(JWT, Clock.fixed(acceptedUntil.minusSeconds(1), ZoneOffset.UTC)).verifyRefresh(pair.refreshToken());
    var after = new TokenService(JWT, Clock.fixed(acceptedUntil.plusSeconds(1), ZoneOffset.UTC));
    assertThrows(TokenService.InvalidToken.class, () -> after.verifyRefresh(pair.refreshToken()), "not accepted once its revocation may be forgotten");
    assertNotEquals(grant.tokenId(), tokens.verifyRefresh(tokens.issue("rita", EnumSet.of(Role.VIEWER)).refreshToken()).tokenId());
  }

  @Test
  void kindsAreNotInterchangeable() {
    var pair = tokens.issue("rita", EnumSet.of(Role.VIEWER));
    assertThrows(TokenService.InvalidToken.class, () -> tokens.verifyAccess(pair.refreshToken()));
    assertThrows(TokenService.InvalidToken.class, () -> tokens.verifyRefresh(pair.accessToken()));
  }

  @Test
  void anotherKeyOrIssuerIsRefused() {
    String foreign = new TokenService(JWT.withFallback(ConfigFactory.empty())
        .withValue("secret", com.typesafe.config.ConfigValueFactory.fromAnyRef("some-other-key-of-at-least-32-bytes")),
        Clock.fixed(now, ZoneOffset.UTC)).issue("rita", EnumSet.of(Role.ADMIN)).accessToken();
    assertThrows(TokenService.InvalidToken.class, () -> tokens.verifyAccess(foreign));
    String otherIssuer = new TokenService(JWT.withValue("issuer", com.typesafe.config.ConfigValueFactory.fromAnyRef("elsewhere")),
        Clock.fixed(now, ZoneOffset.UTC)).issue("rita", EnumSet.of(Role.ADMIN)).accessToken();
    assertThrows(TokenService.InvalidToken.class, () -> tokens.verifyAccess(otherIssuer));
  }

  @Test
  void aTamperedPayloadIsRefused() {
    String access = tokens.issue("vera", EnumSet.of(Role.VIEWER)).accessToken();
    String[] parts = access.split("\\.");
    String forgedClaims = java.util.Base64.getUrlEncoder().withoutPadding().encodeToString(
        new String(java.util.Base64.getUrlDecoder().decode(parts[1])).replace("viewer", "admin").getBytes());
    assertThrows(TokenService.InvalidToken.class, () -> tokens.verifyAccess(parts[0] + "." + forgedClaims + "." + parts[2]));
  }

  @Test
  void aShortSigningKeyIsRefused() {
    assertThrows(IllegalArgumentException.class,
        () -> new TokenService(JWT.withValue("secret", com.typesafe.config.ConfigValueFactory.fromAnyRef("short")), Clock.systemUTC()));
  }
}
