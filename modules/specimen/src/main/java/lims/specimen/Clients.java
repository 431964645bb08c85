package lims.specimen;

import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import lims.kernel.Asked;
import lims.kernel.Custody;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/**
 * The clients' entry point: the sharded Client entities (the truth about one client), their
 * read table (lists), and who receives a specimen's report.
 */
public final class Clients {

  /**
   * An e-mail address a mail server will take: one '@', no white space or control characters,
   * a local part of at most 64 characters and a domain of dot-separated labels.
   */
  public static final Pattern EMAIL = Pattern.compile(
      "[^@\\s\\p{Cntrl}<>()\\[\\],;:\"]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+");
  /** RFC 5321's limit on a forward path. */
  public static final int EMAIL_MAX = 254;
  public static final String EMAIL_RULE = "an e-mail address such as lab@example.org (at most " + EMAIL_MAX + " characters)";

  private final ClusterSharding sharding;
  private final Duration askTimeout;
  private final ClientReadModel readModel;

  public Clients(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.askTimeout = askTimeout;
    this.readModel = new ClientReadModel(ReadTable.of(system, ClientProjection.NAME, Client.TAGS));
    sharding.init(Entity.of(Client.TYPE, ctx -> Client.create(ctx.getEntityId())));
    Projections.<Client.Event>start(system, ClientProjection.NAME, Client.TAGS, tag -> new ClientProjection());
  }

  /** Whether {@code address} is one to send mail to. */
  public static boolean validEmail(String address) {
    return address != null && address.length() <= EMAIL_MAX && EMAIL.matcher(address).matches();
  }

  public CompletionStage<Client.Reply> ask(String code, Function<ActorRef<Client.Reply>, Client.Command> command) {
    return Asked.ask(sharding.entityRefFor(Client.TYPE, code), command, askTimeout);
  }

  /** Creates a client; a second create of the code is refused (409) unless it carries the first one's idempotency token. */
  public CompletionStage<Client.Reply> create(String code, Client.Details details, Custody custody, String idempotencyToken) {
    return ask(code, r -> new Client.Create(details, custody, idempotencyToken, r));
  }

  /** Replaces a client's name, address and contacts; an unknown code is refused (404). */
  public CompletionStage<Client.Reply> update(String code, Client.Details details, Custody custody) {
    return ask(code, r -> new Client.Update(details, custody, r));
  }

  /** The client as its entity holds it now; empty when no client has the code. */
  public CompletionStage<Optional<Client.State>> get(String code) {
    if (code == null || !Client.CODE.matcher(code).matches()) return CompletableFuture.completedFuture(Optional.empty());
    return ask(code, Client.Get::new)
        .thenApply(reply -> reply instanceof Client.Current current ? Optional.of(current.client()) : Optional.empty());
  }

  /**
   * Who receives a specimen's report: its client's contacts who receive reports, then the
   * addresses named on the specimen, each once, in that order. Empty for a specimen with
   * neither (its report is delivered by hand).
   */
  public CompletionStage<List<String>> reportRecipients(Specimen.Registration registration) {
    CompletionStage<Optional<Client.State>> client = registration.clientId() == null
        ? CompletableFuture.completedFuture(Optional.empty()) : get(registration.clientId());
    return client.thenApply(c -> reportRecipients(c, registration));
  }

  /** The same, for a client already read. */
  public static List<String> reportRecipients(Optional<Client.State> client, Specimen.Registration registration) {
    Set<String> all = new LinkedHashSet<>();
    client.ifPresent(c -> all.addAll(c.reportContacts()));
    all.addAll(registration.reportRecipients());
    return List.copyOf(all);
  }

  public ClientReadModel readModel() {
    return readModel;
  }
}
