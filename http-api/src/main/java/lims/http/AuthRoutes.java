package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import lims.security.LoginThrottle;
import lims.security.Principal;
import lims.kernel.Role;
import lims.security.TokenService;
import lims.security.Users;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Logging in: tokens for a user name and password, fresh tokens for a refresh token. */
final class AuthRoutes {

  record TokenResponse(String accessToken, String refreshToken, String tokenType, long expiresIn) {}

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
        new Endpoint(POST, "/api/v1/auth/refresh", Access.OPEN, this::refresh),
        new Endpoint(GET, "/api/v1/auth/me", Access.anyRole(), this::me));
  }

  private CompletionStage<HttpResponse> token(Call call) {
    JsonBody body = call.json();
    String username = body.requiredString("username", 64);
    String password = body.requiredString("password", 256);
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
              return issue(user.get().username(), user.get().roles());
            });
  }

  private CompletionStage<HttpResponse> refresh(Call call) {
    JsonBody body = call.json();
    String refreshToken = body.requiredString("refresh_token", 4096);
    body.finish();
    Principal principal;
    try {
      principal = tokens.verifyRefresh(refreshToken);
    } catch (TokenService.InvalidToken e) {
      throw ProblemException.unauthorized(e.getMessage());
    }
    // Re-read the user so the new tokens carry the roles the user has now.
    return users
        .find(principal.username())
        .thenApply(
            user -> user.map(u -> issue(u.username(), u.roles()))
                .orElseThrow(() -> ProblemException.unauthorized("the user no longer exists")));
  }

  private CompletionStage<HttpResponse> me(Call call) {
    Principal caller = call.caller();
    return Responses.ok(mapper, new Me(caller.username(), caller.roles().stream().map(Role::wireName).sorted().toList()));
  }

  private HttpResponse issue(String username, Set<Role> roles) {
    TokenService.TokenPair pair = tokens.issue(username, roles);
    return Responses.json(mapper, 200, new TokenResponse(pair.accessToken(), pair.refreshToken(), "Bearer", pair.expiresInSeconds()));
  }
}
