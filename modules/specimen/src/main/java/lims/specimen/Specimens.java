package lims.specimen;

import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Year;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.regex.Pattern;
import lims.kernel.Asked;
import lims.kernel.Custody;
import lims.kernel.Database;
import lims.kernel.Rejection;
import lims.kernel.projection.Projections;
import lims.kernel.projection.ReadTable;
import org.apache.pekko.actor.typed.ActorRef;
import org.apache.pekko.actor.typed.ActorSystem;
import org.apache.pekko.cluster.sharding.typed.javadsl.ClusterSharding;
import org.apache.pekko.cluster.sharding.typed.javadsl.Entity;

/** The specimen context's entry point: ids, the sharded entities, their read table and reactions. */
public final class Specimens {

  public static final Pattern SPECIMEN_ID = Pattern.compile("SP-[0-9]{4}-[0-9]{6,12}");

  private final ClusterSharding sharding;
  private final Database database;
  private final Duration askTimeout;
  private final SpecimenReadModel readModel;
  private final Clients clients;

  public Specimens(ActorSystem<?> system, Duration askTimeout) {
    this.sharding = ClusterSharding.get(system);
    this.database = Database.get(system);
    this.askTimeout = askTimeout;
    this.readModel = new SpecimenReadModel(ReadTable.of(system, SpecimenProjection.NAME, Specimen.TAGS));
    this.clients = new Clients(system, askTimeout);
    sharding.init(Entity.of(Specimen.TYPE, ctx -> Specimen.create(ctx.getEntityId())));
    sharding.init(Entity.of(TestBatch.TYPE, ctx -> TestBatch.create(ctx.getEntityId())));
    Projections.<Specimen.Event>start(system, SpecimenProjection.NAME, Specimen.TAGS, tag -> new SpecimenProjection());
    Projections.<Specimen.Event>startReaction(system, SpecimenReplacements.NAME, Specimen.TAGS, tag -> new SpecimenReplacements(this::ask));
  }

  /** A new, never-used specimen id: SP-<year>-<number from the cluster-wide sequence>. */
  public CompletionStage<String> newId() {
    String sql = database.vendor().equals("postgresql") ? "SELECT nextval('specimen_number')" : "SELECT NEXT VALUE FOR specimen_number";
    return database.withConnection(c -> {
      try (PreparedStatement s = c.prepareStatement(sql); ResultSet rs = s.executeQuery()) {
        rs.next();
        return String.format("SP-%d-%06d", Year.now(ZoneOffset.UTC).getValue(), rs.getLong(1));
      }
    });
  }

  public CompletionStage<Specimen.Reply> ask(String specimenId, Function<ActorRef<Specimen.Reply>, Specimen.Command> command) {
    return Asked.ask(sharding.entityRefFor(Specimen.TYPE, specimenId), command, askTimeout);
  }

  /**
   * Registers a specimen under {@code specimenId} (or answers the one registered there). A
   * client it names must exist: the client's entity is asked, not the read table, so a client
   * created a moment ago counts. Unknown: refused (404) naming {@code client_id}.
   */
  public CompletionStage<Specimen.Reply> register(String specimenId, Specimen.Registration registration, Custody custody) {
    CompletionStage<Boolean> known = registration.clientId() == null
        ? CompletableFuture.completedFuture(true) : clients.get(registration.clientId()).thenApply(Optional::isPresent);
    return known.thenCompose(exists -> exists
        ? ask(specimenId, r -> new Specimen.Register(registration, custody, r))
        : CompletableFuture.completedFuture(new Specimen.Rejected(new Rejection(Rejection.Kind.NOT_FOUND,
            "no client " + registration.clientId(), Map.of("field", "client_id")))));
  }

  /**
   * Whether a caller limited to {@code clientScope}'s specimens (a viewer linked to a client)
   * may see this specimen; every specimen when the caller has no scope. A specimen it may not
   * see is answered as one that does not exist.
   */
  public static boolean visible(Optional<String> clientScope, Specimen.State specimen) {
    return clientScope.isEmpty() || clientScope.get().equals(specimen.registration().clientId());
  }

  /** The same, for a row of the read table. */
  public static boolean visible(Optional<String> clientScope, SpecimenReadModel.SpecimenRow specimen) {
    return clientScope.isEmpty() || clientScope.get().equals(specimen.clientId());
  }

  /**
   * Asks for a transition. A resample's replacement gets its id now, before the entity is
   * asked, so the request and its replacement are one event (and a repeat of the reaction
   * registers the same replacement).
   */
  public CompletionStage<Specimen.Reply> transition(String specimenId, String action, Optional<SpecimenState> expected,
      Map<String, Object> data, Custody custody) {
    CompletionStage<Map<String, Object>> withReplacement = action.equals(TransitionTable.Action.REQUEST_RESAMPLE.wireName())
        ? newId().thenApply(replacementId -> {
            Map<String, Object> withId = new LinkedHashMap<>(data);
            withId.put("replacement_id", replacementId);
            return withId;
          })
        : CompletableFuture.completedFuture(data);
    return withReplacement.thenCompose(d -> ask(specimenId, r -> new Specimen.Transition(action, expected, d, custody, r)));
  }

  /**
   * Creates a test batch of existing specimens (or answers the batch created before under
   * {@code batchKey}). The entities are the truth: a specimen registered a moment ago may
   * not be in the read table yet. Unknown specimens are refused, all named, before the batch
   * is asked.
   */
  public CompletionStage<TestBatch.Reply> createBatch(String batchKey, String testCode, List<String> specimenIds, Custody custody) {
    List<CompletableFuture<Specimen.Reply>> lookups = specimenIds.stream()
        .map(id -> ask(id, Specimen.Get::new).toCompletableFuture()).toList();
    return CompletableFuture.allOf(lookups.toArray(CompletableFuture[]::new)).thenCompose(all -> {
      List<String> unknown = new ArrayList<>();
      for (int i = 0; i < lookups.size(); i++) {
        if (lookups.get(i).join() instanceof Specimen.Rejected) unknown.add(specimenIds.get(i));
      }
      if (!unknown.isEmpty()) {
        return CompletableFuture.completedFuture(new TestBatch.Rejected(Rejection.notFound("unknown specimens: " + unknown)));
      }
      return askBatch(batchKey, r -> new TestBatch.Create(testCode, specimenIds, custody, r));
    });
  }

  public CompletionStage<TestBatch.Reply> askBatch(String batchKey, Function<ActorRef<TestBatch.Reply>, TestBatch.Command> command) {
    return Asked.ask(sharding.entityRefFor(TestBatch.TYPE, batchKey), command, askTimeout);
  }

  public SpecimenReadModel readModel() {
    return readModel;
  }

  /** The clients specimens are registered for. */
  public Clients clients() {
    return clients;
  }
}
