package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import lims.security.PasswordHasher;
import lims.kernel.Role;
import lims.security.UserAccount;
import lims.security.Users;
import lims.specimen.Clients;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** User administration (admin only). */
final class UserRoutes {

  /** {@code clientId}: the client a viewer is linked to, null for none; {@code deviceIds}: the devices an instrument user streams for. */
  record UserView(String username, List<String> roles, String createdBy, Instant createdAt, String clientId, List<String> deviceIds) {
    static UserView of(UserAccount.User u) {
      return new UserView(u.username(), u.roles().stream().map(Role::wireName).sorted().toList(), u.createdBy(), u.createdAt(), u.clientId(),
          u.devices());
    }
  }

  private static final int MAX_DEVICE_LINKS = 100;

  private final Users users;
  private final Clients clients;
  private final ObjectMapper mapper;
  private final IdempotencyKeys idempotency;

  UserRoutes(Users users, Clients clients, ObjectMapper mapper, IdempotencyKeys idempotency) {
    this.users = users;
    this.clients = clients;
    this.mapper = mapper;
    this.idempotency = idempotency;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/users", Access.roles(Role.ADMIN), this::create),
        new Endpoint(GET, "/api/v1/users", Access.roles(Role.ADMIN), this::list),
        new Endpoint(GET, "/api/v1/users/{username}", Access.roles(Role.ADMIN), this::read));
  }

  private CompletionStage<HttpResponse> create(Call call) {
    JsonBody body = call.json();
    String username = body.requiredMatching("username", Users.USERNAME,
        "2-64 characters: lower-case letters, digits, '.', '_' or '-', starting with a letter");
    String password = body.check("password", body.requiredString("password", 256), given -> Optional.ofNullable(PasswordHasher.weakness(given)));
    JsonNode given = body.raw("roles");
    List<Role> roles = body.requiredList("roles", Role.values().length, Role::fromWireName, "one of " + Role.wireNames());
    if (given != null && given.isArray() && given.isEmpty()) {
      body.reject("roles", "must name at least one role"); // with the other fields' problems, so a form shows them all at once
    }
    String clientId = ClientRoutes.optionalClientId(body);
    if (clientId != null && !roles.isEmpty()) Users.clientLinkProblem(EnumSet.copyOf(roles)).ifPresent(why -> body.reject("client_id", why));
    // A device need not be registered yet: the link only says which devices' telemetry the user's adapter may stream.
    List<String> deviceIds = body.optionalList("device_ids", MAX_DEVICE_LINKS,
        id -> lims.device.Devices.DEVICE_ID.matcher(id).matches() ? Optional.of(id) : Optional.empty(), "a device id such as incubator-1");
    if (!deviceIds.isEmpty() && !roles.isEmpty()) Users.deviceLinkProblem(EnumSet.copyOf(roles)).ifPresent(why -> body.reject("device_ids", why));
    body.finish();
    CompletionStage<Boolean> clientKnown = clientId == null ? CompletableFuture.completedFuture(true)
        : clients.get(clientId).thenApply(Optional::isPresent);
    return clientKnown.thenCompose(known -> {
      if (!known) throw ProblemException.notFound("client_id", "no client " + clientId);
      return create(call, username, password, roles, clientId, deviceIds.stream().distinct().sorted().toList());
    });
  }

  private CompletionStage<HttpResponse> create(Call call, String username, String password, List<Role> roles, String clientId,
      List<String> deviceIds) {
    return idempotency.create(call, () -> CompletableFuture.completedFuture(username), reserved -> users
        .create(username, password, EnumSet.copyOf(roles), clientId, deviceIds.isEmpty() ? null : deviceIds, call.caller().username(),
            reserved.token())
        .thenCompose(
            result -> {
              if (result == UserAccount.CreateResult.ALREADY_EXISTS) {
                throw ProblemException.conflict("user '" + username + "' already exists");
              }
              return users.find(username);
            })
        .thenApply(user -> Responses.json(mapper, 201, UserView.of(user.orElseThrow()))));
  }

  /** Users by name, a page at a time; the cursor is the last name of the page. */
  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> after = QueryParams.matching(call, "after", Users.USERNAME, "a cursor from next_cursor");
    return users.list(limit, after).thenApply(page -> Responses.page(mapper, page.map(UserView::of)));
  }

  private CompletionStage<HttpResponse> read(Call call) {
    String username = call.pathParam("username");
    return users
        .find(username)
        .thenApply(
            user -> user.map(u -> Responses.json(mapper, 200, UserView.of(u)))
                .orElseThrow(() -> ProblemException.notFound("no user '" + username + "'")));
  }
}
