package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.DELETE;
import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.kernel.Role;
import lims.security.LoginThrottle;
import lims.security.Principal;
import lims.security.TokenService;
import lims.security.Users;
import org.apache.pekko.http.javadsl.model.HttpResponse;
import org.apache.pekko.http.javadsl.model.headers.RawHeader;

/**
 * Logging in: tokens for a user name and password, fresh tokens for a refresh token, and
 * logging out (revoking a refresh token). A browser asks for its refresh token as an
 * HttpOnly cookie that only reaches the refresh path, so no script on the page can read it;
 * other clients keep sending it in the body (decision 0049).
 */
final class AuthRoutes {

  static final String REFRESH_PATH = "/api/v1/auth/refresh";
  static final String REFRESH_COOKIE = "lims_refresh";

  /** {@code refreshToken} is left out when it went into the cookie. */
  record TokenResponse(String accessToken, @JsonInclude(JsonInclude.Include.NON_NULL) String refreshToken, String tokenType, long expiresIn) {}

  record Me(String username, List<String> roles) {}

  private final Users users;
  private final TokenService tokens;
  private final LoginThrottle throttle;
  private final ObjectMapper mapper;

  AuthRoutes(Users users, TokenService tokens, LoginThrottle throttle, ObjectMapper mapper) {
    this.users = users;
    this.tokens = tokens;
    this.throttle = throttle;
    this.mapper = mapper;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/auth/token", Access.OPEN, this::token),
        new Endpoint(POST, REFRESH_PATH, Access.OPEN, this::refresh),
        new Endpoint(DELETE, REFRESH_PATH, Access.OPEN, this::logout),
        new Endpoint(GET, "/api/v1/auth/me", Access.anyRole(), this::me));
  }

  private CompletionStage<HttpResponse> token(Call call) {
    JsonBody body = call.json();
    String username = body.requiredString("username", 64);
    String password = body.requiredString("password", 256);
    boolean inCookie = body.optionalBoolean("refresh_cookie").orElse(false);
    body.finish();
    throttle
        .admit(username, call.clientAddress())
        .ifPresent(wait -> {
          throw ProblemException.tooManyRequests("too many login attempts; try again later", Math.max(1, wait.toSeconds()));
        });
    return users
        .authenticate(username, password)
        .thenApply(
            user -> {
              if (user.isEmpty()) {
                throw ProblemException.unauthorized("unknown user name or wrong password");
              }
              throttle.recordSuccess(username);
              TokenService.TokenPair pair = tokens.issue(user.get().username(), user.get().roles(), user.get().clientId(), user.get().devices());
              return inCookie
                  ? tokens(new TokenResponse(pair.accessToken(), null, "Bearer", pair.expiresInSeconds()))
                      .addHeader(refreshCookie(pair.refreshToken(), tokens.refreshTtl().toSeconds()))
                  : tokens(new TokenResponse(pair.accessToken(), pair.refreshToken(), "Bearer", pair.expiresInSeconds()));
            });
  }

  /**
   * With a body, the refresh token in it and a new pair back (API clients). Without one, the
   * refresh cookie and a new access token back; the cookie keeps its token, so a browser
   * session ends one refresh-token lifetime after the password was typed.
   */
  private CompletionStage<HttpResponse> refresh(Call call) {
    boolean fromCookie = call.body().length == 0;
    String refreshToken = fromCookie ? cookie(call).orElseThrow(() -> ProblemException.unauthorized("not logged in: no refresh cookie"))
        : bodyToken(call);
    TokenService.RefreshGrant grant;
    try {
      grant = tokens.verifyRefresh(refreshToken);
    } catch (TokenService.InvalidToken e) {
      throw ProblemException.unauthorized(e.getMessage());
    }
    // Re-read the user so the new tokens carry the roles the user has now, and a logged-out token is refused.
    return users
        .findForRefresh(grant.principal().username(), grant.tokenId())
        .thenApply(
            user -> user.map(u -> {
              TokenService.TokenPair pair = tokens.issue(u.username(), u.roles(), u.clientId(), u.devices());
              return tokens(new TokenResponse(pair.accessToken(), fromCookie ? null : pair.refreshToken(), "Bearer", pair.expiresInSeconds()));
            }).orElseThrow(() -> ProblemException.unauthorized("the refresh token was revoked (logged out), or its user no longer exists")));
  }

  /** Tokens are answered never to be stored by a cache or a proxy (RFC 6749, 5.1). */
  private HttpResponse tokens(TokenResponse answer) {
    return Responses.json(mapper, 200, answer).addHeader(RawHeader.create("Cache-Control", "no-store"));
  }

  /**
   * Logging out: the refresh token (from the body, else the cookie) is revoked on every node.
   * The cookie is cleared only when it was the one revoked: an API client logging out its own
   * token leaves a browser session beside it alone, rather than hiding a token still valid.
   */
  private CompletionStage<HttpResponse> logout(Call call) {
    boolean fromCookie = call.body().length == 0;
    Optional<String> refreshToken = fromCookie ? cookie(call) : Optional.of(bodyToken(call));
    HttpResponse cleared = fromCookie ? Responses.noContent().addHeader(refreshCookie("", 0)) : Responses.noContent();
    if (refreshToken.isEmpty()) return CompletableFuture.completedFuture(cleared); // nothing to revoke
    TokenService.RefreshGrant grant;
    try {
      grant = tokens.verifyRefresh(refreshToken.get());
    } catch (TokenService.InvalidToken e) {
      if (fromCookie) return CompletableFuture.completedFuture(cleared); // a stale cookie: already useless
      throw ProblemException.unauthorized(e.getMessage());
    }
    return users.revokeRefresh(grant.principal().username(), grant.tokenId(), grant.expiresAt()).thenApply(revoked -> cleared);
  }

  private CompletionStage<HttpResponse> me(Call call) {
    Principal caller = call.caller();
    return Responses.ok(mapper, new Me(caller.username(), caller.roles().stream().map(Role::wireName).sorted().toList()));
  }

  private static String bodyToken(Call call) {
    JsonBody body = call.json();
    String refreshToken = body.requiredString("refresh_token", 4096);
    body.finish();
    return refreshToken;
  }

  /**
   * HttpOnly: no script reads it. Secure: only over HTTPS (browsers count http://localhost and
   * 127.0.0.1 as secure). SameSite=Strict: no other site's page makes the browser send it.
   * Path: it reaches only refresh and logout, never another API path.
   */
  private static RawHeader refreshCookie(String value, long maxAgeSeconds) {
    return RawHeader.create("Set-Cookie", REFRESH_COOKIE + "=" + value + "; Path=" + REFRESH_PATH + "; Max-Age=" + maxAgeSeconds
        + "; HttpOnly; Secure; SameSite=Strict");
  }

  private static Optional<String> cookie(Call call) {
    for (var header : call.request().getHeaders()) {
      if (!header.is("cookie")) continue;
      for (String pair : header.value().split(";")) {
        int eq = pair.indexOf('=');
        if (eq > 0 && pair.substring(0, eq).strip().equals(REFRESH_COOKIE)) {
          String value = pair.substring(eq + 1).strip();
          if (!value.isEmpty()) return Optional.of(value);
        }
      }
    }
    return Optional.empty();
  }
}
