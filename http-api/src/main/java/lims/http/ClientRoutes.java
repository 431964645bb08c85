package lims.http;

import static org.apache.pekko.http.javadsl.model.HttpMethods.GET;
import static org.apache.pekko.http.javadsl.model.HttpMethods.POST;
import static org.apache.pekko.http.javadsl.model.HttpMethods.PUT;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.regex.Pattern;
import lims.kernel.Page;
import lims.kernel.Role;
import lims.specimen.Client;
import lims.specimen.ClientReadModel;
import lims.specimen.Clients;
import org.apache.pekko.http.javadsl.model.HttpResponse;

/** Clients and their contacts (docs/domain.md, Clients; openapi.yaml, tag clients): admins edit, every person reads. */
final class ClientRoutes {

  private static final Access EDITORS = Access.roles(Role.ADMIN);
  /** Every role a person holds; an instrument has no business with clients. */
  private static final Access READERS = Access.roles(Role.ADMIN, Role.TECHNICIAN, Role.SCIENTIST, Role.REVIEWER, Role.VIEWER);
  static final String CODE_RULE = "a client code: 2-16 upper-case letters, digits or '-', such as ACME-LABS";
  private static final Pattern NAME = Pattern.compile("[^\\p{Cntrl}]{1,200}");
  private static final Pattern ADDRESS = Pattern.compile("(?:[^\\p{Cntrl}]|\\n){1,1000}");
  private static final int MAX_CONTACTS = 50;

  private final Clients clients;
  private final ObjectMapper mapper;
  private final IdempotencyKeys idempotency;

  ClientRoutes(Clients clients, ObjectMapper mapper, IdempotencyKeys idempotency) {
    this.clients = clients;
    this.mapper = mapper;
    this.idempotency = idempotency;
  }

  List<Endpoint> endpoints() {
    return List.of(
        new Endpoint(POST, "/api/v1/clients", EDITORS, this::create),
        new Endpoint(GET, "/api/v1/clients", READERS, this::list),
        new Endpoint(GET, "/api/v1/clients/{code}", READERS, this::read),
        new Endpoint(PUT, "/api/v1/clients/{code}", EDITORS, this::update));
  }

  /** 201 with the client; 409 when the code is taken. */
  private CompletionStage<HttpResponse> create(Call call) {
    JsonBody body = call.json();
    String code = body.requiredMatching("code", Client.CODE, CODE_RULE);
    Client.Details details = details(body);
    body.finish();
    return idempotency.create(call, () -> CompletableFuture.completedFuture(code), reserved -> clients
        .create(code, details, call.custody(Role.ADMIN, null), reserved.token())
        .thenApply(reply -> Responses.json(mapper, 201, ClientView.of(Replies.expect(reply, Client.Current.class).client()))));
  }

  /** Name, address and contacts replaced whole: what the body leaves out is gone. */
  private CompletionStage<HttpResponse> update(Call call) {
    String code = code(call);
    JsonBody body = call.json();
    Client.Details details = details(body);
    body.finish();
    return clients.update(code, details, call.custody(Role.ADMIN, null))
        .thenApply(reply -> Responses.json(mapper, 200, ClientView.of(Replies.expect(reply, Client.Current.class).client())));
  }

  /** By code, a page at a time; a viewer linked to a client gets that client alone. */
  private CompletionStage<HttpResponse> list(Call call) {
    int limit = QueryParams.limit(call);
    Optional<String> after = QueryParams.matching(call, "after", Client.CODE, "a cursor from next_cursor");
    Optional<String> scope = call.clientScope();
    if (scope.isPresent()) {
      return clients.get(scope.get()).thenApply(own -> Responses.page(mapper, new Page<>(
          own.filter(c -> after.isEmpty() || c.code().compareTo(after.get()) > 0).map(ClientView::of).stream().toList(), null)));
    }
    return clients.readModel().list(limit, after).thenApply(page -> Responses.page(mapper, page.map(ClientView::of)));
  }

  /** From the entity, so a client just created or edited reads as it is now. */
  private CompletionStage<HttpResponse> read(Call call) {
    String code = code(call);
    if (call.clientScope().filter(own -> !own.equals(code)).isPresent()) throw ProblemException.notFound("no client " + code);
    return clients.ask(code, Client.Get::new)
        .thenApply(reply -> Responses.json(mapper, 200, ClientView.of(Replies.expect(reply, Client.Current.class).client())));
  }

  // --- helpers --------------------------------------------------------------------------

  private static String code(Call call) {
    String code = call.pathParam("code");
    if (!Client.CODE.matcher(code).matches()) throw ProblemException.invalid("code", "must be " + CODE_RULE);
    return code;
  }

  /** name (required), address and contacts; each problem named, contacts[i].email for a contact's address. */
  private static Client.Details details(JsonBody body) {
    String name = body.check("name", body.requiredString("name", 200), ClientRoutes::nameProblem);
    String address = body.check("address", body.optionalString("address", 1000).orElse(null),
        a -> ADDRESS.matcher(a).matches() ? Optional.empty() : Optional.of("must be 1-1000 characters, line breaks allowed, no other control characters"));
    List<Client.Contact> contacts = new ArrayList<>();
    for (JsonBody contact : body.optionalObjects("contacts", MAX_CONTACTS)) {
      String contactName = contact.check("name", contact.requiredString("name", 200), ClientRoutes::nameProblem);
      String email = contact.check("email", contact.requiredString("email", Clients.EMAIL_MAX),
          e -> Clients.validEmail(e) ? Optional.empty() : Optional.of("must be " + Clients.EMAIL_RULE));
      boolean receivesReports = contact.optionalBoolean("receives_reports").orElse(true);
      contact.refuseUnknown();
      if (contactName != null && email != null) contacts.add(new Client.Contact(contactName, email, receivesReports));
    }
    return new Client.Details(name, address, contacts);
  }

  /** A body's optional {@code client_id}: a client code, or null when absent (or refused, named). Whether it exists is the caller's to ask. */
  static String optionalClientId(JsonBody body) {
    return body.check("client_id", body.optionalString("client_id", 16).orElse(null),
        code -> Client.CODE.matcher(code).matches() ? Optional.empty() : Optional.of("must be " + CODE_RULE));
  }

  private static Optional<String> nameProblem(String name) {
    return NAME.matcher(name).matches() ? Optional.empty() : Optional.of("must be 1-200 characters without control characters");
  }

  // --- answers --------------------------------------------------------------------------

  record ContactView(String name, String email, boolean receivesReports) {
    static List<ContactView> of(List<Client.Contact> contacts) {
      return contacts.stream().map(c -> new ContactView(c.name(), c.email(), c.receivesReports())).toList();
    }
  }

  record ClientView(String code, String name, String address, List<ContactView> contacts, Instant createdAt, Instant updatedAt) {
    static ClientView of(Client.State c) {
      return new ClientView(c.code(), c.name(), c.address(), ContactView.of(c.contacts()), c.created().at(), c.updated().at());
    }

    static ClientView of(ClientReadModel.ClientRow c) {
      return new ClientView(c.code(), c.name(), c.address(), ContactView.of(c.contacts()), c.createdAt(), c.updatedAt());
    }
  }
}
