package lims.security;

import lims.kernel.Role;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.MACVerifier;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.typesafe.config.Config;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;

/**
 * Issues and verifies the service's JWTs: HMAC-SHA256 only. A token with any other
 * algorithm (including {@code none}), a bad signature, another issuer, the wrong kind
 * (a refresh token used as an access token) or past its expiry is refused.
 */
public final class TokenService {

  /** The key in security.conf; a cluster node refuses to start with it. */
  public static final String DEVELOPMENT_KEY = "lims-development-signing-key-do-not-use-in-production";

  private static final String KIND_CLAIM = "kind";
  private static final String ROLES_CLAIM = "roles";
  /** The client a viewer is linked to; absent for every other user. */
  private static final String CLIENT_CLAIM = "client_id";
  private static final String DEVICES_CLAIM = "device_ids";

  private final byte[] secret;
  private final String issuer;
  private final Duration accessTtl;
  private final Duration refreshTtl;
  private final Duration clockSkew;
  private final Clock clock;

  public TokenService(Config jwt, Clock clock) {
    this.secret = jwt.getString("secret").getBytes(StandardCharsets.UTF_8);
    if (secret.length < 32) {
      throw new IllegalArgumentException("lims.security.jwt.secret must be at least 32 bytes");
    }
    this.issuer = jwt.getString("issuer");
    this.accessTtl = jwt.getDuration("access-token-ttl");
    this.refreshTtl = jwt.getDuration("refresh-token-ttl");
    this.clockSkew = jwt.getDuration("clock-skew");
    this.clock = clock;
  }

  public static boolean usesDevelopmentKey(Config jwt) {
    return DEVELOPMENT_KEY.equals(jwt.getString("secret"));
  }

  public record TokenPair(String accessToken, String refreshToken, long expiresInSeconds) {}

  public TokenPair issue(String username, Set<Role> roles) {
    return issue(username, roles, null);
  }

  /** Tokens for a user linked to the client {@code clientId} (null: none): they carry the claim, so every node scopes the caller. */
  public TokenPair issue(String username, Set<Role> roles, String clientId) {
    return issue(username, roles, clientId, List.of());
  }

  /** The same, for an instrument user linked to {@code deviceIds} (claim {@code device_ids}: the devices its adapter may stream for). */
  public TokenPair issue(String username, Set<Role> roles, String clientId, List<String> deviceIds) {
    Instant now = clock.instant();
    return new TokenPair(
        sign(username, roles, clientId, deviceIds, Kind.ACCESS, now, accessTtl),
        sign(username, roles, clientId, deviceIds, Kind.REFRESH, now, refreshTtl),
        accessTtl.toSeconds());
  }

  public Principal verifyAccess(String token) throws InvalidToken {
    return principal(verify(token, Kind.ACCESS));
  }

  /**
   * How much longer a valid access token is accepted (until its expiry plus the clock skew
   * allowed): a caller holding a connection open on it (the event stream) ends there.
   */
  public Duration timeLeft(String accessToken) throws InvalidToken {
    Instant end = verify(accessToken, Kind.ACCESS).getExpirationTime().toInstant().plus(clockSkew);
    return Duration.between(clock.instant(), end);
  }

  /**
   * A verified refresh token: its user, its id, and the instant until which it is accepted
   * (its expiry plus the clock skew), by which a logout revokes it (the user's entity keeps
   * revoked ids until then).
   */
  public record RefreshGrant(Principal principal, String tokenId, Instant expiresAt) {}

  /** The refresh token's user; the caller re-reads the user's current roles (and revoked tokens) before issuing. */
  public RefreshGrant verifyRefresh(String token) throws InvalidToken {
    JWTClaimsSet claims = verify(token, Kind.REFRESH);
    if (claims.getJWTID() == null) throw new InvalidToken("malformed token");
    // Accepted until its expiry plus the clock skew allowed: a revocation is kept that long too.
    return new RefreshGrant(principal(claims), claims.getJWTID(), claims.getExpirationTime().toInstant().plus(clockSkew));
  }

  /** How long a refresh token lives: the browser's refresh cookie lives as long. */
  public Duration refreshTtl() {
    return refreshTtl;
  }

  private enum Kind {
    ACCESS,
    REFRESH;

    String claim() {
      return name().toLowerCase();
    }
  }

  private String sign(String username, Set<Role> roles, String clientId, List<String> deviceIds, Kind kind, Instant now, Duration ttl) {
    JWTClaimsSet.Builder builder =
        new JWTClaimsSet.Builder()
            .issuer(issuer)
            .subject(username)
            .jwtID(UUID.randomUUID().toString())
            .issueTime(Date.from(now))
            .expirationTime(Date.from(now.plus(ttl)))
            .claim(KIND_CLAIM, kind.claim())
            .claim(ROLES_CLAIM, roles.stream().map(Role::wireName).sorted().toList());
    if (clientId != null) builder.claim(CLIENT_CLAIM, clientId);
    if (deviceIds != null && !deviceIds.isEmpty()) builder.claim(DEVICES_CLAIM, List.copyOf(deviceIds));
    JWTClaimsSet claims = builder.build();
    SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), claims);
    try {
      jwt.sign(new MACSigner(secret));
    } catch (JOSEException e) {
      throw new IllegalStateException("cannot sign a token", e);
    }
    return jwt.serialize();
  }

  private JWTClaimsSet verify(String token, Kind expected) throws InvalidToken {
    SignedJWT jwt;
    try {
      jwt = SignedJWT.parse(token);
    } catch (ParseException | RuntimeException e) {
      throw new InvalidToken("malformed token");
    }
    if (!JWSAlgorithm.HS256.equals(jwt.getHeader().getAlgorithm())) {
      throw new InvalidToken("unsupported token algorithm");
    }
    try {
      if (!jwt.verify(new MACVerifier(secret))) {
        throw new InvalidToken("bad token signature");
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (!issuer.equals(claims.getIssuer())) {
        throw new InvalidToken("token from another issuer");
      }
      Date expiry = claims.getExpirationTime();
      if (expiry == null || clock.instant().minus(clockSkew).isAfter(expiry.toInstant())) {
        throw new InvalidToken("token expired");
      }
      if (!expected.claim().equals(claims.getStringClaim(KIND_CLAIM))) {
        throw new InvalidToken("not an " + expected.claim() + " token");
      }
      return claims;
    } catch (JOSEException | ParseException e) {
      throw new InvalidToken("malformed token");
    }
  }

  private static Principal principal(JWTClaimsSet claims) throws InvalidToken {
    try {
      return new Principal(claims.getSubject(), roles(claims.getStringListClaim(ROLES_CLAIM)), claims.getStringClaim(CLIENT_CLAIM),
          claims.getStringListClaim(DEVICES_CLAIM));
    } catch (ParseException e) {
      throw new InvalidToken("malformed token");
    }
  }

  private static Set<Role> roles(List<String> names) {
    Set<Role> roles = EnumSet.noneOf(Role.class);
    if (names != null) {
      names.forEach(n -> Role.fromWireName(n).ifPresent(roles::add));
    }
    return roles;
  }

  /** Why a presented token was refused; the reason is safe to show the caller. */
  public static final class InvalidToken extends Exception {
    public InvalidToken(String reason) {
      super(reason);
    }
  }
}
