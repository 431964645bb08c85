package lims.specimen;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import lims.kernel.CborSerializable;
import lims.kernel.Custody;
import lims.kernel.Rejection;
import lims.kernel.ShardedEntity;
import lims.kernel.projection.EventTags;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.cluster.sharding.typed.javadsl.EntityTypeKey;
import org.apache.pekko.persistence.typed.PersistenceId;
import org.apache.pekko.persistence.typed.javadsl.CommandHandlerWithReply;
import org.apache.pekko.persistence.typed.javadsl.EventHandler;

/**
 * A client of the lab: who sends specimens in and receives their reports, keyed by its client
 * code (the code printed on reports). Invariant: created at most once, so two creates of one
 * code, however concurrent, make one client; the code never changes; every change is an event
 * carrying its custody record.
 */
public final class Client extends ShardedEntity<Client.Command, Client.Event, Client.State> {

  public static final EntityTypeKey<Command> TYPE = EntityTypeKey.create(Command.class, "Client");
  public static final EventTags TAGS = new EventTags("client", 2);
  /** A client code: upper-case letters, digits and '-', 2-16 characters, starting with a letter or digit. */
  public static final Pattern CODE = Pattern.compile("[A-Z0-9][A-Z0-9-]{1,15}");

  /** Someone at the client; {@code receivesReports}: whether reports go to them by default. */
  public record Contact(String name, String email, boolean receivesReports) implements CborSerializable {}

  /** What an admin sets, and replaces whole on each edit. {@code address} may be null. */
  public record Details(String name, String address, List<Contact> contacts) implements CborSerializable {
    public Details {
      contacts = contacts == null ? List.of() : List.copyOf(contacts);
    }
  }

  // --- protocol -------------------------------------------------------------------------

  public sealed interface Command extends CborSerializable permits Create, Update, Get {}

  /**
   * {@code idempotencyToken}: the token of the Idempotency-Key the create came with, or null; a
   * repeat carrying it is answered as created.
   */
  public record Create(Details details, Custody custody, String idempotencyToken, ActorRef<Reply> replyTo) implements Command {}

  public record Update(Details details, Custody custody, ActorRef<Reply> replyTo) implements Command {}

  public record Get(ActorRef<Reply> replyTo) implements Command {}

  public sealed interface Reply extends CborSerializable permits Current, Rejected {}

  /** {@code created}: true only for the create that created the client (and its key's repeats). */
  public record Current(State client, boolean created) implements Reply {}

  public record Rejected(Rejection rejection) implements Reply, lims.kernel.Refused {}

  public sealed interface Event extends CborSerializable permits ClientCreated, ClientUpdated {}

  public record ClientCreated(String code, Details details, Custody custody, String idempotencyToken) implements Event {}

  public record ClientUpdated(String code, Details details, Custody custody) implements Event {}

  /** {@code created}, {@code updated}: the custody of the creation and of the last change (the creation's until edited). */
  public record State(String code, Details details, Custody created, Custody updated, String idempotencyToken) implements CborSerializable {
    public boolean exists() {
      return details != null;
    }

    public String name() {
      return details.name();
    }

    public String address() {
      return details.address();
    }

    public List<Contact> contacts() {
      return details.contacts();
    }

    /** The addresses of the contacts who receive reports by default, in the order given. */
    public List<String> reportContacts() {
      return details.contacts().stream().filter(Contact::receivesReports).map(Contact::email).toList();
    }
  }

  // --- behaviour ------------------------------------------------------------------------

  private final String code;

  private Client(String code) {
    super(PersistenceId.of(TYPE.name(), code));
    this.code = code;
  }

  public static Behavior<Command> create(String code) {
    return new Client(code);
  }

  @Override
  public State emptyState() {
    return new State(code, null, null, null, null);
  }

  @Override
  public Set<String> tagsFor(Event event) {
    return TAGS.tagSetFor(code);
  }

  @Override
  protected CommandHandlerWithReply<Command, Event, State> commands() {
    return newCommandHandlerWithReplyBuilder()
        .forAnyState()
        .onCommand(Create.class, (s, c) -> {
          if (!s.exists()) {
            return Effect().persist(new ClientCreated(code, c.details(), c.custody(), c.idempotencyToken()))
                .thenReply(c.replyTo(), st -> new Current(st, true));
          }
          boolean repeat = c.idempotencyToken() != null && c.idempotencyToken().equals(s.idempotencyToken());
          return Effect().reply(c.replyTo(), repeat ? new Current(s, true)
              : new Rejected(new Rejection(Rejection.Kind.CONFLICT, "client " + code + " already exists", Map.of("code", code))));
        })
        .onCommand(Update.class, (s, c) -> s.exists()
            ? Effect().persist(new ClientUpdated(code, c.details(), c.custody())).thenReply(c.replyTo(), st -> new Current(st, false))
            : Effect().reply(c.replyTo(), new Rejected(Rejection.notFound("no client " + code))))
        .onCommand(Get.class, (s, c) -> Effect().reply(c.replyTo(), s.exists()
            ? new Current(s, false) : new Rejected(Rejection.notFound("no client " + code))))
        .build();
  }

  @Override
  public EventHandler<State, Event> eventHandler() {
    return newEventHandlerBuilder()
        .forAnyState()
        .onEvent(ClientCreated.class, (s, e) -> new State(code, e.details(), e.custody(), e.custody(), e.idempotencyToken()))
        .onEvent(ClientUpdated.class, (s, e) -> new State(code, e.details(), s.created(), e.custody(), s.idempotencyToken()))
        .build();
  }
}
